/**
 * The one eviction rule of every map in src/oauth2: a `Map` keeps insertion
 * order, so re-inserting on use makes its first key the least recently used.
 */

/**
 * Sets `key` as the newest entry of `map`, then drops the oldest entries
 * until at most `limit` remain.
 *
 * @example
 * ```ts
 * const seen = new Map<string, number>();
 * setBounded(seen, "a", 1, 2); setBounded(seen, "b", 2, 2); setBounded(seen, "c", 3, 2);
 * [...seen.keys()]; // ["b", "c"]
 * ```
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > limit) {
    const oldest = map.keys().next();
    if (oldest.done === true) return;
    map.delete(oldest.value);
  }
}

/**
 * The value of `key`, moved to the newest position (a use), or undefined.
 *
 * @example
 * ```ts
 * const value = getTouched(seen, "b");
 * ```
 */
export function getTouched<K, V>(map: Map<K, V>, key: K): V | undefined {
  const value = map.get(key);
  if (value === undefined) return undefined;
  map.delete(key);
  map.set(key, value);
  return value;
}
