import { sha256Hex } from "../schemes/sha.js";
import { OAuthError } from "../errors.js";
import type { Token, TokenStore } from "../stores/store.js";
import type { ResolvedOptions } from "./options.js";
import { raceAbort, Timers } from "./retry.js";
import { lifetimeSeconds, MAX_LIFETIME_SECONDS } from "./token-response.js";

/**
 * The cache key of a token: everything that changes which token the server
 * would issue (OAUTH-05) — token endpoint, client id, client authentication
 * method, the sorted deduplicated scopes, audience, resources and extra
 * parameters. JSON of an array is unambiguous; the SHA-256 keeps the key short,
 * free of separators and of the client id, whatever store holds it.
 *
 * @example
 * ```ts
 * tokenCacheKey("https://as.example/token", resolveOptions({ tokenUrl, clientId: "c", scope: "b a" }));
 * // "authflow:oauth2:cc:3f0c…"
 * ```
 */
export function tokenCacheKey(endpoint: string, options: ResolvedOptions): string {
  const extra = Object.entries(options.extraParams).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const identity = JSON.stringify([
    endpoint,
    options.clientId,
    options.clientAuth,
    options.scopes,
    options.audience ?? null,
    options.resources,
    extra,
  ]);
  return `authflow:oauth2:cc:${sha256Hex(new TextEncoder().encode(identity))}`;
}

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
  readonly onToken?: ((token: Token) => void) | undefined;
  readonly onRefreshError?: ((error: Error) => void) | undefined;
}

/** After an RFC 6749 §5.2 error, callers within this window get the same error without a new request (no hammering, NangoHQ #5090). */
const FAILURE_COOLDOWN_MS = 1_000;
/** Longest pause between background refresh attempts while the old token still serves. */
const BACKGROUND_RETRY_MAX_MS = 30_000;
/** Tokens the resource server called invalid, remembered so this process does not send them again. */
const REJECTED_MEMORY = 16;

interface RefreshRun {
  readonly promise: Promise<Token>;
  readonly timers: Timers;
}

