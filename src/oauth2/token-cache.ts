import { AuthRejectedError, OAuthError } from "../errors.js";
import type { Token, TokenStore } from "../stores/store.js";
import { type Latest, latestFor } from "./cache-key.js";
import { inRefreshWindow } from "./freshness.js";
import type { ResolvedOptions } from "./options.js";
import { type CredentialGuard, isCredentialRejection } from "./rejections.js";
import { raceAbort, Timers } from "./retry.js";
import { refreshThrough } from "./store-refresh.js";
import { MAX_LIFETIME_SECONDS } from "./token-response.js";

export { tokenCacheKey } from "./cache-key.js";

/**
 * What a {@link TokenCache} needs besides its key.
 *
 * @example
 * ```ts
 * const config: TokenCacheOptions = { store: new MemoryTokenStore(), options, acquire: (timers) => requestToken({ …, timers }) };
 * ```
 */
export interface TokenCacheOptions {
  readonly store: TokenStore;
  readonly options: ResolvedOptions;
  /** Asks the token endpoint for a new token (with its retries), using `timers` for every wait. */
  readonly acquire: (timers: Timers) => Promise<Token>;
  /** The token endpoint's bad-credential guard for these credentials. */
  readonly guard: CredentialGuard;
  readonly onToken?: ((token: Token) => void) | undefined;
  readonly onRefreshError?: ((error: Error) => void) | undefined;
}

/**
 * After an RFC 6749 §5.2 error that is not a credential rejection (those go
 * through the CredentialGuard), callers get the same error without a new
 * request for 1 s, doubling with each repeat up to 60 s (NangoHQ #5090).
 */
const FAILURE_COOLDOWN_MS = 1_000;
const FAILURE_COOLDOWN_MAX_MS = 60_000;
/**
 * How long the fast path trusts what this process last read from the store:
 * a token that another process put in a shared store (a forced refresh
 * there) is what requests send at most this long after it landed.
 */
export const STORE_CHECK_MS = 1_000;
/** Longest pause between background refresh attempts while the old token still serves. */
const BACKGROUND_RETRY_MAX_MS = 30_000;
/** Tokens the resource server called invalid, remembered so this process does not send them again. */
const REJECTED_MEMORY = 16;

interface RefreshRun {
  /** Undefined when a background run found another process refreshing and it left no usable token. */
  readonly promise: Promise<Token | undefined>;
  readonly timers: Timers;
}

/**
 * One cache entry's life: serve, refresh ahead of expiry in the background,
 * replace after a 401, and make every concurrent caller share one token request
 * (single flight in this process; the store's lock across processes, taken
 * only while the stored token is still not good enough — issue 13.2).
 * Within a process the store is read once per burst, and at most once per
 * {@link STORE_CHECK_MS} while the token is fresh.
 *
 * @example
 * ```ts
 * const cache = new TokenCache(key, { store, options, acquire: (timers) => requestToken({ …, timers }) });
 * const token = await cache.get();
 * ```
 */
export class TokenCache {
  readonly #key: string;
  readonly #config: TokenCacheOptions;
  readonly #rejected = new Set<string>();
  /** Shared with every TokenCache of this (store, key) in the process. */
  readonly #latest: Latest;
  #run: RefreshRun | undefined;
  #reading: { readonly promise: Promise<Token | undefined>; readonly version: number } | undefined;
  #backgroundFailures = 0;
  #backgroundNotBefore = Number.NEGATIVE_INFINITY;
  #failure: { error: Error; until: number; count: number } | undefined;

  constructor(key: string, config: TokenCacheOptions) {
    this.#key = key;
    this.#config = config;
    this.#latest = latestFor(config.store, key);
  }

