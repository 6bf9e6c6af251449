import { createRequire } from "node:module";
import type { Cluster, Redis, RedisOptions } from "ioredis";
import { InvalidArgumentError } from "../errors.js";
import { noticeHeader } from "./scripts.js";

/**
 * What the store talks to: an ioredis client, or an ioredis Cluster (every
 * command the store sends names keys of one hash slot).
 *
 * @example
 * ```ts
 * const client: RedisClient = new Cluster([{ host: "10.0.0.1", port: 6379 }]);
 * ```
 */
export type RedisClient = Redis | Cluster;

/**
 * How a {@link RedisConnection} is made and how long it may take.
 *
 * @example
 * ```ts
 * const settings: ConnectionSettings = { url: "redis://127.0.0.1:6379", connectTimeoutMs: 1000, commandTimeoutMs: 500, onAvailability };
 * ```
 */
export interface ConnectionSettings {
  readonly client?: RedisClient | undefined;
  readonly url?: string | undefined;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  /** Told when Redis stops answering (with why) and when it answers again. */
  readonly onAvailability: (available: boolean, cause?: Error) => void;
}

/** Longest pause between reconnection attempts, so sharing resumes soon after Redis is back. */
const MAX_RECONNECT_DELAY_MS = 1_000;

/**
 * The Redis connections of one store — commands, and a subscriber for lock
 * releases — tuned to fail fast: a command is never queued while Redis is
 * away, nor retried, nor allowed to run past `commandTimeoutMs`, so a down
 * Redis costs a request nothing but the fallback.
 *
 * @example
 * ```ts
 * const connection = new RedisConnection({ url, connectTimeoutMs: 1000, commandTimeoutMs: 500, onAvailability });
 * const value = await connection.call((client) => client.get("k")); // throws when Redis is away
 * ```
 */
export class RedisConnection {
  readonly #client: RedisClient;
  /** Whether the store made the client (and so closes it). */
  readonly #owned: boolean;
  readonly #settings: ConnectionSettings;
  /** Settles once the first connection attempt has succeeded, failed or timed out; undefined after. */
  #firstAttempt: Promise<void> | undefined;
  #available: boolean | undefined;
  #subscriber: RedisClient | undefined;
  #firstSubscription: Promise<void> | undefined;
  #subscribed = false;
  #closed = false;
  /** Who waits for a release of each lock name, told the token value the notice carries. */
  readonly #waiters = new Map<string, Set<(value: string | undefined) => void>>();

