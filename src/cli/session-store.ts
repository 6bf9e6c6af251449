/**
 * `--session NAME`: a directory of the user's cache (mode 0700) holding
 * `tokens.json` (a {@link FileTokenStore}: OAuth 2.0 access tokens with their
 * expiry) and `digest.json` (Digest challenges, see digest-memory.ts), each
 * of mode 0600. Never a password, a client secret, a private key, a refresh
 * token or a Digest response.
 */
import { lstat, readdir, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { FileTokenStore, readOwnJson, writeJsonAtomic } from "../node/file-store.js";
import { type DigestRecord, digestRecords } from "./digest-memory.js";
import { UsageError } from "./usage.js";

type Env = Readonly<Record<string, string | undefined>>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DIGEST_FORMAT = "authflow-digest-challenges";

/**
 * `name` when it can name a session: letters, digits, `.`, `_`, `-`, up to
 * 64, not starting with a dot or dash — a name, never a path.
 *
 * @throws UsageError otherwise.
 * @example
 * ```ts
 * checkSessionName("staging-api"); // "staging-api"
 * ```
 */
export function checkSessionName(name: string): string {
  if (!NAME.test(name)) {
    throw new UsageError(
      "--session takes a name: letters, digits, '.', '_' and '-', up to 64, starting with a letter or digit (not a path)",
    );
  }
  return name;
}

/**
 * Where sessions live: `$XDG_CACHE_HOME/authflow/sessions` (or
 * `~/.cache/…`) on Linux and other Unix systems, `~/Library/Caches/authflow/sessions`
 * on macOS, `%LOCALAPPDATA%\authflow\sessions` on Windows.
 *
 * @example
 * ```ts
 * sessionsDirectory(process.env); // "/home/me/.cache/authflow/sessions"
 * ```
 */
export function sessionsDirectory(env: Env, platform: NodeJS.Platform = process.platform): string {
  const xdg = env.XDG_CACHE_HOME;
  if (platform === "win32")
    return join(env.LOCALAPPDATA ?? join(homedir(), "AppData", "Local"), "authflow", "sessions");
  if (platform === "darwin" && (xdg === undefined || !isAbsolute(xdg))) {
    return join(homedir(), "Library", "Caches", "authflow", "sessions");
  }
  // XDG Base Directory: a relative value is invalid and ignored.
  return join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(homedir(), ".cache"), "authflow", "sessions");
}

/** An open session: its token store and its Digest challenges. */
export interface Session {
  readonly name: string;
  readonly directory: string;
  readonly tokens: FileTokenStore;
  readonly challenges: readonly DigestRecord[];
  /** Saves the challenges (not in read-only mode). */
  saveChallenges(records: readonly DigestRecord[]): Promise<void>;
}

/**
 * Opens (or starts) the session `name`.
 *
 * @example
 * ```ts
 * const session = await openSession("api", { env: process.env, readOnly: false, warn: console.warn });
 * ```
 */
export async function openSession(
  name: string,
  options: { readonly env: Env; readonly readOnly: boolean; readonly warn: (message: string) => void },
): Promise<Session> {
  const directory = join(sessionsDirectory(options.env), name);
  const tokens = new FileTokenStore({
    path: join(directory, "tokens.json"),
    readOnly: options.readOnly,
    onWarning: (warning) => options.warn(`session ${name}: ${warning.message}`),
  });
  const digestPath = join(directory, "digest.json");
  let challenges: DigestRecord[] = [];
  try {
    challenges = digestRecords(((await readOwnJson(digestPath)) as { challenges?: unknown } | undefined)?.challenges);
  } catch (error) {
    options.warn(`session ${name}: ${digestPath}: ${(error as Error).message}; its challenges are not used`);
  }
  return {
    name,
    directory,
    tokens,
    challenges,
    async saveChallenges(records) {
      if (options.readOnly) return;
      await writeJsonAtomic(digestPath, { format: DIGEST_FORMAT, version: 1, challenges: records });
    },
  };
}

/** One line of `authflow session list`. */
export interface SessionSummary {
  readonly name: string;
  readonly tokens: number;
  /** The latest expiry among its tokens, epoch ms. */
  readonly expiresAt: number | undefined;
  readonly challenges: number;
}

/**
 * Every session, sorted by name.
 *
 * @example
 * ```ts
 * for (const session of await listSessions(process.env)) console.log(session.name);
 * ```
 */
export async function listSessions(env: Env): Promise<SessionSummary[]> {
  const root = sessionsDirectory(env);
  let names: string[];
  try {
    names = (await readdir(root)).filter((entry) => NAME.test(entry)).sort();
  } catch {
    return [];
  }
  const summaries: SessionSummary[] = [];
  for (const name of names) {
    const session = await openSession(name, { env, readOnly: true, warn: () => {} });
    const tokens = await session.tokens.entries();
    const expiries = tokens.flatMap(([, token]) => (token.expiresAt === undefined ? [] : [token.expiresAt]));
    const expiresAt = expiries.length === 0 ? undefined : Math.max(...expiries);
    summaries.push({ name, tokens: tokens.length, expiresAt, challenges: session.challenges.length });
  }
  return summaries;
}

/**
 * Deletes the session `name`; false when there is none.
 *
 * @example
 * ```ts
 * await deleteSession("api", process.env); // true
 * ```
 */
export async function deleteSession(name: string, env: Env): Promise<boolean> {
  const directory = join(sessionsDirectory(env), checkSessionName(name));
  try {
    const info = await lstat(directory);
    if (!info.isDirectory()) return false;
  } catch {
    return false;
  }
  await rm(directory, { recursive: true, force: true });
  return true;
}