  /** A usable token: the cached one, or a new one if there is none, it expired, or `forceRefresh`. */
  async get(options: { forceRefresh?: boolean; signal?: AbortSignal | undefined } = {}): Promise<Token> {
    const cached = await this.#known();
    if (options.forceRefresh === true) return raceAbort(this.#refresh(cached, cached?.accessToken), options.signal);
    if (cached !== undefined && this.#usable(cached)) {
      if (this.#stale(cached)) this.#refreshInBackground(cached);
      return cached;
    }
    return raceAbort(this.#refresh(cached, cached?.accessToken), options.signal);
  }

  /**
   * The token to resend with after `rejected` got a 401 `invalid_token`: a
   * newer cached one if there is one (no request), else a new one shared by
   * every request that failed with `rejected`.
   */
  async replace(rejected: string, signal?: AbortSignal): Promise<Token> {
    this.#remember(rejected);
    const cached = await this.#read();
    if (cached !== undefined && cached.accessToken !== rejected && this.#usable(cached)) return cached;
    return raceAbort(this.#refresh(cached, rejected), signal);
  }

  /**
   * @internal The fast path (src/fast-path.ts): the newest token this process
   * knows for the key, while it may be sent without asking the store — not
   * expired, not called invalid, outside the refresh window, and read from
   * the store less than {@link STORE_CHECK_MS} ago — or, while a refresh is
   * under way, any usable token: it serves until the refresh ends. Otherwise
   * undefined: the flow runs, reads the store (one read per burst) and
   * refreshes if due.
   */
  current(): Token | undefined {
    const { token, readAt } = this.#latest;
    if (token === undefined) return undefined;
    const now = this.#config.options.now();
    if (!this.#usable(token, now)) return undefined;
    if (this.#run !== undefined) return token;
    if (now - readAt >= STORE_CHECK_MS || now < readAt) return undefined;
    return this.#stale(token, now) ? undefined : token;
  }

  /** Forgets remembered failures and the credential guard's rejections (`ClientCredentialsAuth.reset()`). */
  reset(): void {
    this.#failure = undefined;
    this.#backgroundFailures = 0;
    this.#backgroundNotBefore = Number.NEGATIVE_INFINITY;
    this.#config.guard.reset();
  }

  /**
   * The newest token this process knows, without a store read while that is
   * recent (less than {@link STORE_CHECK_MS}) or a refresh is under way.
   */
  #known(): Token | undefined | Promise<Token | undefined> {
    const { token, readAt } = this.#latest;
    const now = this.#config.options.now();
    if (token === undefined || !this.#usable(token, now)) return this.#read();
    if (this.#run !== undefined || (now - readAt < STORE_CHECK_MS && now >= readAt)) return token;
    return this.#read();
  }

  /** The store's token; concurrent callers share one read unless a write landed since it started. */
  #read(): Promise<Token | undefined> {
    const latest = this.#latest;
    const reading = this.#reading;
    if (reading !== undefined && reading.version === latest.version) return reading.promise;
    const version = latest.version;
    const promise = this.#config.store.get(this.#key).then((token) => {
      if (latest.version === version) {
        latest.token = token;
        latest.readAt = this.#config.options.now();
      }
      return token;
    });
    const current = { promise, version };
    this.#reading = current;
    const clear = () => {
      if (this.#reading === current) this.#reading = undefined;
    };
    promise.then(clear, clear);
    return promise;
  }

  /** Records `token` as the newest for the key: what the fast path of every instance sends next. */
  #adopt(token: Token): void {
    const latest = this.#latest;
    latest.token = token;
    latest.readAt = this.#config.options.now();
    latest.version += 1;
  }

  /**
   * A new token for callers that need one: the run under way if there is one
   * (a background run that ends without a token leaves them to start their
   * own), else a new run that waits for the fleet's lock.
   */
  #refresh(seen: Token | undefined, replacing: string | undefined): Promise<Token> {
    const run = this.#run;
    if (run !== undefined) {
      // A foreground caller now waits on it: its backoff timers must keep the process alive.
      run.timers.hold();
      return run.promise.then((token) => token ?? this.#refresh(this.#latest.token, replacing));
    }
    return this.#start(seen, replacing, true).then((token) => token ?? Promise.reject(noToken()));
  }

  #start(seen: Token | undefined, replacing: string | undefined, foreground: boolean): Promise<Token | undefined> {
    // Neither cool-down yields to forceRefresh: a loop of forced refreshes must not hammer; reset() does.
    const failure = this.#failure;
    if (failure !== undefined && this.#config.options.now() < failure.until) return Promise.reject(failure.error);
    try {
      this.#config.guard.check();
    } catch (error) {
      return Promise.reject(error);
    }
    const timers = new Timers(foreground);
    // Another holder of the lock (a process sharing the store) may have refreshed already: then no request.
    const satisfies = (token: Token | undefined): token is Token =>
      token !== undefined && token.accessToken !== replacing && this.#usable(token) && !this.#stale(token);
    const promise = refreshThrough(this.#config.store, this.#key, { seen, satisfies, wait: foreground }, (current) =>
      this.#refreshHolding(current, replacing, timers),
    ).then((token) => {
      if (token !== this.#latest.token && satisfies(token)) this.#adopt(token);
      return token;
    });
    const run: RefreshRun = { promise, timers };
    this.#run = run;
    // Registered before any caller's await, so the run is cleared before they resume.
    promise.then(
      (token) => this.#settled(run, token, undefined),
      (error: unknown) => this.#settled(run, undefined, error),
    );
    return promise;
  }

  /** Holding the lock, with `current` what the store had when it was taken. */
  async #refreshHolding(current: Token | undefined, replacing: string | undefined, timers: Timers): Promise<Token> {
    const { store } = this.#config;
    // Drop a rejected token only if it is still the cached one: a newer one is someone else's good token.
    if (current !== undefined && current.accessToken === replacing && this.#rejected.has(replacing)) {
      await store.delete(this.#key);
    }
    const token = await this.#config.guard.attempt(() => this.#config.acquire(timers));
    await this.#save(token);
    callHook(this.#config.onToken, token);
    return token;
  }

  async #save(token: Token): Promise<void> {
    const now = this.#config.options.now();
    // expires_in 0: already expired; handed to the callers that asked, never cached.
    if (token.expiresAt !== undefined && token.expiresAt <= now) return;
    const ttl = token.expiresAt === undefined ? MAX_LIFETIME_SECONDS * 1000 : token.expiresAt - now;
    await this.#config.store.set(this.#key, token, ttl);
    this.#adopt(token);
  }

  #settled(run: RefreshRun, token: Token | undefined, error: unknown): void {
    if (this.#run === run) this.#run = undefined;
    // Another process held the lock and left no usable token: nothing failed here; the next request tries.
    if (token === undefined && error === undefined) return;
    const now = this.#config.options.now();
    if (token !== undefined) {
      this.#backgroundFailures = 0;
      this.#backgroundNotBefore = Number.NEGATIVE_INFINITY;
      this.#failure = undefined;
      return;
    }
    const failure = error instanceof Error ? error : new Error(String(error));
    if (failure instanceof OAuthError && !isCredentialRejection(failure)) {
      const count = (this.#failure?.count ?? 0) + 1;
      const pause = Math.min(FAILURE_COOLDOWN_MAX_MS, FAILURE_COOLDOWN_MS * 2 ** (count - 1));
      this.#failure = { error: failure, until: now + pause, count };
    }
    this.#backgroundFailures += 1;
    this.#backgroundNotBefore = now + Math.min(BACKGROUND_RETRY_MAX_MS, 1000 * 2 ** (this.#backgroundFailures - 1));
    // The guard refusing is not a failed token request: nothing was sent.
    if (!(failure instanceof AuthRejectedError)) callHook(this.#config.onRefreshError, failure);
  }

  #refreshInBackground(current: Token): void {
    if (this.#run !== undefined) return;
    if (this.#config.options.now() < this.#backgroundNotBefore) return;
    // Failures are reported through onRefreshError; the old token keeps serving meanwhile.
    this.#start(current, current.accessToken, false).catch(() => {});
  }

  /** Not expired, and not called invalid by a resource server. RFC 6749 §5.1: expires_in counts from issuance. */
  #usable(token: Token, now = this.#config.options.now()): boolean {
    if (this.#rejected.has(token.accessToken)) return false;
    return token.expiresAt === undefined || now < token.expiresAt;
  }

  /** Inside the refresh window (see inRefreshWindow). */
  #stale(token: Token, now = this.#config.options.now()): boolean {
    return inRefreshWindow(token, now, this.#config.options.refreshLeewayMs);
  }

  #remember(rejected: string): void {
    this.#rejected.add(rejected);
    if (this.#rejected.size > REJECTED_MEMORY) {
      const oldest = this.#rejected.values().next().value as string;
      this.#rejected.delete(oldest);
    }
  }
}

/** A store whose refresh() resolved to nothing for a caller that waits: it broke the TokenStore contract. */
function noToken(): Error {
  return new TypeError("the token store's refresh() resolved to no token for a caller that waits for one");
}

function callHook<T>(hook: ((value: T) => void) | undefined, value: T): void {
  try {
    hook?.(value);
  } catch {
    // A logging hook must not break authentication.
  }
}
