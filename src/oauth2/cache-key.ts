import { sha256Hex } from "../hashes/sha.js";
import type { Token, TokenStore } from "../stores/store.js";
import { getTouched, setBounded } from "./bounded.js";
import type { ResolvedOptions } from "./options.js";

/**
 * The cache key of a token: everything that changes which token the server
 * would issue (OAUTH-05) — token endpoint, client id, client authentication
 * method, the credential's identity (a keyed digest of the secret or the
 * key's thumbprint, see `credentialIdentity`: two secrets never share a
 * token, issue 12.1), the sorted deduplicated scopes, audience, resources and
 * extra parameters, and for DPoP the key's RFC 7638 thumbprint (`binding`:
 * tokens bound to different keys never mix; a fleet sharing one key shares
 * them). JSON of an array is unambiguous; the SHA-256 keeps the key
 * short, free of separators, of the client id and of the credential, whatever
 * store holds it.
 *
 * @example
 * ```ts
 * tokenCacheKey("https://as.example/token", resolveOptions({ tokenUrl, clientId: "c", scope: "b a" }), "secret:9f2c…");
 * // "authflow:oauth2:cc:3f0c…"
 * ```
 */
export function tokenCacheKey(
  endpoint: string,
  options: ResolvedOptions,
  credential: string,
  binding?: string,
): string {
  const extra = Object.entries(options.extraParams).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: unknown[] = [
    endpoint,
    options.clientId,
    options.clientAuth,
    options.scopes,
    options.audience ?? null,
    options.resources,
    extra,
    credential,
  ];
  // Appended only when bound, so the keys of Bearer tokens stay what they were.
  if (binding !== undefined) parts.push(`dpop:${binding}`);
  const identity = JSON.stringify(parts);
  return `authflow:oauth2:cc:${sha256Hex(new TextEncoder().encode(identity))}`;
}

/**
 * The key of the client's credentials alone (no scope): what the token
 * endpoint's bad-credential guard counts by, so a wrong secret is not retried
 * once per scope set.
 *
 * @example
 * ```ts
 * credentialKey("https://as.example/token", resolveOptions({ tokenUrl, clientId: "c" }), "secret:9f2c…");
 * ```
 */
export function credentialKey(configuredUrl: string, options: ResolvedOptions, credential: string): string {
  const identity = JSON.stringify([configuredUrl, options.clientId, options.clientAuth, credential]);
  return `authflow:oauth2:client:${sha256Hex(new TextEncoder().encode(identity))}`;
}

/**
 * What every TokenCache of one (store, key) in this process knows: the newest
 * token it saw and when the store was last read. Shared, so a forced refresh
 * by one instance is what the next request of any other sends at once.
 *
 * @example
 * ```ts
 * const latest = latestFor(store, key);
 * latest.token; // the newest token seen, or undefined
 * ```
 */
export interface Latest {
  token: Token | undefined;
  /** When (on the options' clock) the store was last read or written. */
  readAt: number;
  /** Bumped on each write: a read that started before it must not overwrite what it wrote. */
  version: number;
}

/** (store, key) pairs remembered per store; an evicted one costs a store read, never a wrong token. */
const LATEST_MEMORY = 1_024;
const registry = new WeakMap<TokenStore, Map<string, Latest>>();

/**
 * The shared {@link Latest} of `key` in `store`.
 *
 * @example
 * ```ts
 * const latest = latestFor(store, tokenCacheKey(endpoint, options, credential));
 * ```
 */
export function latestFor(store: TokenStore, key: string): Latest {
  let byKey = registry.get(store);
  if (byKey === undefined) {
    byKey = new Map();
    registry.set(store, byKey);
  }
  let latest = getTouched(byKey, key);
  if (latest === undefined) {
    latest = { token: undefined, readAt: Number.NEGATIVE_INFINITY, version: 0 };
    setBounded(byKey, key, latest, LATEST_MEMORY);
  }
  return latest;
}
