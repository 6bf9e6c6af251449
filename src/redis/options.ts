import type { Cluster, Redis } from "ioredis";
import { InvalidArgumentError, InvalidURLError } from "../errors.js";
import { checkFunction, checkNumber, checkObject, checkString } from "../policy/validate.js";
import { parseURL, redactURLText } from "../support/url.js";
import type { EncryptionKeyInput } from "./crypto.js";

/**
 * What a {@link RedisTokenStoreWarning} is about:
 * - `"redis-unavailable"`: Redis stopped answering; tokens and the refresh lock
 *   are kept in this process until it is back (requests go on working);
 * - `"redis-recovered"`: Redis answers again; tokens and refreshes are shared again;
 * - `"undecryptable"`: a stored token was sealed under another key (or plain
 *   while a key is set); it counts as a miss and is replaced;
 * - `"lock-lost"`: a refresh ran past its lock's TTL and the lock went to another holder;
 * - `"lock-wait-exceeded"`: a refresh waited `lockWaitTimeoutMs` for the lock and ran without it.
 *
 * @example
 * ```ts
 * const code: RedisTokenStoreWarningCode = "redis-unavailable";
 * ```
 */
export type RedisTokenStoreWarningCode =
  | "redis-unavailable"
  | "redis-recovered"
  | "undecryptable"
  | "lock-lost"
  | "lock-wait-exceeded";

/**
 * A notice from {@link RedisTokenStore}: something degraded (or recovered),
 * never a failed request. Messages hold no token, key or password.
 *
 * @example
 * ```ts
 * const onWarning = (warning: RedisTokenStoreWarning) => log.warn(warning.code, warning.message);
 * ```
 */
export interface RedisTokenStoreWarning {
  readonly code: RedisTokenStoreWarningCode;
  readonly message: string;
  /** The Redis client's error, when there was one. */
  readonly cause?: Error;
}

/**
 * Options of {@link RedisTokenStore}. Give either `client` or `url`.
 *
 * @example
 * ```ts
 * const options: RedisTokenStoreOptions = {
 *   url: "redis://cache.internal:6379",
 *   prefix: "orders-api:",
 *   encryptionKey: process.env.AUTHFLOW_TOKEN_KEY, // openssl rand -base64 32
 *   onWarning: (warning) => log.warn(warning.message),
 * };
 * ```
 */
export interface RedisTokenStoreOptions {
  /**
   * An ioredis client to use, or an ioredis `Cluster` for Redis Cluster (or
   * Valkey in cluster mode); it stays yours (`close()` leaves it open). Give
   * it `enableOfflineQueue: false` so commands fail fast while Redis is away —
   * the store also caps each command at `commandTimeoutMs`.
   * @example new Redis({ host: "cache.internal", enableOfflineQueue: false })
   * @example new Cluster([{ host: "10.0.0.1", port: 6379 }], { enableOfflineQueue: false })
   */
  client?: Redis | Cluster;
  /** A Redis URL; the store makes (and closes) a client tuned to fail fast. @example "redis://:password@cache.internal:6379/0" */
  url?: string;
  /** Put before every key and channel name (default `"authflow:"`). @example "orders-api:" */
  prefix?: string;
  /**
   * Encrypt tokens at rest with AES-256-GCM: 32 bytes, a 64-character hex or a
   * base64 string of 32 bytes, or an AES-GCM CryptoKey. Every process of the
   * fleet needs the same key; a token sealed under another key is a miss.
   * @example process.env.AUTHFLOW_TOKEN_KEY
   */
  encryptionKey?: EncryptionKeyInput;
  /** How long the refresh lock outlives a holder that died, in ms (default 10 000); a live holder keeps extending it. @example 5_000 */
  lockTtlMs?: number;
  /** Longest wait for the refresh lock before running without it, in ms (default 30 000). @example 10_000 */
  lockWaitTimeoutMs?: number;
  /** Longest wait for the first connection before falling back, in ms (default 1 000). @example 2_000 */
  connectTimeoutMs?: number;
  /** Longest wait for any one command before falling back, in ms (default 500). @example 200 */
  commandTimeoutMs?: number;
  /**
   * Told when the store degrades or recovers (see {@link RedisTokenStoreWarningCode}).
   * Default: `process.emitWarning` for everything but `"redis-recovered"`.
   * Errors it throws are ignored.
   * @example (warning) => metrics.increment(`authflow.redis.${warning.code}`)
   */
  onWarning?: (warning: RedisTokenStoreWarning) => void;
}

/**
 * The options with defaults merged in, checked.
 *
 * @example
 * ```ts
 * resolveRedisOptions({ url }).prefix; // "authflow:"
 * ```
 */
export interface ResolvedRedisOptions {
  readonly prefix: string;
  readonly lockTtlMs: number;
  readonly lockWaitTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly warn: (warning: RedisTokenStoreWarning) => void;
}

/**
 * Validates `options` and merges in the defaults, in one place. Throws a
 * coded InvalidArgumentError (a TypeError) for a configuration that cannot
 * work, InvalidURLError for a `url` that does not parse.
 *
 * @example
 * ```ts
 * resolveRedisOptions({ url, lockTtlMs: 2_000 }).lockTtlMs; // 2000
 * ```
 */
export function resolveRedisOptions(options: RedisTokenStoreOptions): ResolvedRedisOptions {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new InvalidArgumentError("ERR_INVALID_ARG_TYPE", "options", "RedisTokenStore needs an options object");
  }
  checkObject("client", options.client);
  checkRedisUrl(options.url);
  if ((options.client === undefined) === (options.url === undefined)) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      "url",
      "RedisTokenStore needs exactly one of client or url",
    );
  }
  const prefix = options.prefix ?? "authflow:";
  if (typeof prefix !== "string") {
    throw new InvalidArgumentError("ERR_INVALID_ARG_TYPE", "prefix", "prefix must be a string");
  }
  for (const name of ["lockTtlMs", "lockWaitTimeoutMs", "connectTimeoutMs", "commandTimeoutMs"] as const) {
    checkNumber(name, options[name], 1, MAX_TIMER_MS);
  }
  checkFunction("onWarning", options.onWarning);
  const onWarning = options.onWarning ?? defaultWarning;
  return {
    prefix,
    lockTtlMs: Math.ceil(options.lockTtlMs ?? 10_000),
    lockWaitTimeoutMs: Math.ceil(options.lockWaitTimeoutMs ?? 30_000),
    connectTimeoutMs: Math.ceil(options.connectTimeoutMs ?? 1_000),
    commandTimeoutMs: Math.ceil(options.commandTimeoutMs ?? 500),
    warn: (warning) => {
      try {
        onWarning(warning);
      } catch {
        // A logging hook must not break authentication.
      }
    },
  };
}

/** setTimeout's limit: a longer delay fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * A `url` ioredis understands: a `redis:`/`rediss:` URL (parsed here, so a
 * typo is an InvalidURLError that never repeats the password), or a Unix
 * socket path or `host:port`, which ioredis reads itself.
 */
function checkRedisUrl(url: unknown): void {
  checkString("url", url);
  if (typeof url !== "string" || !url.includes("://")) return;
  const parsed = parseURL(url, "the Redis url");
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    const shown = redactURLText(url);
    throw new InvalidURLError(`the Redis url must be redis: or rediss:, got ${shown}`, shown);
  }
}

function defaultWarning(warning: RedisTokenStoreWarning): void {
  if (warning.code === "redis-recovered") return;
  process.emitWarning(warning.message, { type: "AuthflowRedisWarning", code: warning.code });
}
