import { createHash } from "node:crypto";
import type { RedisTokenStoreOptions, RedisTokenStoreWarning } from "../../src/redis/index.js";
import { RedisTokenStore } from "../../src/redis/index.js";
import type { Token } from "../../src/stores/store.js";

/**
 * The Redis name the store gives `key`'s token or lock: the SHA-256 of the key
 * in a hash tag, so both share one cluster slot.
 */
export function redisName(kind: "token" | "lock", key: string, prefix = "authflow:"): string {
  return `${prefix}${kind}:{${createHash("sha256").update(key).digest("hex")}}`;
}

/** A token that expires `lifetimeMs` from now. */
export function makeToken(accessToken: string, lifetimeMs = 60_000): Token {
  return {
    accessToken,
    tokenType: "Bearer",
    expiresAt: Date.now() + lifetimeMs,
    scope: "read",
    raw: { access_token: accessToken, token_type: "Bearer", expires_in: Math.round(lifetimeMs / 1000) },
  };
}

/** A store on `url` that records its warnings; close every one in afterEach/afterAll. */
export function storeWithWarnings(
  url: string,
  options: Partial<RedisTokenStoreOptions> = {},
): { store: RedisTokenStore; warnings: RedisTokenStoreWarning[] } {
  const warnings: RedisTokenStoreWarning[] = [];
  // A generous command timeout: on a loaded CI machine a slow answer must not read as an outage.
  const store = new RedisTokenStore({
    url,
    commandTimeoutMs: 2_000,
    onWarning: (warning) => warnings.push(warning),
    ...options,
  });
  return { store, warnings };
}

/** Resolves once `condition()` holds, polling the event loop (no timing assertion). */
export async function eventually(condition: () => boolean | Promise<boolean>, tries = 1_000): Promise<void> {
  for (let attempt = 0; attempt < tries; attempt++) {
    if (await condition()) return;
    await sleep(10);
  }
  throw new Error("condition never held");
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
