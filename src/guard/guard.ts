import type { Auth } from "../engine/auth.js";
import { credentialIdentity, type IdentifiedAuth } from "../engine/capabilities.js";
import { AuthRejectedError } from "../errors.js";
import { checkInteger, checkNumber, checkObject } from "../policy/validate.js";
import { debug } from "../support/debug.js";
import { objectIdentity } from "./identity.js";
import { bind, unbind } from "./late.js";
import { displayRealm, failed, type GuardState, peekState, releaseSlot, stateFor, succeeded } from "./store.js";

/**
 * Options of the bad-credential guard. After `maxFailures` consecutive
 * authentication failures (a final 401 or 407 although credentials were sent)
 * for the same credentials and origin, requests fail fast with
 * {@link AuthRejectedError} for `cooldownMs` without contacting the server —
 * many servers lock an account after a few bad attempts. After the cool-down
 * one request goes through as a probe: success clears the count, failure
 * starts another cool-down. The count belongs to the credentials (a keyed
 * digest of them), so every client and every Auth object holding the same
 * credentials shares it.
 *
 * @example
 * ```ts
 * new Client({ auth, rejectionGuard: { maxFailures: 5, cooldownMs: 60_000 } });
 * new Client({ auth, rejectionGuard: false }); // off
 * ```
 */
export interface RejectionGuardOptions {
  /** Consecutive failures that trip the guard: an integer >= 1 (default 3). */
  maxFailures?: number;
  /** How long requests fail fast once tripped, in milliseconds: finite, >= 0 (default 30 000). */
  cooldownMs?: number;
}

/**
 * What {@link RejectionGuard.enter} hands back: whether this attempt holds
 * the slot (and so must hand it back through `record` or `abandon`).
 */
export type GuardTicket = boolean;

/** A waiter looks at the slot again after 1, 2, 4 … ms, then every this many. */
const MOST_POLL_MS = 16;

/**
 * The credentials' identity at `origin`, or null when only the flow learns it
 * (it then passes the guard through `guardedSend`, src/guard/late.ts).
 */
function identityOf(auth: Auth, origin: string): string | null {
  const identify = (auth as Partial<IdentifiedAuth>)[credentialIdentity];
  return typeof identify === "function" ? identify.call(auth, origin) : objectIdentity(auth);
}

/** The guard as the send path uses it. */
export class RejectionGuard {
  readonly #maxFailures: number;
  readonly #cooldownMs: number;
  #last: { readonly auth: Auth; readonly origin: string; readonly state: GuardState } | undefined;

  constructor(given: RejectionGuardOptions | true = {}) {
    // `rejectionGuard: true` reads as "on, with the defaults".
    const options = given === true ? {} : given;
    checkObject("rejectionGuard", options);
    checkInteger("rejectionGuard.maxFailures", options.maxFailures, 1);
    checkNumber("rejectionGuard.cooldownMs", options.cooldownMs, 0);
    this.#maxFailures = options.maxFailures ?? 3;
    this.#cooldownMs = options.cooldownMs ?? 30_000;
  }

  /** Throws AuthRejectedError while the credentials of `auth` are cooling down for `origin`. */
  check(auth: Auth, origin: string): void {
    const identity = identityOf(auth, origin);
    const state = identity === null ? undefined : peekState(`${origin} ${identity}`);
    if (state !== undefined) this.#checkState(state, origin);
  }

  /**
   * Admits one attempt with `auth` to `origin`. Credentials that have not
   * (or no longer) succeeded there are tried one attempt at a time, so that
   * 20 concurrent requests with a wrong password cost at most `maxFailures`
   * server-side attempts, not 20 (scenario LOOP-02 in SECURITY.md). Once a request
   * succeeds, attempts run in parallel again: that path does one map lookup
   * and no await. Throws AuthRejectedError while cooling down; rejects with
   * the signal's reason if `signal` aborts while waiting. A waiting attempt
   * looks again on its own timer (never on another request's promise).
   */
  enter(auth: Auth, origin: string, signal?: AbortSignal): GuardTicket | Promise<GuardTicket> {
    const state = this.#state(auth, origin);
    if (state === null) {
      bind(auth, origin, this);
      return false;
    }
    return this.admit(state, origin, signal);
  }

  /** Records the final response to a request sent with `auth` to `origin`. */
  record(auth: Auth, origin: string, response: Response, ticket: GuardTicket = false): void {
    const state = this.#state(auth, origin);
    if (state === null) unbind(auth, origin);
    else this.settle(state, origin, response, ticket);
  }

