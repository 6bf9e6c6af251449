import type { DigestSession } from "./digest-session.js";

/** Origins remembered per DigestAuth; the least recently challenged is forgotten first. */
const MAX_ORIGINS = 256;

/**
 * The challenge cache of one DigestAuth: sessions by protection space (RFC
 * 9110 §11.5: origin and realm, narrowed by the challenge's `domain`). A
 * lookup never crosses origins, so a cached challenge is never answered
 * towards another server.
 */
export class ProtectionSpaces {
  readonly #byOrigin = new Map<string, DigestSession[]>();

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
      return only.usable && matches(only, target) ? only : undefined;
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
    const sessions = this.#byOrigin.get(session.origin) ?? [];
    const kept = sessions.filter((other) => other.challenge.realm !== session.challenge.realm);
    kept.unshift(session);
    this.#byOrigin.delete(session.origin);
    this.#byOrigin.set(session.origin, kept);
    if (this.#byOrigin.size > MAX_ORIGINS) {
      const oldest = this.#byOrigin.keys().next();
      if (oldest.done !== true) this.#byOrigin.delete(oldest.value);
    }
  }

  /** Forgets `session` (its credentials were refused), unless it was replaced already. */
  remove(session: DigestSession): void {
    const sessions = this.#byOrigin.get(session.origin);
    if (sessions === undefined) return;
    const kept = sessions.filter((other) => other !== session);
    if (kept.length === 0) this.#byOrigin.delete(session.origin);
    else this.#byOrigin.set(session.origin, kept);
  }
}

function matches(session: DigestSession, target: string): boolean {
  return matchLength(session, target) >= 0;
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