  constructor(settings: ConnectionSettings) {
    this.#settings = settings;
    if ((settings.client === undefined) === (settings.url === undefined)) {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        "RedisTokenStore.client",
        "RedisTokenStore needs exactly one of client or url",
      );
    }
    this.#owned = settings.client === undefined;
    this.#client = settings.client ?? new (loadRedis())(settings.url as string, fastFailOptions(settings));
    // Errors reach the store through failed commands; without a listener ioredis prints each one.
    if (this.#owned) this.#client.on("error", ignore);
    if (this.#client.status === "wait") this.#client.connect().catch(ignore);
    if (this.#client.status !== "ready") this.#firstAttempt = this.#awaitFirstAttempt();
  }

  /** Whether the last command was answered. */
  get available(): boolean {
    return this.#available === true;
  }

  /** Runs `operation` on the client; throws, without waiting, when Redis is not connected. */
  async call<T>(operation: (client: Redis) => Promise<T>): Promise<T> {
    // A Cluster has the same command methods; it routes each by the slot of the keys.
    if (this.#firstAttempt !== undefined) await this.#firstAttempt;
    try {
      if (this.#client.status !== "ready") throw new Error(`Redis is not connected (${this.#client.status})`);
      const client = this.#client as Redis;
      const result = await withTimeout(operation(client), this.#settings.commandTimeoutMs, "Redis command");
      this.#markAvailable(true);
      return result;
    } catch (error) {
      const cause = error instanceof Error ? error : new Error(String(error));
      this.#markAvailable(false, cause);
      throw cause;
    }
  }

  /**
   * Subscribes to `channel` (once per connection) and says whether release
   * notices now arrive; when they do not, waiters poll.
   */
  async listen(channel: string): Promise<boolean> {
    if (this.#subscriber === undefined) this.#firstSubscription = this.#startSubscriber(channel);
    await this.#firstSubscription;
    return this.listening;
  }

  /** True while release notices arrive: subscribed, and the subscriber connected. */
  get listening(): boolean {
    return this.#subscribed && this.#subscriber?.status === "ready";
  }

  /**
   * Calls `wake` with the token value the notice carries (undefined from an
   * older version's bare notice) when lock `name` is released; returns the
   * function that stops it.
   */
  onMessage(name: string, wake: (value: string | undefined) => void): () => void {
    let waiters = this.#waiters.get(name);
    if (waiters === undefined) {
      waiters = new Set();
      this.#waiters.set(name, waiters);
    }
    waiters.add(wake);
    return () => {
      waiters.delete(wake);
      if (waiters.size === 0 && this.#waiters.get(name) === waiters) this.#waiters.delete(name);
    };
  }

  /** Closes the subscriber, and the client when the store made it; a client passed in stays open. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#subscriber?.disconnect();
    if (!this.#owned) return;
    if (this.#client.status !== "ready") return this.#client.disconnect();
    await withTimeout(this.#client.quit(), this.#settings.commandTimeoutMs, "Redis QUIT").catch(() =>
      this.#client.disconnect(),
    );
  }

  #markAvailable(available: boolean, cause?: Error): void {
    const previous = this.#available;
    this.#available = available;
    // A store used after close() falls back quietly: the caller knows why.
    if (this.#closed) return;
    // Told once per change; a store that was fine from the start has nothing to announce.
    if (available ? previous === false : previous !== false) this.#settings.onAvailability(available, cause);
  }

  /** The first command waits for the first connection attempt, so a store made at start-up is shared at once. */
  #awaitFirstAttempt(): Promise<void> {
    const client = this.#client;
    return new Promise<void>((resolve) => {
      const settle = () => {
        clearTimeout(timer);
        for (const event of ["ready", "error", "end"]) client.off(event, settle);
        this.#firstAttempt = undefined;
        resolve();
      };
      const timer = setTimeout(settle, this.#settings.connectTimeoutMs);
      timer.unref();
      for (const event of ["ready", "error", "end"]) client.once(event, settle);
    });
  }

  #startSubscriber(channel: string): Promise<void> {
    const subscriber = this.#client.duplicate();
    this.#subscriber = subscriber;
    subscriber.on("error", ignore);
    subscriber.on("message", (_channel: string, message: string) => this.#wake(message));
    subscriber.on("close", () => {
      this.#subscribed = false;
    });
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.#settings.connectTimeoutMs);
      timer.unref();
      // On every (re)connection: ioredis resubscribes by itself only to channels it saw succeed.
      subscriber.on("ready", () => {
        subscriber.subscribe(channel).then(() => {
          this.#subscribed = true;
          clearTimeout(timer);
          resolve();
        }, ignore);
      });
    });
  }

  /** Wakes the waiters of the lock the notice names (a few names at most: the keys being refreshed). */
  #wake(message: string): void {
    for (const [name, waiters] of this.#waiters) {
      const header = noticeHeader(name);
      const value = message === name ? undefined : message.startsWith(header) ? message.slice(header.length) : null;
      if (value === null) continue;
      for (const wake of waiters) wake(value);
    }
  }
}

/**
 * The ioredis client class, loaded when a store makes its own client — so
 * `authflow/redis` imports without the optional peer dependency, and a store
 * given a `client` never loads it.
 */
function loadRedis(): typeof Redis {
  try {
    const loaded = createRequire(import.meta.url)("ioredis") as { Redis?: typeof Redis; default?: typeof Redis };
    const clientClass = loaded.Redis ?? loaded.default;
    if (typeof clientClass === "function") return clientClass;
  } catch (error) {
    throw new Error("RedisTokenStore({ url }) needs ioredis 5: npm install ioredis", { cause: error });
  }
  throw new Error("RedisTokenStore({ url }) needs ioredis 5 (this version exports no Redis class)");
}

/** ioredis options for a client the store makes from a URL. */
function fastFailOptions(settings: ConnectionSettings): RedisOptions {
  return {
    connectTimeout: settings.connectTimeoutMs,
    commandTimeout: settings.commandTimeoutMs,
    // While Redis is away, fail at once (the store falls back) instead of queueing or retrying.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempts: number) => Math.min(attempts * 100, MAX_RECONNECT_DELAY_MS),
  };
}

/**
 * `promise`, or a rejection once `ms` have passed.
 *
 * @example
 * ```ts
 * await withTimeout(client.get("k"), 500, "Redis GET");
 * ```
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  // A late answer or failure after the timeout is of no interest to anyone.
  promise.catch(ignore);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function ignore(): void {}
