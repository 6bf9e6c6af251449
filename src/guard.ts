import type { Auth } from "./auth.js";
import { AuthRejectedError } from "./errors.js";

/**
 * Options of the bad-credential guard. After `maxFailures` consecutive
 * authentication failures (a final 401 or 407 although credentials were sent)
 * for the same credentials and protection space, requests fail fast with
 * {@link AuthRejectedError} for `cooldownMs` without contacting the server —
 * many servers lock an account after a few bad attempts. After the cool-down
 * one request goes through as a probe: success clears the count, failure
 * starts another cool-down.
 *
 * @example
 * ```ts
 * new Client({ auth, rejectionGuard: { maxFailures: 5, cooldownMs: 60_000 } });
 * new Client({ auth, rejectionGuard: false }); // off
 * ```
 */
export interface RejectionGuardOptions {
  /** Consecutive failures that trip the guard (default 3). */
  maxFailures?: number;
  /** How long requests fail fast once tripped, in milliseconds (default 30 000). */
  cooldownMs?: number;
}

interface SpaceState {
  failures: number;
  blockedUntil: number;
  /** The realm of the last challenge, for the message. */
  realm: string | undefined;
}

// Keyed by the Auth object: the same credentials used from any client share one count.
const states = new WeakMap<Auth, Map<string, SpaceState>>();

/** The guard as the send path uses it. */
export class RejectionGuard {
  readonly #maxFailures: number;
  readonly #cooldownMs: number;

  constructor(options: RejectionGuardOptions = {}) {
    this.#maxFailures = options.maxFailures ?? 3;
    this.#cooldownMs = options.cooldownMs ?? 30_000;
  }

  /**
   * Throws AuthRejectedError while `auth` is cooling down for `origin`. The
   * protection space is keyed by origin: the realm is only known from a response.
   */
  check(auth: Auth, origin: string): void {
    const state = states.get(auth)?.get(origin);
    if (state === undefined || state.failures < this.#maxFailures) return;
    const wait = state.blockedUntil - Date.now();
    if (wait > 0) {
      throw new AuthRejectedError(
        `credentials were rejected ${state.failures} times in a row by ${origin}` +
          `${state.realm === undefined ? "" : ` (realm "${state.realm}")`}; not sending them again for ` +
          `${Math.ceil(wait / 1000)} s to avoid a lock-out. Fix the credentials, or tune rejectionGuard.`,
        wait,
      );
    }
  }

  /** Records the final response to a request sent with `auth` to `origin`. */
  record(auth: Auth, origin: string, response: Response): void {
    const rejected = response.status === 401 || response.status === 407;
    let spaces = states.get(auth);
    if (!rejected) {
      if (spaces !== undefined) spaces.delete(origin);
      return;
    }
    if (spaces === undefined) {
      spaces = new Map();
      states.set(auth, spaces);
    }
    const state = spaces.get(origin) ?? { failures: 0, blockedUntil: 0, realm: undefined };
    state.failures += 1;
    state.realm = realmOf(response.headers.get("www-authenticate") ?? "");
    if (state.failures >= this.#maxFailures) state.blockedUntil = Date.now() + this.#cooldownMs;
    spaces.set(origin, state);
  }
}

/** The first `realm="…"` of a challenge, by a plain scan (the full parser is not needed here). */
function realmOf(challenge: string): string | undefined {
  const start = challenge.toLowerCase().indexOf("realm=");
  if (start < 0) return undefined;
  let index = start + 6;
  if (challenge[index] !== '"') {
    const end = challenge.indexOf(",", index);
    return challenge.slice(index, end < 0 ? undefined : end).trim();
  }
  let realm = "";
  for (index += 1; index < challenge.length; index++) {
    const character = challenge[index];
    if (character === "\\") realm += challenge[++index] ?? "";
    else if (character === '"') return realm;
    else realm += character;
  }
  return undefined;
}