  /**
   * Gives the slot back after an attempt that ended without a response
   * (network error, timeout, token endpoint failure). The server rejected
   * nothing, so the attempts that waited go ahead together rather than
   * one by one: shared failures (a token endpoint down) stay coalesced.
   */
  abandon(auth: Auth, origin: string, ticket: GuardTicket): void {
    const state = this.#state(auth, origin);
    if (state === null) unbind(auth, origin);
    else releaseSlot(state, ticket);
  }

  /** @internal Admission for a known state (also for flows that learn their credentials: `guardedSend`). */
  admit(state: GuardState, origin: string, signal: AbortSignal | undefined): GuardTicket | Promise<GuardTicket> {
    if (state.verified) return false;
    this.#checkState(state, origin);
    if (!state.slotTaken && state.line === undefined) {
      state.slotTaken = true;
      return true;
    }
    return this.#wait(state, origin, signal);
  }

  /** @internal The outcome of an admitted attempt. */
  settle(state: GuardState, origin: string, response: Response, ticket: GuardTicket): void {
    const live = state.evicted ? stateFor(state.key) : state;
    if (ticket) state.slotTaken = false;
    if (response.status !== 401 && response.status !== 407) {
      // Verified already: nothing failed since (the hot path, once credentials work).
      if (live.verified) return;
      live.failures = 0;
      live.blockedUntil = 0;
      live.verified = true;
      succeeded(live);
      return;
    }
    const now = Date.now();
    live.verified = false;
    live.failures += 1;
    live.realm = displayRealm(
      realmOf(response.headers.get("www-authenticate") ?? response.headers.get("proxy-authenticate") ?? ""),
    );
    if (live.failures >= this.#maxFailures) {
      live.blockedUntil = now + this.#cooldownMs;
      debug(
        `rejection guard tripped for ${origin} after ${live.failures} failures; cooling down ${this.#cooldownMs} ms`,
      );
    }
    // Kept through the cool-down and one more cool-down's length (or that long after a failure short of the limit).
    live.holdUntil = Math.max(live.blockedUntil, now) + this.#cooldownMs;
    failed(live, now);
  }

  #state(auth: Auth, origin: string): GuardState | null {
    // Most guards see one auth and one origin: remember the last pair's state while the store keeps it.
    const last = this.#last;
    if (last !== undefined && last.auth === auth && last.origin === origin && !last.state.evicted) return last.state;
    const identity = identityOf(auth, origin);
    if (identity === null) return null;
    const state = stateFor(`${origin} ${identity}`);
    this.#last = { auth, origin, state };
    return state;
  }

  /**
   * Waits for the slot by looking again on a timer of its own, never on a
   * promise another request settles: runtimes that tie promises to the
   * request that made them (Cloudflare workerd) cancel such waits.
   */
  #wait(state: GuardState, origin: string, signal: AbortSignal | undefined): Promise<GuardTicket> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    const number = ++state.issued;
    state.line ??= [];
    state.line.push(number);
    return new Promise<GuardTicket>((resolve, reject) => {
      let delay = 1;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const leave = () => {
        const index = state.line?.indexOf(number) ?? -1;
        if (index >= 0) state.line?.splice(index, 1);
        if (state.line?.length === 0) state.line = undefined;
        signal?.removeEventListener("abort", onAbort);
        if (timer !== undefined) clearTimeout(timer);
      };
      const onAbort = () => {
        leave();
        reject(signal?.reason);
      };
      const look = () => {
        let turn: GuardTicket | undefined;
        try {
          turn = this.#turn(state, number, origin);
        } catch (error) {
          leave();
          reject(error);
          return;
        }
        if (turn === undefined) {
          delay = Math.min(delay * 2, MOST_POLL_MS);
          timer = setTimeout(look, delay);
          return;
        }
        leave();
        resolve(turn);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      timer = setTimeout(look, delay);
    });
  }

  /** A waiter's look: go ahead (false), take the slot (true), keep waiting (undefined), or fail fast. */
  #turn(state: GuardState, number: number, origin: string): GuardTicket | undefined {
    if (state.evicted || state.verified || number <= state.releasedThrough) return false;
    this.#checkState(state, origin);
    if (state.slotTaken || state.line?.[0] !== number) return undefined;
    state.slotTaken = true;
    return true;
  }

  #checkState(state: GuardState, origin: string): void {
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
  for (index += 1; index < challenge.length && realm.length <= 200; index++) {
    const character = challenge[index];
    if (character === "\\") realm += challenge[++index] ?? "";
    else if (character === '"') return realm;
    else realm += character;
  }
  return realm.length > 200 ? realm : undefined;
}
