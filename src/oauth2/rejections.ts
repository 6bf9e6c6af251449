import { AuthRejectedError, OAuthError, TokenEndpointError } from "../errors.js";
import { getTouched, setBounded } from "./bounded.js";

/**
 * The bad-credential guard of the token endpoint (issue 12.2): a rejected
 * client secret is presented again only on a growing, capped schedule, as a
 * rejected password is, because authorization servers lock clients out too.
 *
 * After rejection n, the next token request may go out after:
 * n = 1, 2: 1 s (a transient rejection, e.g. a secret still propagating);
 * n ≥ 3: 60 s · 2^(n-3), at most 30 min — callers meanwhile get
 * {@link AuthRejectedError} at once. Continuous traffic with a wrong secret so
 * costs 3 token requests in the first minute and 8 in the first hour.
 *
 * The state is per credential identity (endpoint, client, method, a keyed
 * digest of the secret or key), shared by every instance in this process with
 * that configuration; another secret starts afresh, as does `reset()`. Only
 * rejected credentials have an entry (a success removes it), at most
 * {@link REJECTION_MEMORY} of them, least recently rejected evicted first.
 */
export const REJECTION_MEMORY = 4_096;
/** Rejections answered with the server's own error before the guard fails fast with AuthRejectedError. */
export const FAIL_FAST_AFTER = 3;
const SHORT_PAUSE_MS = 1_000;
const FIRST_COOLDOWN_MS = 60_000;
const MAX_COOLDOWN_MS = 30 * 60_000;

interface RejectionState {
  failures: number;
  notBefore: number;
  lastError: Error;
  /** The attempt holding the slot while the credentials are unproven, settled when it ends. */
  attempt: Promise<void> | undefined;
}

const states = new Map<string, RejectionState>();
/** Credentials that got a token in this process and were not rejected since: attempts need no slot. */
const proven = new Map<string, true>();

/**
 * True for an answer that rejects the client's credentials: RFC 6749 §5.2
 * `invalid_client` or `unauthorized_client`, or any 401 from the token
 * endpoint (§5.2: the status of a failed client authentication).
 *
 * @example
 * ```ts
 * isCredentialRejection(new OAuthError("…", { error: "invalid_client", status: 401 })); // true
 * ```
 */
export function isCredentialRejection(error: unknown): boolean {
  if (error instanceof OAuthError) {
    return error.error === "invalid_client" || error.error === "unauthorized_client" || error.status === 401;
  }
  return error instanceof TokenEndpointError && error.status === 401;
}

/**
 * The guard for one credential identity, as a TokenCache uses it.
 *
 * @example
 * ```ts
 * const guard = new CredentialGuard(key, "https://as.example/token", Date.now);
 * guard.check();                                   // throws while cooling down
 * const token = await guard.attempt(() => requestToken(…));
 * ```
 */
export class CredentialGuard {
  readonly #key: string;
  readonly #endpoint: string;
  readonly #now: () => number;

  constructor(key: string, endpoint: string, now: () => number) {
    this.#key = key;
    this.#endpoint = endpoint;
    this.#now = now;
  }

  /** Throws while a token request must not go out: the last rejection again, or AuthRejectedError. */
  check(): void {
    const state = states.get(this.#key);
    if (state === undefined) return;
    const wait = state.notBefore - this.#now();
    if (wait <= 0) return;
    if (state.failures < FAIL_FAST_AFTER) throw state.lastError;
    throw new AuthRejectedError(
      `the token endpoint ${this.#endpoint} rejected the client credentials ${state.failures} times in a row ` +
        `(${describe(state.lastError)}); not presenting them again for ${Math.ceil(wait / 1000)} s, to avoid a ` +
        "lock-out. Fix clientSecret or privateKey, then call reset() or create a new ClientCredentialsAuth.",
      wait,
    );
  }

  /**
   * Runs one token request through the guard. While the credentials are not
   * proven, one request at a time (across every scope set and instance), so a
   * burst with a wrong secret costs one rejection, not one per caller.
   */
  async attempt<T>(request: () => Promise<T>): Promise<T> {
    for (;;) {
      this.check();
      if (proven.has(this.#key)) return this.#record(request);
      const state = states.get(this.#key);
      if (state?.attempt === undefined) break;
      await state.attempt;
    }
    const state = this.#state();
    let settle!: () => void;
    state.attempt = new Promise((resolve) => {
      settle = resolve;
    });
    try {
      return await this.#record(request);
    } finally {
      state.attempt = undefined;
      // Nothing rejected (a success, or a network error): no state to keep.
      if (state.failures === 0 && states.get(this.#key) === state) states.delete(this.#key);
      settle();
    }
  }

  /** Forgets every rejection of these credentials (`ClientCredentialsAuth.reset()`). */
  reset(): void {
    // An attempt in flight still wakes its waiters: they hold the old state object.
    states.delete(this.#key);
  }

  async #record<T>(request: () => Promise<T>): Promise<T> {
    try {
      const result = await request();
      states.delete(this.#key);
      setBounded(proven, this.#key, true, REJECTION_MEMORY);
      return result;
    } catch (error) {
      if (isCredentialRejection(error)) this.#rejected(error as Error);
      throw error;
    }
  }

  #rejected(error: Error): void {
    proven.delete(this.#key);
    const state = this.#state();
    state.failures += 1;
    state.lastError = error;
    const pause =
      state.failures < FAIL_FAST_AFTER
        ? SHORT_PAUSE_MS
        : Math.min(MAX_COOLDOWN_MS, FIRST_COOLDOWN_MS * 2 ** (state.failures - FAIL_FAST_AFTER));
    state.notBefore = this.#now() + pause;
  }

  #state(): RejectionState {
    let state = getTouched(states, this.#key);
    if (state === undefined) {
      state = { failures: 0, notBefore: Number.NEGATIVE_INFINITY, lastError: new Error(), attempt: undefined };
      setBounded(states, this.#key, state, REJECTION_MEMORY);
    }
    return state;
  }
}

function describe(error: Error): string {
  if (error instanceof OAuthError) return `${error.error}, HTTP ${error.status}`;
  return error instanceof TokenEndpointError ? `HTTP ${error.status}` : error.name;
}