/**
 * One cache entry's life: serve, refresh ahead of expiry in the background,
 * replace after a 401, and make every concurrent caller share one token request
 * (single flight in this process; the store's `withLock` across processes).
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
  #run: RefreshRun | undefined;
  #backgroundFailures = 0;
  #backgroundNotBefore = Number.NEGATIVE_INFINITY;
  #failure: { error: OAuthError; until: number } | undefined;

  constructor(key: string, config: TokenCacheOptions) {
    this.#key = key;
    this.#config = config;
  }

  /** A usable token: the cached one, or a new one if there is none, it expired, or `forceRefresh`. */
  async get(options: { forceRefresh?: boolean; signal?: AbortSignal | undefined } = {}): Promise<Token> {
    const cached = await this.#config.store.get(this.#key);
    if (options.forceRefresh === true) return raceAbort(this.#refresh(cached?.accessToken, true, true), options.signal);
    if (cached !== undefined && this.#usable(cached)) {
      if (this.#stale(cached)) this.#refreshInBackground(cached.accessToken);
      return cached;
    }
    return raceAbort(this.#refresh(cached?.accessToken, true, false), options.signal);
  }

  /**
   * The token to resend with after `rejected` got a 401 `invalid_token`: a
   * newer cached one if there is one (no request), else a new one shared by
   * every request that failed with `rejected`.
   */
  async replace(rejected: string, signal?: AbortSignal): Promise<Token> {
    this.#remember(rejected);
    const cached = await this.#config.store.get(this.#key);
    if (cached !== undefined && cached.accessToken !== rejected && this.#usable(cached)) return cached;
    return raceAbort(this.#refresh(rejected, true, false), signal);
  }

  /**
   * @internal The fast path (src/fast-path.ts): true while `token` may be
   * sent without asking the store — not expired, not called invalid, and
   * outside the refresh window (inside it the flow runs, and refreshes).
   */
  fresh(token: Token): boolean {
    return this.#usable(token) && !this.#stale(token);
  }

  #refresh(replacing: string | undefined, foreground: boolean, force: boolean): Promise<Token> {
    if (this.#run !== undefined) {
      // A foreground caller now waits on it: its backoff timers must keep the process alive.
      if (foreground) this.#run.timers.hold();
      return this.#run.promise;
    }
    const now = this.#config.options.now();
    if (!force && this.#failure !== undefined && now < this.#failure.until) return Promise.reject(this.#failure.error);
    const timers = new Timers(foreground);
    const promise = this.#config.store.withLock(this.#key, () => this.#refreshLocked(replacing, timers));
    const run: RefreshRun = { promise, timers };
    this.#run = run;
    // Registered before any caller's await, so the run is cleared before they resume.
    promise.then(
      (token) => this.#settled(run, token, undefined),
      (error: unknown) => this.#settled(run, undefined, error),
    );
    return promise;
  }

  async #refreshLocked(replacing: string | undefined, timers: Timers): Promise<Token> {
    const { store } = this.#config;
    const cached = await store.get(this.#key);
    // Another holder of the lock (a process sharing the store) may have refreshed already.
    if (cached !== undefined && cached.accessToken !== replacing && this.#usable(cached) && !this.#stale(cached)) {
      return cached;
    }
    // Drop a rejected token only if it is still the cached one: a newer one is someone else's good token.
    if (cached !== undefined && cached.accessToken === replacing && this.#rejected.has(replacing)) {
      await store.delete(this.#key);
    }
    const token = await this.#config.acquire(timers);
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
  }

  #settled(run: RefreshRun, token: Token | undefined, error: unknown): void {
    if (this.#run === run) this.#run = undefined;
    const now = this.#config.options.now();
    if (token !== undefined) {
      this.#backgroundFailures = 0;
      this.#backgroundNotBefore = Number.NEGATIVE_INFINITY;
      this.#failure = undefined;
      return;
    }
    const failure = error instanceof Error ? error : new Error(String(error));
    if (failure instanceof OAuthError) this.#failure = { error: failure, until: now + FAILURE_COOLDOWN_MS };
    this.#backgroundFailures += 1;
    this.#backgroundNotBefore = now + Math.min(BACKGROUND_RETRY_MAX_MS, 1000 * 2 ** (this.#backgroundFailures - 1));
    callHook(this.#config.onRefreshError, failure);
  }

  #refreshInBackground(current: string): void {
    if (this.#run !== undefined) return;
    if (this.#config.options.now() < this.#backgroundNotBefore) return;
    // Failures are reported through onRefreshError; the old token keeps serving meanwhile.
    this.#refresh(current, false, false).catch(() => {});
  }

  /** Not expired, and not called invalid by a resource server. RFC 6749 §5.1: expires_in counts from issuance. */
  #usable(token: Token): boolean {
    if (this.#rejected.has(token.accessToken)) return false;
    return token.expiresAt === undefined || this.#config.options.now() < token.expiresAt;
  }

  /**
   * Inside the refresh window: less than min(leeway, lifetime / 2) left
   * (OAUTH-07: a 10 s token with a 60 s leeway must not refresh on every
   * request). A clock that now reads earlier than when the token was obtained
   * has jumped back; the remaining time is then unknown, so refresh.
   */
  #stale(token: Token): boolean {
    if (token.expiresAt === undefined) return false;
    const lifetimeMs = tokenLifetimeMs(token) ?? this.#config.options.refreshLeewayMs * 2;
    const leeway = Math.min(this.#config.options.refreshLeewayMs, lifetimeMs / 2);
    const now = this.#config.options.now();
    return now >= token.expiresAt - leeway || now < token.expiresAt - lifetimeMs;
  }

  #remember(rejected: string): void {
    this.#rejected.add(rejected);
    if (this.#rejected.size > REJECTED_MEMORY) {
      const oldest = this.#rejected.values().next().value as string;
      this.#rejected.delete(oldest);
    }
  }
}

/** The lifetime the server declared, from the token's raw answer; undefined when it cannot tell. */
function tokenLifetimeMs(token: Token): number | undefined {
  try {
    const seconds = lifetimeSeconds(token.raw.expires_in, 200);
    return seconds === undefined ? undefined : seconds * 1000;
  } catch {
    return undefined;
  }
}

function callHook<T>(hook: ((value: T) => void) | undefined, value: T): void {
  try {
    hook?.(value);
  } catch {
    // A logging hook must not break authentication.
  }
}
