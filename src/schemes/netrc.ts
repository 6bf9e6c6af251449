import type { Auth, AuthFlow } from "../engine/auth.js";
import { authorizationFor, credentialIdentity, markHttpChallenges, mayAuthorize } from "../engine/capabilities.js";
import { untilAborted } from "../engine/flow.js";
import { InvalidArgumentError, MissingCredentialsError, NetrcError } from "../errors.js";
import { guardedSend } from "../guard/late.js";
import { redactable } from "../support/redact.js";
import { BasicAuth } from "./basic.js";
import { findNetrcEntry, type NetrcEntry, parseNetrc } from "./netrc-parse.js";

/** The few file-system calls NetrcAuth needs; typed here because the core compiles without Node's types. */
interface FileStats {
  readonly size: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}

interface FileHandle {
  stat(): Promise<FileStats>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

interface FileSystem {
  open(path: string, flags: number): Promise<FileHandle>;
  readonly constants?: Readonly<Record<string, number | undefined>>;
}

interface RuntimeEnvironment {
  process?: { env?: Record<string, string | undefined> };
}

/**
 * Credentials from a netrc file, by host, as curl and requests use them:
 * the request URL's host name is looked up (exact, case-insensitive — never
 * a suffix match), and a matching entry with a password sends Basic
 * authentication. No matching entry (and no `default`) leaves the request
 * untouched.
 *
 * The file is `path`, else `$NETRC`, else `~/.netrc`. It is read once, at
 * the first request (Node, Deno and Bun: it needs `node:fs/promises`). A
 * missing or malformed file fails the request with
 * {@link MissingCredentialsError}; a file that is not a regular file (a FIFO,
 * a device such as `/dev/zero`, a directory — checked on the opened handle,
 * symbolic links followed), is larger than `MAX_NETRC_BYTES` (1 MiB) or
 * cannot be read fails it with {@link NetrcError} (`ERR_NETRC`), whose
 * message names the path and the reason, never the content. A failed read is
 * not remembered: the next request tries again. The request's `signal` (its
 * timeout, the caller's abort) covers the wait for the file.
 *
 * Safety (curl CVE-2024-11053): an entry without a password sends nothing — it
 * never borrows another entry's password — and `default` applies only when no
 * `machine` matches. Redirects to another origin never carry the credentials
 * (the driver's origin rules).
 *
 * @example
 * ```ts
 * // ~/.netrc:  machine api.example.com login alice password s3cret
 * const client = new Client({ auth: new NetrcAuth() });
 * await client.get("https://api.example.com/me"); // Authorization: Basic YWxpY2U6czNjcmV0
 * const fromFile = new NetrcAuth("/run/secrets/netrc");
 * ```
 */
export class NetrcAuth implements Auth {
  /** The path given to the constructor; `undefined` means `$NETRC` or `~/.netrc`, resolved at first use. */
  readonly path: string | undefined;
  #entries: Promise<readonly NetrcEntry[]> | undefined;
  // One BasicAuth per host that has credentials: the header is computed once.
  readonly #byHost = new Map<string, BasicAuth | null>();

  constructor(path?: string) {
    if (path !== undefined && (typeof path !== "string" || path === "")) {
      throw new InvalidArgumentError(
        typeof path === "string" ? "ERR_INVALID_ARG_VALUE" : "ERR_INVALID_ARG_TYPE",
        "NetrcAuth.path",
        "NetrcAuth needs a file path (a non-empty string), or nothing for ~/.netrc",
      );
    }
    this.path = path;
  }

  /** The Auth contract: Basic credentials for the request's host from the netrc file; none, the request as it is. */
  async *authFlow(request: Request): AuthFlow {
    const basic = await this.#basicFor(new URL(request.url).hostname, request.signal);
    if (basic === null) {
      yield request;
      return;
    }
    request.headers.set("authorization", basic[authorizationFor]());
    // Counted under the entry's credentials, whichever NetrcAuth object sent them.
    yield* guardedSend(this, request, () => basic[credentialIdentity]());
  }

  /**
   * @internal The guard's key is the host's entry, which only the flow knows
   * for sure (the file may change between requests): the flow passes the
   * guard itself, counting under the entry's credentials.
   */
  [credentialIdentity](): null {
    return null;
  }

  /** @internal The fast path: known once the host has been looked up. */
  [authorizationFor](_method: string, url: URL): string | undefined {
    return this.#byHost.get(url.hostname)?.[authorizationFor]();
  }

