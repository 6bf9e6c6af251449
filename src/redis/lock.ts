import { randomUUID } from "node:crypto";
import type { RedisConnection } from "./connection.js";
import type { RedisTokenStoreWarning } from "./options.js";
import { ACQUIRE, EXTEND, RELEASE } from "./scripts.js";

const ACQUIRED = -3;

/** How often a waiter looks again when release notices do not arrive. */
export const POLL_MS = 100;
/** How long a waiter trusts release notices before looking again anyway (a notice can be lost). */
const NOTIFIED_POLL_MS = 1_000;
/** Spread of every pause, so waiters woken together do not all knock at once. */
const JITTER_MS = 25;

/**
 * The Redis names of one key: its token and its lock, in one hash slot.
 *
 * @example
 * ```ts
 * const names: KeyNames = { token: "authflow:token:{3f0c…}", lock: "authflow:lock:{3f0c…}" };
 * ```
 */
export interface KeyNames {
  readonly token: string;
  readonly lock: string;
}

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

  /** Runs `fn` holding the lock of `names`; resolves to what `fn` returns. */
  async run<T>(names: KeyNames, fn: () => Promise<T>): Promise<T> {
    const holding = await this.#acquire(names);
    if (holding === undefined) return fn();
    try {
      return await fn();
    } finally {
      await holding.release();
    }
  }

  /** The lock, or undefined when Redis is away or the wait ran out. */
  async #acquire(names: KeyNames): Promise<Holding | undefined> {
    const name = names.lock;
    const value = randomUUID();
    const deadline = Date.now() + this.#settings.waitTimeoutMs;
    const waiter = new ReleaseWaiter();
    const stop = this.#connection.onMessage(name, (notice) => waiter.wake(notice));
    // Whether release notices arrive; asked only once there is something to wait for.
    let notified: boolean | undefined;
    try {
      for (;;) {
        waiter.reset();
        // Subscribed before this look: a release after it will be heard.
        const listening = this.#connection.listening;
        const remaining = await this.#tryAcquire(name, value);
        if (remaining === undefined) return undefined;
        if (remaining === ACQUIRED) return new Holding(this.#connection, names, value, this.#settings);
        if (listening) notified = true;
        else if (notified === undefined) {
          // Try again at once: the holder may have released before the subscription began.
          notified = await this.#connection.listen(this.#settings.channel);
          continue;
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          warnWaitExceeded(this.#settings);
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

/** Says that a waiter gave up on the lock and runs without it. */
export function warnWaitExceeded(settings: LockSettings): void {
  settings.warn({
    code: "lock-wait-exceeded",
    message: `waited ${settings.waitTimeoutMs} ms for a token refresh lock; running without it`,
  });
}

/**
 * How long to wait before looking again, given the holder's remaining time (negative: unknown).
 *
 * @example
 * ```ts
 * pause(250, true); // ~251–276 ms: just after the holder's lock would lapse
 * ```
 */
export function pause(remaining: number, notified: boolean): number {
  const ceiling = notified ? NOTIFIED_POLL_MS : POLL_MS;
  // A holder that died announces nothing: look again just after its lock lapses.
  const base = remaining >= 0 ? Math.min(remaining + 1, ceiling) : POLL_MS;
  return base + Math.random() * JITTER_MS;
}

/**
 * A wait that a release notice cuts short, even one that came before the
 * wait began; it resolves to the notice (with the token value it carried),
 * or undefined when the time ran out.
 *
 * @example
 * ```ts
 * const waiter = new ReleaseWaiter();
 * const stop = connection.onMessage(names.lock, (value) => waiter.wake(value));
 * const notice = await waiter.wait(1_000); // { value } or undefined
 * ```
 */
export class ReleaseWaiter {
  #notice: { readonly value: string | undefined } | undefined;
  #wake: (() => void) | undefined;

  reset(): void {
    this.#notice = undefined;
  }

  wake(value: string | undefined): void {
    this.#notice = { value };
    this.#wake?.();
  }

  wait(ms: number): Promise<{ readonly value: string | undefined } | undefined> {
    if (this.#notice !== undefined) return Promise.resolve(this.#notice);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve(this.#notice);
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }
}

/**
 * A lock held: extended every third of its TTL while the holder runs,
 * released by its value, the release announced with the token it left.
 *
 * @example
 * ```ts
 * const holding = new Holding(connection, names, randomUUID(), settings);
 * try { await refresh(); } finally { await holding.release(); }
 * ```
 */
export class Holding {
  readonly #connection: RedisConnection;
  readonly #names: KeyNames;
  readonly #value: string;
  readonly #settings: LockSettings;
  readonly #timer: ReturnType<typeof setInterval>;
  #lost = false;

  constructor(connection: RedisConnection, names: KeyNames, value: string, settings: LockSettings) {
    this.#connection = connection;
    this.#names = names;
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
      const { lock, token } = this.#names;
      await this.#connection.call((client) => client.eval(RELEASE, 2, lock, token, this.#value, channel));
    } catch {
      // Redis away: the lock lapses by itself after its TTL.
    }
  }

  async #extend(): Promise<void> {
    let extended: number;
    try {
      const ttl = String(this.#settings.ttlMs);
      const { lock } = this.#names;
      extended = Number(await this.#connection.call((client) => client.eval(EXTEND, 1, lock, this.#value, ttl)));
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
