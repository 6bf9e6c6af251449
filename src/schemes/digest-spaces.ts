import type { DigestSession } from "./digest-session.js";

/** Protection spaces (realms) remembered per origin; the least recently challenged goes first. */
export const MAX_SPACES_PER_ORIGIN = 8;
/** Protection spaces remembered per DigestAuth, all origins together; the least recently challenged origin goes first. */
export const MAX_SPACES = 256;
/**
 * A challenge longer than this (realm, nonce, opaque and domain, in
 * characters) is answered but not remembered: a cached session keeps about
 * three copies of it, and a server chooses its length.
 */
export const MAX_CACHED_CHALLENGE = 4 * 1024;

/**
 * The challenge cache of one DigestAuth: sessions by protection space (RFC
 * 9110 §11.5: origin and realm, narrowed by the challenge's `domain`). A
 * lookup never crosses origins, so a cached challenge is never answered
 * towards another server. Bounded in entries and bytes: at most
 * {@link MAX_SPACES_PER_ORIGIN} per origin (a lookup scans no more, however
 * many realms a server invents) and {@link MAX_SPACES} in all.
 */
export class ProtectionSpaces {
  /** Sessions by origin, most recently challenged first; the map's order is the origins' recency. */
  readonly #byOrigin = new Map<string, DigestSession[]>();
  #count = 0;

  /** How many sessions are remembered (all origins). */
  get size(): number {
    return this.#count;
  }

  /**
   * The session to answer a request to `target` on `origin` preemptively, if
   * any. A session whose nonce count is used up is skipped: the request then
   * fetches a new challenge.
   */
  find(origin: string, target: string): DigestSession | undefined {
    const sessions = this.#byOrigin.get(origin);
    if (sessions === undefined) return undefined;
    if (sessions.length === 1) {
      const only = sessions[0] as DigestSession;
      return only.usable && matchLength(only, target) >= 0 ? only : undefined;
    }
    let best: DigestSession | undefined;
    let bestLength = -1;
    for (const session of sessions) {
      const length = session.usable ? matchLength(session, target) : -1;
      if (length > bestLength) {
        best = session;
        bestLength = length;
      }
    }
    return best;
  }

  /** Remembers `session`, replacing the one for the same realm on its origin. */
  store(session: DigestSession): void {
    if (challengeLength(session) > MAX_CACHED_CHALLENGE) return;
    const { origin } = session;
    const sessions = this.#byOrigin.get(origin) ?? [];
    const kept = sessions.filter((other) => other.challenge.realm !== session.challenge.realm);
    kept.unshift(session);
    if (kept.length > MAX_SPACES_PER_ORIGIN) kept.length = MAX_SPACES_PER_ORIGIN;
    this.#count += kept.length - sessions.length;
    this.#byOrigin.delete(origin);
    this.#byOrigin.set(origin, kept);
    while (this.#count > MAX_SPACES) {
      const [oldest, dropped] = this.#byOrigin.entries().next().value as [string, DigestSession[]];
      this.#byOrigin.delete(oldest);
      this.#count -= dropped.length;
    }
  }

  /** Forgets `session` (its credentials were refused), unless it was replaced already. */
  remove(session: DigestSession): void {
    const sessions = this.#byOrigin.get(session.origin);
    if (sessions === undefined) return;
    const kept = sessions.filter((other) => other !== session);
    this.#count -= sessions.length - kept.length;
    if (kept.length === 0) this.#byOrigin.delete(session.origin);
    else this.#byOrigin.set(session.origin, kept);
  }
}

function challengeLength(session: DigestSession): number {
  const { challenge } = session;
  let length = challenge.realm.length + challenge.nonce.length + (challenge.opaque?.length ?? 0);
  for (const uri of challenge.domain) length += uri.length;
  return length;
}

/**
 * How well `session` covers `target`: the longest matching `domain` prefix; for
 * a session without `domain` (the whole origin), a small bonus when the target
 * lies under the directory that was challenged. -1 for no match.
 */
function matchLength(session: DigestSession, target: string): number {
  if (session.paths.length === 0) return target.startsWith(session.directory) ? 1 : 0;
  let longest = -1;
  for (const path of session.paths) {
    if (target.startsWith(path) && path.length > longest) longest = path.length;
  }
  return longest;
}

/**
 * The origin and the request-target exactly as fetch sends it (path and
 * query, percent-encoding kept, no fragment), sliced from `Request.url`, which
 * is already a serialised absolute URL: no URL parse on the per-request path.
 */
export function splitUrl(url: string): { origin: string; target: string } {
  const authority = url.indexOf("//") + 2;
  let pathStart = url.indexOf("/", authority);
  const queryStart = url.indexOf("?", authority);
  if (pathStart < 0 || (queryStart >= 0 && queryStart < pathStart)) pathStart = queryStart;
  const hash = url.indexOf("#", authority);
  const end = hash < 0 ? url.length : hash;
  if (pathStart < 0 || pathStart > end) return { origin: url.slice(0, end), target: "/" };
  const target = url.slice(pathStart, end);
  return { origin: url.slice(0, pathStart), target: target.startsWith("?") ? `/${target}` : target };
}
