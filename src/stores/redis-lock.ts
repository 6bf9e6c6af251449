import { randomUUID } from "node:crypto";
import type { RedisConnection } from "./redis-connection.js";
import type { RedisTokenStoreWarning } from "./redis-options.js";

/**
 * SET NX PX, or else how long the current holder still has: -3 when taken;
 * the key's PTTL otherwise (-2 when it vanished in between, -1 with no expiry).
 */
const ACQUIRE = `if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return -3 end
return redis.call('pttl', KEYS[1])`;
/** Compare-and-delete: only the holder's own value releases the lock; the release is announced to waiters. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('del', KEYS[1])
  redis.call('publish', ARGV[2], KEYS[1])
  return 1
end
return 0`;
/** Compare-and-extend: a holder whose lock lapsed and was taken must not extend the new holder's. */
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0`;
const ACQUIRED = -3;

/** How often a waiter looks again when release notices do not arrive. */
const POLL_MS = 100;
/** How long a waiter trusts release notices before looking again anyway (a notice can be lost). */
const NOTIFIED_POLL_MS = 1_000;
/** Spread of every pause, so waiters woken together do not all knock at once. */
const JITTER_MS = 25;

/**
 * What {@link RedisLock} needs besides its connection.
 *
 * @example
 * ```ts
 * const settings: LockSettings = { channel: "authflow:unlock", ttlMs: 10_000, waitTimeoutMs: 30_000, warn };
 * ```
 */
export interface LockSettings {
  /** The pub/sub channel release notices go to. */
  readonly channel: string;
  /** How long a lock outlives a holder that died. */
  readonly ttlMs: number;
  /** How long a waiter waits before it runs without the lock. */
  readonly waitTimeoutMs: number;
  readonly warn: (warning: RedisTokenStoreWarning) => void;
}

/**
 * A lock across every process that shares one Redis: `SET name value NX PX
 * ttl` with a unique value, kept alive while its holder runs, released by
 * compare-and-delete, waiters woken by pub/sub (polling as a fallback). A
 * holder that dies leaves a lock that lapses after `ttlMs`. When Redis does
 * not answer, `fn` runs without it: the caller keeps an in-process lock, and a
 * request never fails because the cache is down.
 *
 * @example
 * ```ts
 * const lock = new RedisLock(connection, { channel: "authflow:unlock", ttlMs: 10_000, waitTimeoutMs: 30_000, warn });
 * await lock.run("authflow:lock:3f0c…", async () => refresh());
 * ```
 */
export class RedisLock {
  readonly #connection: RedisConnection;
  readonly #settings: LockSettings;

  constructor(connection: RedisConnection, settings: LockSettings) {
    this.#connection = connection;
    this.#settings = settings;
  }

  /** Runs `fn` holding the lock `name`; resolves to what `fn` returns. */
  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const holding = await this.#acquire(name);
    if (holding === undefined) return fn();
    try {
      return await fn();
    } finally {
      await holding.release();
    }
  }

  /** The lock, or undefined when Redis is away or the wait ran out. */
  async #acquire(name: string): Promise<Holding | undefined> {
    const value = randomUUID();
    const deadline = Date.now() + this.#settings.waitTimeoutMs;
    const waiter = new ReleaseWaiter();
    const stop = this.#connection.onMessage(name, () => waiter.wake());
    // Whether release notices arrive; asked only once there is something to wait for.
    let notified: boolean | undefined;
    try {
      for (;;) {
        waiter.reset();
        const remaining = await this.#tryAcquire(name, value);
        if (remaining === undefined) return undefined;
        if (remaining === ACQUIRED) return new Holding(this.#connection, name, value, this.#settings);
        if (notified === undefined) {
          // Try again at once: the holder may have released before the subscription began.
          notified = await this.#connection.listen(this.#settings.channel);
          continue;
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          this.#settings.warn({
            code: "lock-wait-exceeded",
            message: `waited ${this.#settings.waitTimeoutMs} ms for a token refresh lock; running without it`,
          });
          return undefined;
        }
        await waiter.wait(Math.min(left, pause(remaining, notified)));
      }
    } finally {
      stop();
    }
  }

  /** ACQUIRED, the holder's remaining milliseconds, or undefined when Redis did not answer. */
  async #tryAcquire(name: string, value: string): Promise<number | undefined> {
    try {
      const ttl = String(this.#settings.ttlMs);
      return Number(await this.#connection.call((client) => client.eval(ACQUIRE, 1, name, value, ttl)));
    } catch {
      return undefined;
    }
  }
}

/** How long to wait before trying again, given the holder's remaining time (negative: unknown). */
function pause(remaining: number, notified: boolean): number {
  const ceiling = notified ? NOTIFIED_POLL_MS : POLL_MS;
  // A holder that died announces nothing: look again just after its lock lapses.
  const base = remaining >= 0 ? Math.min(remaining + 1, ceiling) : POLL_MS;
  return base + Math.random() * JITTER_MS;
}

/** A wait that a release notice cuts short, even one that came before the wait began. */
class ReleaseWaiter {
  #released = false;
  #wake: (() => void) | undefined;

  reset(): void {
    this.#released = false;
  }

  wake(): void {
    this.#released = true;
    this.#wake?.();
  }

  wait(ms: number): Promise<void> {
    if (this.#released) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }
}

/** A lock held: extended every third of its TTL while the holder runs, released by its value. */
class Holding {
  readonly #connection: RedisConnection;
  readonly #name: string;
  readonly #value: string;
  readonly #settings: LockSettings;
  readonly #timer: ReturnType<typeof setInterval>;
  #lost = false;

  constructor(connection: RedisConnection, name: string, value: string, settings: LockSettings) {
    this.#connection = connection;
    this.#name = name;
    this.#value = value;
    this.#settings = settings;
    this.#timer = setInterval(() => void this.#extend(), Math.max(1, Math.floor(settings.ttlMs / 3)));
    // The holder's own work keeps the process alive; the lock's upkeep must not.
    this.#timer.unref();
  }

  async release(): Promise<void> {
    clearInterval(this.#timer);
    try {
      const { channel } = this.#settings;
      await this.#connection.call((client) => client.eval(RELEASE, 1, this.#name, this.#value, channel));
    } catch {
      // Redis away: the lock lapses by itself after its TTL.
    }
  }

  async #extend(): Promise<void> {
    let extended: number;
    try {
      const ttl = String(this.#settings.ttlMs);
      extended = Number(await this.#connection.call((client) => client.eval(EXTEND, 1, this.#name, this.#value, ttl)));
    } catch {
      return; // Redis away: nothing to extend; the fallback has taken over.
    }
    // Two extensions can be in flight when Redis is slow: report the loss once.
    if (extended === 1 || this.#lost) return;
    this.#lost = true;
    clearInterval(this.#timer);
    this.#settings.warn({
      code: "lock-lost",
      message: "a token refresh outlived its Redis lock (lockTtlMs); another process may refresh at the same time",
    });
  }
}
