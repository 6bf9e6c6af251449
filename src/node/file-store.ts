/**
 * A {@link TokenStore} in a JSON file (Node only): tokens survive the process,
 * so scripts and the `authflow` CLI (`--session`) reuse them across runs, and
 * every process on the machine that uses the same file shares them and one
 * refresh at a time.
 *
 * Safe under concurrency: the file is only ever replaced whole (written to a
 * temporary file, flushed, renamed over it), so a reader sees the old or the
 * new contents, never a mix; read-modify-write and `withLock` hold lock files
 * created with O_EXCL, refreshed while held and broken when their holder is
 * gone (a dead process on this host, or no refresh for `lockStaleMs`).
 *
 * @example
 * ```ts
 * import { FileTokenStore } from "authflow/file-store";
 * const store = new FileTokenStore({ path: "/home/me/.cache/my-tool/tokens.json" });
 * ```
 *
 * @module authflow/file-store
 */
import { createHash, randomBytes } from "node:crypto";
import { link, lstat, mkdir, open, readFile, rename, rm, unlink, utimes } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { InvalidArgumentError } from "../errors.js";
import {
  checkBoolean,
  checkFunction,
  checkInteger,
  checkNumber,
  checkObject,
  checkString,
} from "../policy/validate.js";
import type { Token, TokenStore } from "../stores/store.js";

/**
 * Why a {@link FileTokenStore} could not do what it was asked, and what it did instead.
 *
 * @example
 * ```ts
 * const quiet: FileTokenStoreWarningCode[] = ["lock-wait-exceeded"]; // expected under contention
 * ```
 */
export type FileTokenStoreWarningCode = "lock-wait-exceeded" | "unsafe-file" | "unreadable-file";

/**
 * A warning of {@link FileTokenStore}: tokens are then fetched again, nothing fails.
 *
 * @example
 * ```ts
 * new FileTokenStore({ path, onWarning: (warning: FileTokenStoreWarning) => console.warn(warning.code, warning.message) });
 * ```
 */
export interface FileTokenStoreWarning {
  /** What happened, for programs: one of {@link FileTokenStoreWarningCode}. */
  readonly code: FileTokenStoreWarningCode;
  /** What happened and what the store did, for people: names the file, never a token. */
  readonly message: string;
}

/**
 * Options of {@link FileTokenStore}.
 *
 * @example
 * ```ts
 * new FileTokenStore({ path: "/home/me/.cache/myapp/tokens.json", onWarning: (w) => console.warn(w.message) });
 * ```
 */
export interface FileTokenStoreOptions {
  /** The JSON file; its directory is created (mode 0700) when missing. @example "/home/me/.cache/app/tokens.json" */
  path: string;
  /** Read the file, never write it: tokens obtained now stay in this instance's memory. @example true */
  readOnly?: boolean;
  /** A lock not refreshed for this long is taken over (default 30 000 ms; refreshed every third of it). */
  lockStaleMs?: number;
  /** Longest wait for a lock before running without it, with a warning (default 30 000 ms). */
  lockWaitTimeoutMs?: number;
  /** Most tokens kept; the ones lapsing soonest go first (default 1 000). @example 100 */
  maxEntries?: number;
  /** The clock, in epoch ms (default `Date.now`); for tests. */
  now?: () => number;
  /** Told when the file is unsafe or unreadable, or a lock was not obtained. @example (w) => console.warn(w.message) */
  onWarning?: (warning: FileTokenStoreWarning) => void;
}

interface Entry {
  readonly token: Token;
  readonly lapsesAt: number;
}

const FORMAT = "authflow-token-store";
/** A token file larger than this is not read (a few hundred tokens fit in 1 MiB). */
const MAX_FILE_BYTES = 1024 * 1024;
// What of the token endpoint's answer is kept on disk: a refresh_token or id_token never is.
const KEPT_FIELDS = ["access_token", "token_type", "expires_in", "scope", "issued_token_type"];
const inProcess = new Map<string, Promise<void>>();

/**
 * A {@link TokenStore} in a file of mode 0600, for one machine: tokens survive
 * restarts and are shared by every process using the same `path`. It holds
 * access tokens (and their type, scope and expiry) — never a client secret, a
 * private key, a refresh token or an ID token. Refuses to read a file that is
 * a symbolic link or owned by another user.
 *
 * @example
 * ```ts
 * import { ClientCredentialsAuth } from "authflow";
 * import { FileTokenStore } from "authflow/file-store";
 *
 * const store = new FileTokenStore({ path: `${process.env.HOME}/.cache/my-tool/tokens.json` });
 * const auth = new ClientCredentialsAuth({ tokenUrl, clientId, clientSecret, store });
 * ```
 */
export class FileTokenStore implements TokenStore {
  /** The file. */
  readonly path: string;
  readonly #options: Required<Omit<FileTokenStoreOptions, "path" | "onWarning">>;
  readonly #warn: (warning: FileTokenStoreWarning) => void;
  /** Read-only mode: what this instance obtained, on top of the file. */
  readonly #memory = new Map<string, Entry | null>();

