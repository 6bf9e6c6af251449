import type { Auth, AuthFlow } from "../auth.js";
import { MissingCredentialsError } from "../errors.js";
import { authorizationFor, mayAuthorize } from "../fast-path.js";
import { redactable } from "../redact.js";
import { BasicAuth } from "./basic.js";
import { findNetrcEntry, type NetrcEntry, parseNetrc } from "./netrc-parse.js";

/** The one file-system call NetrcAuth needs; typed here because the core compiles without Node's types. */
interface FileReader {
  readFile(path: string, encoding: "utf8"): Promise<string>;
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
 * the first request (Node, Deno and Bun: it needs `node:fs/promises`); a file
 * that cannot be read or parsed fails the request with
 * {@link MissingCredentialsError}, and the next request tries again.
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
      throw new TypeError("NetrcAuth needs a file path (a non-empty string), or nothing for ~/.netrc");
    }
    this.path = path;
  }

  async *authFlow(request: Request): AuthFlow {
    const basic = await this.#basicFor(new URL(request.url).hostname);
    if (basic === null) {
      yield request;
      return;
    }
    yield* basic.authFlow(request);
  }

  /** @internal The fast path: known once the host has been looked up. */
  [authorizationFor](_method: string, url: URL): string | undefined {
    return this.#byHost.get(url.hostname)?.[authorizationFor]();
  }

  /** @internal Whether the file has credentials for `url`'s host (src/fast-path.ts). */
  async [mayAuthorize](url: URL): Promise<boolean> {
    return (await this.#basicFor(url.hostname)) !== null;
  }

  async #basicFor(hostname: string): Promise<BasicAuth | null> {
    const cached = this.#byHost.get(hostname);
    if (cached !== undefined) return cached;
    const entry = findNetrcEntry(await this.#load(), hostname);
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

async function readEntries(given: string | undefined): Promise<readonly NetrcEntry[]> {
  const path = given ?? defaultPath();
  let text: string;
  try {
    const fs = (await import("node:fs/promises" as string)) as FileReader;
    text = await fs.readFile(path, "utf8");
  } catch (error) {
    const reason = (error as { code?: unknown })?.code ?? (error as Error)?.name ?? "error";
    throw new MissingCredentialsError(
      `cannot read the netrc file ${path} (${String(reason)}); create it, or pass the path of another one`,
    );
  }
  const { entries, error } = parseNetrc(text);
  if (error !== undefined) {
    // As curl does, a malformed file is not half-used. The message never quotes it: it holds passwords.
    throw new MissingCredentialsError(`the netrc file ${path} is malformed: ${error}; fix it`);
  }
  return entries;
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