  /** @internal Whether the file has credentials for `url`'s host (src/engine/capabilities.ts). */
  async [mayAuthorize](url: URL, signal?: AbortSignal): Promise<boolean> {
    return (await this.#basicFor(url.hostname, signal)) !== null;
  }

  async #basicFor(hostname: string, signal: AbortSignal | undefined): Promise<BasicAuth | null> {
    const cached = this.#byHost.get(hostname);
    if (cached !== undefined) return cached;
    // The read is shared by concurrent requests; each waits only as long as its own signal allows.
    const entry = findNetrcEntry(await untilAborted(this.#load(), signal), hostname);
    // CVE-2024-11053: a matching entry without a password stops the search; nothing is sent.
    const basic = entry?.password === undefined ? null : new BasicAuth(entry.login ?? "", entry.password);
    this.#byHost.set(hostname, basic);
    return basic;
  }

  #load(): Promise<readonly NetrcEntry[]> {
    if (this.#entries === undefined) {
      this.#entries = readEntries(this.path);
      // A failed read is not remembered: the file may appear or be fixed.
      this.#entries.catch(() => {
        this.#entries = undefined;
      });
    }
    return this.#entries;
  }
}
redactable(NetrcAuth.prototype, "NetrcAuth", (auth) => ({ path: auth.path ?? "$NETRC or ~/.netrc" }));
markHttpChallenges(NetrcAuth.prototype);

/**
 * The largest netrc file NetrcAuth reads: 1 MiB, thousands of entries. A
 * larger one is refused with {@link NetrcError} rather than read whole
 * (`NETRC=/dev/zero` would otherwise exhaust memory).
 */
export const MAX_NETRC_BYTES = 1024 * 1024;

async function readEntries(given: string | undefined): Promise<readonly NetrcEntry[]> {
  const path = given ?? defaultPath();
  const text = await readNetrcFile(path);
  const { entries, error } = parseNetrc(text);
  if (error !== undefined) {
    // As curl does, a malformed file is not half-used. The message never quotes it: it holds passwords.
    throw new MissingCredentialsError(`the netrc file ${path} is malformed: ${error}; fix it`);
  }
  return entries;
}

/**
 * The file's text, read from the handle that was opened and checked (fstat,
 * not stat-then-open, which races): a regular file of at most
 * {@link MAX_NETRC_BYTES}. O_NONBLOCK makes opening a FIFO return at once
 * instead of waiting for a writer; the type check then refuses it.
 */
async function readNetrcFile(path: string): Promise<string> {
  let handle: FileHandle;
  try {
    const fs = (await import("node:fs/promises" as string)) as FileSystem;
    const { O_RDONLY = 0, O_NONBLOCK = 0, O_NOCTTY = 0 } = fs.constants ?? {};
    handle = await fs.open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  } catch (error) {
    throw unreadable(path, error);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new NetrcError(
        `the netrc file ${path} is not a regular file (${kindOf(info)}); point NETRC or the path at a netrc file`,
        path,
      );
    }
    if (info.size > MAX_NETRC_BYTES) throw tooLarge(path);
    return await readCapped(handle, path);
  } catch (error) {
    throw error instanceof NetrcError ? error : unreadable(path, error);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Reads to the end, but never more than the cap: the file may grow after fstat. */
async function readCapped(handle: FileHandle, path: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = new Uint8Array(64 * 1024);
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, total);
    if (bytesRead === 0) break;
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
    if (total > MAX_NETRC_BYTES) throw tooLarge(path);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}

/** ENOENT: no file, so no credentials (MissingCredentialsError); anything else is a file that cannot be used. */
function unreadable(path: string, error: unknown): Error {
  const code = (error as { code?: unknown })?.code;
  const reason = typeof code === "string" ? code : ((error as Error)?.name ?? "error");
  if (code === "ENOENT" || code === "ENOTDIR") {
    return new MissingCredentialsError(
      `cannot read the netrc file ${path} (${reason}); create it, or pass the path of another one`,
    );
  }
  return new NetrcError(
    `cannot read the netrc file ${path} (${reason}); check its permissions, or pass another path`,
    path,
  );
}

function tooLarge(path: string): NetrcError {
  return new NetrcError(
    `the netrc file ${path} is larger than ${MAX_NETRC_BYTES} bytes (the cap); point NETRC or the path at a netrc file`,
    path,
  );
}

function kindOf(info: FileStats): string {
  if (info.isDirectory()) return "a directory";
  if (info.isFIFO()) return "a FIFO";
  if (info.isCharacterDevice()) return "a character device";
  if (info.isBlockDevice()) return "a block device";
  if (info.isSocket()) return "a socket";
  return "not a file";
}

/** `$NETRC`, else `~/.netrc` (`%USERPROFILE%\.netrc` on Windows). */
function defaultPath(): string {
  const env = (globalThis as RuntimeEnvironment).process?.env ?? {};
  const explicit = env.NETRC;
  if (explicit !== undefined && explicit !== "") return explicit;
  const home = env.HOME ?? env.USERPROFILE;
  if (home === undefined || home === "") {
    throw new MissingCredentialsError("no netrc file: neither NETRC nor HOME is set; pass a path to NetrcAuth");
  }
  return `${home.replace(/[\\/]+$/, "")}/.netrc`;
}
