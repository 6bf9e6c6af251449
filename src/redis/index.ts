/**
 * `authflow/redis`: the fleet-wide token cache. Node only; needs the optional
 * peer dependency `ioredis` (5.x). Works on one Redis, a Redis Cluster (give
 * an ioredis `Cluster` as `client`) and Valkey.
 *
 * @example
 * ```ts
 * import { RedisTokenStore } from "authflow/redis";
 * const store = new RedisTokenStore({ url: "redis://127.0.0.1:6379" });
 * ```
 *
 * @module authflow/redis
 */
export type {
  EncryptionKeyInput,
  RedisClient,
  RedisTokenStoreOptions,
  RedisTokenStoreWarning,
  RedisTokenStoreWarningCode,
} from "./store.js";
export { RedisTokenStore } from "./store.js";
