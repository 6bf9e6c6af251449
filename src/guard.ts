import type { Auth } from "./auth.js";
import { debug } from "./debug.js";
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
  /** A request with these credentials succeeded here, and none failed since: attempts run in parallel. */
  verified: boolean;
  /** While not verified, one attempt at a time holds the slot (LOOP-02). */
  slotTaken: boolean;
  /** Attempts waiting for the slot. */
  waiters: Array<(pass: boolean) => void>;
}

// Keyed by the Auth object: the same credentials used from any client share one count.
const states = new WeakMap<Auth, Map<string, SpaceState>>();

/**
 * What {@link RejectionGuard.enter} hands back: whether this attempt holds
 * the space's slot (and so must hand it back through `record` or `abandon`).
 */
export type GuardTicket = boolean;

/** The guard as the send path uses it. */
export class RejectionGuard {
  readonly #maxFailures: number;
  readonly #cooldownMs: number;
  #last: { readonly auth: Auth; readonly origin: string; readonly state: SpaceState } | undefined;

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
    if (state !== undefined) this.#checkState(state, origin);
  }

  /**
   * Admits one attempt with `auth` to `origin`. Credentials that have not
   * (or no longer) succeeded there are tried one attempt at a time, so that
   * 20 concurrent requests with a wrong password cost at most `maxFailures`
   * server-side attempts, not 20 (SECURITY-SCENARIOS LOOP-02). Once a request
   * succeeds, attempts run in parallel again: that path does one map lookup
   * and no await. Throws AuthRejectedError while cooling down; rejects with
   * the signal's reason if `signal` aborts while waiting.
   */
  enter(auth: Auth, origin: string, signal?: AbortSignal): GuardTicket | Promise<GuardTicket> {
    const state = this.#state(auth, origin);
    if (state.verified) return false;
    this.#checkState(state, origin);
    if (!state.slotTaken) {
      state.slotTaken = true;
      return true;
    }
    return new Promise<boolean>((resolve, reject) => {
      signal?.throwIfAborted();
      const onAbort = () => {
        const index = state.waiters.indexOf(wake);
        if (index >= 0) state.waiters.splice(index, 1);
        reject(signal?.reason);
      };
      const wake = (pass: boolean) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(pass);
      };
      state.waiters.push(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
    }).then((pass) => (pass ? false : this.enter(auth, origin, signal)));
  }

  /** Records the final response to a request sent with `auth` to `origin`. */
  record(auth: Auth, origin: string, response: Response, ticket: GuardTicket = false): void {
    const rejected = response.status === 401 || response.status === 407;
    const state = this.#state(auth, origin);
    if (ticket) state.slotTaken = false;
    if (!rejected) {
      // Verified already: nothing failed since, no one waits (the hot path, once credentials work).
      if (state.verified) return;
      state.failures = 0;
      state.blockedUntil = 0;
      state.verified = true;
      wakeAll(state);
      return;
    }
    state.verified = false;
    state.failures += 1;
    state.realm = realmOf(response.headers.get("www-authenticate") ?? response.headers.get("proxy-authenticate") ?? "");
    if (state.failures >= this.#maxFailures) {
      state.blockedUntil = Date.now() + this.#cooldownMs;
      debug(
        `rejection guard tripped for ${origin} after ${state.failures} failures; cooling down ${this.#cooldownMs} ms`,
      );
      wakeAll(state); // each waiter now fails fast
    } else if (ticket) {
      state.waiters.shift()?.(false);
    }
  }

  /**
   * Gives the slot back after an attempt that ended without a response
   * (network error, timeout, token endpoint failure). The server rejected
   * nothing, so the attempts that waited go ahead together rather than
   * one by one: shared failures (a token endpoint down) stay coalesced.
   */
  abandon(auth: Auth, origin: string, ticket: GuardTicket): void {
    if (!ticket) return;
    const state = this.#state(auth, origin);
    state.slotTaken = false;
    for (const wake of state.waiters.splice(0)) wake(true);
  }

  #state(auth: Auth, origin: string): SpaceState {
    // Most guards see one auth and one origin: remember the last pair's state (entries are never removed).
    const last = this.#last;
    if (last !== undefined && last.auth === auth && last.origin === origin) return last.state;
    const state = this.#lookup(auth, origin);
    this.#last = { auth, origin, state };
    return state;
  }

  #lookup(auth: Auth, origin: string): SpaceState {
    let spaces = states.get(auth);
    if (spaces === undefined) {
      spaces = new Map();
      states.set(auth, spaces);
    }
    let state = spaces.get(origin);
    if (state === undefined) {
      state = { failures: 0, blockedUntil: 0, realm: undefined, verified: false, slotTaken: false, waiters: [] };
      spaces.set(origin, state);
    }
    return state;
  }

  #checkState(state: SpaceState, origin: string): void {
    if (state.failures < this.#maxFailures) return;
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
}

function wakeAll(state: SpaceState): void {
  for (const wake of state.waiters.splice(0)) wake(false);
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
