import { createHash } from "node:crypto";
import { MemoryTokenStore } from "../stores/memory.js";
import type { RefreshOptions, Token, TokenStore } from "../stores/store.js";
import { redactable } from "../support/redact.js";
import { claim, storedDigest, UNKNOWN_DIGEST } from "./claim.js";
import { type DecodeFailure, TokenCodec } from "./codec.js";
import { RedisConnection } from "./connection.js";
import { importEncryptionKey, keyMaterial } from "./crypto.js";
import { type KeyNames, type LockSettings, RedisLock, warnWaitExceeded } from "./lock.js";
import type { RedisTokenStoreOptions, ResolvedRedisOptions } from "./options.js";
import { resolveRedisOptions } from "./options.js";
import { READ } from "./scripts.js";

export type { RedisClient } from "./connection.js";
export type { EncryptionKeyInput } from "./crypto.js";
export type { RedisTokenStoreOptions, RedisTokenStoreWarning, RedisTokenStoreWarningCode } from "./options.js";

/** Longest TTL handed to Redis, so a token with no `expires_in` still lapses some day. */
const MAX_TTL_MS = 365 * 24 * 3600 * 1000;

/**
 * A {@link TokenStore} on Redis, for a fleet: every process that uses the same
 * Redis and `prefix` shares one token per configuration, and one refresh at a
 * time (SET NX PX with a unique value, extended while its holder runs,
 * released only by its holder; a holder that dies leaves a lock that lapses
 * after `lockTtlMs`).
 *
 * - The lock stays O(1) per refresh (issue 13.2, `refresh`): it is taken only
 *   while the stored token is still the stale one (compare-and-lock, one
 *   round trip); its release is announced by pub/sub with the new token, so
 *   waiters neither read nor lock again; a background refresh tries once and
 *   keeps serving the current token while another process refreshes.
 * - Tokens are kept with a TTL equal to their remaining lifetime, under
 *   `prefix + "token:{" + sha256(key) + "}"`, the lock under
 *   `prefix + "lock:{…}"`: one hash slot, so a Redis Cluster (an ioredis
 *   `Cluster` as `client`) runs each step on one node. No client id, scope or
 *   credential in key names (the key holds only a slow keyed digest of the
 *   credential).
 * - `encryptionKey` seals each token with AES-256-GCM (random 96-bit IV, the
 *   key name as additional data), so a Redis dump holds nothing usable.
 * - Redis away: the store answers from a copy in this process and serialises
 *   refreshes in this process only, and says so through `onWarning`; when
 *   Redis is back, sharing resumes. A request never fails because the cache
 *   is down, and never waits for it longer than `commandTimeoutMs`.
 *
 * Call `close()` at shutdown: an open Redis connection keeps Node running.
 *
 * @example
 * ```ts
 * import { ClientCredentialsAuth, withAuth } from "authflow";
 * import { RedisTokenStore } from "authflow/redis";
 *
 * const store = new RedisTokenStore({
 *   url: process.env.REDIS_URL,
 *   encryptionKey: process.env.AUTHFLOW_TOKEN_KEY,
 *   onWarning: (warning) => console.warn(warning.code, warning.message),
 * });
 * const auth = new ClientCredentialsAuth({ tokenUrl, clientId, clientSecret, store });
 * const api = withAuth(fetch, auth);
 * // … at shutdown:
 * await store.close();
 * ```
 */
export class RedisTokenStore implements TokenStore {
  /** The prefix of every key and channel name this store uses. */
  readonly prefix: string;

  readonly #options: ResolvedRedisOptions;
  readonly #connection: RedisConnection;
  readonly #lock: RedisLock;
  readonly #lockSettings: LockSettings;
  readonly #codec: TokenCodec;
  /** The SHA-1 of each token's stored form, for compare-and-lock; held weakly by the token. */
  readonly #digests = new WeakMap<Token, string>();
  /** This process's copy of what it read and wrote, and its lock: what serves while Redis is away. */
  readonly #local = new MemoryTokenStore();
  #undecryptableReported = false;

