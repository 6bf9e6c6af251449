import type { RefreshOptions, Token, TokenStore } from "../stores/store.js";

/**
 * A refresh through `store` that is never done twice: the store's own
 * `refresh` when it has one (a fleet store compares and locks in one step,
 * and wakes its waiters with the new token), else `withLock` and a read
 * inside it — the holder that finds a satisfying token takes it and does no
 * work. With `withLock` alone, `wait: false` still waits: an in-process lock
 * is held only as long as a token request.
 *
 * @example
 * ```ts
 * const token = await refreshThrough(store, key, { seen, satisfies, wait: true }, (current) => fetchToken());
 * ```
 */
export function refreshThrough(
  store: TokenStore,
  key: string,
  options: RefreshOptions,
  fn: (current: Token | undefined) => Promise<Token>,
): Promise<Token | undefined> {
  if (typeof store.refresh === "function") return store.refresh(key, options, fn);
  return store.withLock(key, async () => {
    const current = await store.get(key);
    return options.satisfies(current) ? current : fn(current);
  });
}