  /** @throws InvalidArgumentError (a TypeError with a `code`) naming an option that is not what it accepts. */
  constructor(options: FileTokenStoreOptions) {
    checkOptions(options);
    this.path = options.path;
    this.#options = {
      readOnly: options.readOnly === true,
      lockStaleMs: options.lockStaleMs ?? 30_000,
      lockWaitTimeoutMs: options.lockWaitTimeoutMs ?? 30_000,
      maxEntries: options.maxEntries ?? 1_000,
      now: options.now ?? Date.now,
    };
    this.#warn = options.onWarning ?? (() => {});
  }

  async get(key: string): Promise<Token | undefined> {
    const entry = this.#memory.has(key) ? this.#memory.get(key) : (await this.#read()).get(key);
    return entry === undefined || entry === null || entry.lapsesAt <= this.#options.now() ? undefined : entry.token;
  }

  async set(key: string, token: Token, ttlMs: number): Promise<void> {
    const entry = ttlMs > 0 ? { token: kept(token), lapsesAt: this.#options.now() + ttlMs } : null;
    await this.#update(key, entry);
  }

  async delete(key: string): Promise<void> {
    await this.#update(key, null);
  }

  /** Runs `fn` holding `key`'s lock, in this process and every other one using the file. */
  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const name = `${this.path}.lock-${createHash("sha256").update(key).digest("hex").slice(0, 16)}`;
    return this.#locked(name, fn);
  }

  /** Every token in the file that has not lapsed, by key. */
  async entries(): Promise<Array<[key: string, token: Token]>> {
    const now = this.#options.now();
    return [...(await this.#read())].filter(([, entry]) => entry.lapsesAt > now).map(([key, e]) => [key, e.token]);
  }

  async #update(key: string, entry: Entry | null): Promise<void> {
    if (this.#options.readOnly) {
      this.#memory.set(key, entry);
      return;
    }
    await this.#locked(`${this.path}.lock`, async () => {
      const entries = await this.#read();
      if (entry === null) entries.delete(key);
      else entries.set(key, entry);
      await writeJsonAtomic(this.path, { format: FORMAT, version: 1, tokens: Object.fromEntries(this.#kept(entries)) });
    });
  }

  /** The unlapsed entries, the ones lapsing soonest dropped past `maxEntries`. */
  #kept(entries: Map<string, Entry>): Array<[string, Entry]> {
    const now = this.#options.now();
    const live = [...entries].filter(([, entry]) => entry.lapsesAt > now);
    live.sort(([, a], [, b]) => b.lapsesAt - a.lapsesAt);
    return live.slice(0, this.#options.maxEntries);
  }

  async #read(): Promise<Map<string, Entry>> {
    const entries = new Map<string, Entry>();
    let data: unknown;
    try {
      data = await readOwnJson(this.path);
    } catch (error) {
      const code = (error as { authflowCode?: FileTokenStoreWarningCode }).authflowCode ?? "unreadable-file";
      this.#warn({ code, message: `${this.path}: ${(error as Error).message}; its tokens are not used` });
      return entries;
    }
    const tokens = (data as { tokens?: unknown } | undefined)?.tokens;
    if (tokens === null || typeof tokens !== "object") return entries;
    for (const [key, value] of Object.entries(tokens as Record<string, unknown>)) {
      const entry = asEntry(value);
      if (entry !== undefined) entries.set(key, entry);
    }
    return entries;
  }

  /** Runs `fn` holding the lock file `name` (and, first, this process's queue for it). */
  async #locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = inProcess.get(name) ?? Promise.resolve();
    let done!: () => void;
    const tail = previous.then(() => new Promise<void>((resolve) => (done = resolve)));
    inProcess.set(name, tail);
    await previous;
    try {
      if (this.#options.readOnly) return await fn();
      const release = await acquireLock(name, this.#options.lockStaleMs, this.#options.lockWaitTimeoutMs, this.#warn);
      try {
        return await fn();
      } finally {
        await release();
      }
    } finally {
      done();
      if (inProcess.get(name) === tail) inProcess.delete(name);
    }
  }
}

/**
 * Takes the lock file `path` (O_EXCL), refreshing its time while held; a lock
 * whose holder is gone is broken. Resolves to its release. After `waitMs`,
 * warns and resolves to a release that does nothing.
 */
async function acquireLock(
  path: string,
  staleMs: number,
  waitMs: number,
  warn: (warning: FileTokenStoreWarning) => void,
): Promise<() => Promise<void>> {
  const id = randomBytes(12).toString("hex");
  const deadline = Date.now() + waitMs;
  for (let delay = 5; ; delay = Math.min(100, delay * 2)) {
    try {
      await writeNew(path, JSON.stringify({ id, pid: process.pid, host: hostname() }));
      return held(path, id, staleMs);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (await breakIfStale(path, staleMs)) continue;
    if (Date.now() > deadline) {
      warn({ code: "lock-wait-exceeded", message: `waited ${waitMs} ms for ${path}; running without it` });
      return async () => {};
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** A held lock: its time refreshed every third of `staleMs`; released only if it is still ours. */
function held(path: string, id: string, staleMs: number): () => Promise<void> {
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {});
  }, staleMs / 3);
  heartbeat.unref();
  return async () => {
    clearInterval(heartbeat);
    if ((await lockOwner(path))?.id === id) await unlink(path).catch(() => {});
  };
}

/**
 * Breaks the lock at `path` when its holder is gone: a dead process on this
 * host, or no refresh for `staleMs`. Moved aside first, then checked: a lock
 * taken by someone else in between is put back.
 */
async function breakIfStale(path: string, staleMs: number): Promise<boolean> {
  const owner = await lockOwner(path);
  let modified: number;
  try {
    modified = (await lstat(path)).mtimeMs;
  } catch {
    return true; // released meanwhile: try again at once
  }
  const dead = owner !== undefined && owner.host === hostname() && !alive(owner.pid);
  if (!dead && Date.now() - modified <= staleMs) return false;
  const aside = `${path}.stale-${randomBytes(6).toString("hex")}`;
  try {
    await rename(path, aside);
  } catch {
    return true;
  }
  if ((await lockOwner(aside))?.id !== owner?.id) await link(aside, path).catch(() => {});
  await rm(aside, { force: true });
  return true;
}

async function lockOwner(path: string): Promise<{ id?: string; pid?: number; host?: string } | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as { id?: string; pid?: number; host?: string };
  } catch {
    return undefined;
  }
}