  constructor(options: RedisTokenStoreOptions) {
    this.#options = resolveRedisOptions(options);
    this.prefix = this.#options.prefix;
    const { warn } = this.#options;
    // Checked before connecting: a bad key is a configuration error, not a runtime one.
    const material = options.encryptionKey === undefined ? undefined : keyMaterial(options.encryptionKey);
    this.#codec = new TokenCodec(material === undefined ? undefined : importEncryptionKey(material));
    this.#connection = new RedisConnection({
      client: options.client,
      url: options.url,
      connectTimeoutMs: this.#options.connectTimeoutMs,
      commandTimeoutMs: this.#options.commandTimeoutMs,
      onAvailability: (available, cause) =>
        available
          ? warn({ code: "redis-recovered", message: "Redis answers again: tokens and refreshes are shared again" })
          : warn({
              code: "redis-unavailable",
              message: `Redis did not answer (${cause?.message ?? "unknown error"}): tokens and refreshes stay in this process until it is back`,
              ...(cause === undefined ? {} : { cause }),
            }),
    });
    this.#lockSettings = {
      channel: `${this.prefix}unlock`,
      ttlMs: this.#options.lockTtlMs,
      waitTimeoutMs: this.#options.lockWaitTimeoutMs,
      warn,
    };
    this.#lock = new RedisLock(this.#connection, this.#lockSettings);
  }

  /** True while Redis answers (the last command succeeded): tokens and refreshes are shared. */
  get shared(): boolean {
    return this.#connection.available;
  }

  /** True when tokens are encrypted at rest. */
  get encrypted(): boolean {
    return this.#codec.encrypted;
  }

  async get(key: string): Promise<Token | undefined> {
    const name = this.#names(key).token;
    let value: string | null;
    let remainingMs: number;
    try {
      [value, remainingMs] = await this.#connection.call(
        (client) => client.eval(READ, 1, name) as Promise<[string | null, number]>,
      );
    } catch {
      return this.#local.get(key);
    }
    return this.#adopt(key, name, value, remainingMs);
  }

  async set(key: string, token: Token, ttlMs: number): Promise<void> {
    await this.#local.set(key, token, ttlMs);
    const name = this.#names(key).token;
    if (!(ttlMs > 0)) return this.#attempt((client) => client.del(name));
    const value = await this.#codec.encode(token, name);
    this.#digests.set(token, storedDigest(value));
    const ttl = Math.min(Math.ceil(ttlMs), MAX_TTL_MS);
    await this.#attempt((client) => client.set(name, value, "PX", ttl));
  }

  async delete(key: string): Promise<void> {
    await this.#local.delete(key);
    const name = this.#names(key).token;
    await this.#attempt((client) => client.del(name));
  }

  /**
   * Runs `fn` holding `key`'s lock across every process on this Redis (and
   * across callers in this one). While Redis is away, or after waiting
   * `lockWaitTimeoutMs`, `fn` runs holding the in-process lock only.
   */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    // In-process first: one caller per process contends in Redis, and it still serialises when Redis is away.
    return this.#local.withLock(key, () => this.#lock.run(this.#names(key), fn));
  }

  /**
   * A refresh that is never done twice across the fleet (see
   * `TokenStore.refresh`): `fn` runs holding `key`'s lock only while the
   * stored token does not satisfy `options.satisfies`. While Redis is away,
   * it runs under the in-process lock unless this process's copy satisfies.
   */
  refresh(
    key: string,
    options: RefreshOptions,
    fn: (current: Token | undefined) => Promise<Token>,
  ): Promise<Token | undefined> {
    const names = this.#names(key);
    const seen = options.seen;
    const digest = seen === undefined ? "" : (this.#digests.get(seen) ?? UNKNOWN_DIGEST);
    const decode = (text: string | null, remainingMs?: number) => this.#adopt(key, names.token, text, remainingMs);
    return this.#local.withLock(key, async () => {
      const request = { names, seen, digest, satisfies: options.satisfies, wait: options.wait, decode };
      const claimed = await claim(this.#connection, this.#lockSettings, request);
      if (claimed.kind === "satisfied") return claimed.token;
      if (claimed.kind === "busy") return undefined;
      if (claimed.kind === "taken") {
        try {
          return await fn(claimed.current);
        } finally {
          await claimed.holding.release();
        }
      }
      if (claimed.kind === "timeout") {
        warnWaitExceeded(this.#lockSettings);
        return fn(claimed.current);
      }
      // Redis away: this process's copy, or the work under the in-process lock alone.
      const local = await this.#local.get(key);
      return options.satisfies(local) ? local : fn(local);
    });
  }

  /** Closes the connections the store opened; a `client` passed in stays open. */
  async close(): Promise<void> {
    await this.#connection.close();
  }

  /** The key's token and lock names: one hash tag, so one slot of a cluster. */
  #names(key: string): KeyNames {
    const tag = `{${createHash("sha256").update(key).digest("hex")}}`;
    return { token: `${this.prefix}token:${tag}`, lock: `${this.prefix}lock:${tag}` };
  }

  /**
   * A value read from Redis (null: none) as this process's copy of `key`:
   * Redis is the truth while it answers — a token another process deleted
   * after a 401 is dropped here too.
   */
  async #adopt(key: string, name: string, value: string | null, remainingMs?: number): Promise<Token | undefined> {
    const token = value === null ? undefined : await this.#codec.decode(value, name);
    if (token === undefined || typeof token === "string") {
      if (typeof token === "string") this.#reportUnreadable(token);
      await this.#local.delete(key);
      return undefined;
    }
    this.#undecryptableReported = false;
    this.#digests.set(token, storedDigest(value));
    const ttl = remainingMs !== undefined && remainingMs > 0 ? remainingMs : localLifetime(token);
    await this.#local.set(key, token, ttl);
    return token;
  }

  /** Writes that fail are fine: the local copy already has the change, and the warning was given. */
  async #attempt(operation: Parameters<RedisConnection["call"]>[0]): Promise<void> {
    try {
      await this.#connection.call(operation);
    } catch {
      // Reported through onWarning by the connection.
    }
  }

  #reportUnreadable(failure: DecodeFailure): void {
    if (this.#undecryptableReported) return;
    this.#undecryptableReported = true;
    const message =
      failure === "undecryptable"
        ? "a token in Redis was sealed under another encryptionKey (or none); it counts as a miss and will be replaced"
        : "a value in Redis under this store's prefix is not a token; it counts as a miss and will be replaced";
    this.#options.warn({ code: "undecryptable", message });
  }
}
redactable(RedisTokenStore.prototype, "RedisTokenStore", (store) => ({
  prefix: store.prefix,
  encrypted: store.encrypted,
  shared: store.shared,
}));

/** How long to keep a local copy of a token whose Redis TTL is unknown. */
function localLifetime(token: Token): number {
  return token.expiresAt === undefined ? MAX_TTL_MS : token.expiresAt - Date.now();
}
