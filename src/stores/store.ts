/**
 * An OAuth 2.0 access token as authflow caches it.
 *
 * @example
 * ```ts
 * const token: Token = await auth.getToken();
 * console.log(token.tokenType, new Date(token.expiresAt ?? 0));
 * ```
 */
export interface Token {
  /** The access token itself. A secret: never log it. */
  readonly accessToken: string;
  /** `"Bearer"` (normalised from any case). */
  readonly tokenType: string;
  /** When it expires, in epoch milliseconds (local clock); absent when the server gave no `expires_in`. */
  readonly expiresAt?: number;
  /** The scope granted, when the server said. */
  readonly scope?: string;
  /** The token endpoint's JSON answer as received. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/**
 * Where tokens are cached, and how refreshes are serialised. The memory store
 * serves one process; `RedisTokenStore` (`authflow/redis`) serves a fleet.
 *
 * Implementations must be safe under concurrency: `withLock(key, fn)` runs
 * `fn` while no other holder of the same key's lock (in any process that
 * shares the store) runs its own.
 *
 * @example
 * ```ts
 * const store: TokenStore = new MemoryTokenStore();
 * await store.set("k", token, 60_000);
 * await store.withLock("k", async () => { … });
 * ```
 */
export interface TokenStore {
  /** The cached token for `key`, or undefined when there is none (or it has lapsed from the store). */
  get(key: string): Promise<Token | undefined>;
  /** Caches `token` under `key` for `ttlMs` milliseconds. */
  set(key: string, token: Token, ttlMs: number): Promise<void>;
  /** Forgets the token under `key`. */
  delete(key: string): Promise<void>;
  /** Runs `fn` holding `key`'s lock across every holder of the store; resolves to what `fn` returns. */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Optional, for stores shared by a fleet (`RedisTokenStore` has it): a
   * refresh that is never done twice. `fn` runs holding `key`'s lock only
   * while the stored token does not satisfy `options.satisfies` — checked
   * before the lock is taken and again each time another holder releases it,
   * so a waiter whose work was done meanwhile takes the token instead of the
   * lock. Resolves to `fn`'s token or the stored one that satisfied; to
   * undefined when `options.wait` is false and another holder had the lock
   * and left no satisfying token. Stores without it get the same contract
   * from `withLock` and `get`.
   */
  refresh?(
    key: string,
    options: RefreshOptions,
    fn: (current: Token | undefined) => Promise<Token>,
  ): Promise<Token | undefined>;
}

/**
 * How {@link TokenStore.refresh} decides whether the work is still to do.
 *
 * @example
 * ```ts
 * const options: RefreshOptions = {
 *   seen: staleToken,
 *   satisfies: (token) => token !== undefined && token.accessToken !== staleToken.accessToken,
 *   wait: false,
 * };
 * ```
 */
export interface RefreshOptions {
  /** The token the caller last read from the store (undefined: none); a store may compare against it instead of reading. */
  readonly seen: Token | undefined;
  /** True when `token` (what the store holds; undefined: nothing) makes the refresh unnecessary. */
  readonly satisfies: (token: Token | undefined) => boolean;
  /**
   * false for a background refresh: try the lock once, and when another
   * holder has it, wait for that holder's result instead of taking it after.
   */
  readonly wait: boolean;
}