function alive(pid: number | undefined): boolean {
  if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Creates `path` (O_EXCL, mode 0600) with `text`, its directory (0700) if needed. */
async function writeNew(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const handle = await open(path, "wx", 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * @internal Replaces `path` with `value` as JSON: a new file of mode 0600,
 * flushed, renamed over the old one — readers see the old or the new, whole.
 *
 * @example
 * ```ts
 * await writeJsonAtomic("/home/me/.cache/authflow/sessions/api/digest.json", { challenges: [] });
 * ```
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeNew(temporary, JSON.stringify(value));
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * @internal The JSON in `path`, or undefined when there is no file. Throws
 * (with `authflowCode`) for a symbolic link, something not a regular file, a
 * file of another user, a file over 1 MiB or text that is not JSON.
 *
 * @example
 * ```ts
 * const data = await readOwnJson(path); // undefined when there is no file yet
 * ```
 */
export async function readOwnJson(path: string): Promise<unknown> {
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const unsafe = (message: string) => Object.assign(new Error(message), { authflowCode: "unsafe-file" as const });
  if (info.isSymbolicLink() || !info.isFile()) throw unsafe("not a regular file (a symbolic link?)");
  if (typeof process.getuid === "function" && info.uid !== process.getuid()) throw unsafe("owned by another user");
  if (info.size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES} bytes`);
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch {
    throw new Error("not JSON");
  }
}

/** The token as persisted: the endpoint's answer reduced to what describes the access token. */
function kept(token: Token): Token {
  const raw = Object.fromEntries(Object.entries(token.raw).filter(([name]) => KEPT_FIELDS.includes(name)));
  return { ...token, raw };
}

function asEntry(value: unknown): Entry | undefined {
  const entry = value as { token?: Record<string, unknown>; lapsesAt?: unknown } | null;
  const token = entry?.token;
  if (typeof entry?.lapsesAt !== "number" || token === null || typeof token !== "object") return undefined;
  const { accessToken, tokenType, expiresAt, scope, raw } = token;
  if (typeof accessToken !== "string" || typeof tokenType !== "string") return undefined;
  if (
    (expiresAt !== undefined && typeof expiresAt !== "number") ||
    (scope !== undefined && typeof scope !== "string")
  ) {
    return undefined;
  }
  const rawObject = raw !== null && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
  return {
    lapsesAt: entry.lapsesAt,
    token: {
      accessToken,
      tokenType,
      raw: rawObject,
      ...(expiresAt === undefined ? {} : { expiresAt }),
      ...(scope === undefined ? {} : { scope }),
    },
  };
}

function checkOptions(options: FileTokenStoreOptions): void {
  if (options === undefined)
    throw new InvalidArgumentError("ERR_INVALID_ARG_TYPE", "options", "FileTokenStore needs options with a path");
  checkObject("options", options);
  checkString("path", options.path, false);
  if (options.path === "")
    throw new InvalidArgumentError("ERR_INVALID_ARG_VALUE", "path", "path must name the token file");
  checkBoolean("readOnly", options.readOnly);
  checkNumber("lockStaleMs", options.lockStaleMs, 100);
  checkNumber("lockWaitTimeoutMs", options.lockWaitTimeoutMs, 0);
  checkInteger("maxEntries", options.maxEntries, 1);
  checkFunction("now", options.now);
  checkFunction("onWarning", options.onWarning);
}
