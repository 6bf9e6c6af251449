import { InvalidArgumentError } from "../errors.js";
import { checkFunction, checkInteger } from "../policy/validate.js";
import { redactable } from "../support/redact.js";
import type { Token, TokenStore } from "./store.js";

/**
 * Options of {@link MemoryTokenStore}.
 *
 * @example
 * ```ts
 * new MemoryTokenStore({ maxEntries: 50_000, now: () => fakeClock });
 * ```
 */
export interface MemoryTokenStoreOptions {
  /** The clock that times entries out, in epoch milliseconds (default `Date.now`); for tests. */
  now?: () => number;
  /**
   * The most tokens kept (default 10 000): past it, the least recently used
   * one is dropped, and is fetched again if it is needed again. @example 50_000
   */
  maxEntries?: number;
}

interface Entry {
  readonly token: Token;
  readonly lapsesAt: number;
}

/** Default cap on entries: ~6 MB of tokens at the typical ~600 bytes each. */
const DEFAULT_MAX_ENTRIES = 10_000;
/** Sweeps are at least this far apart, and at most this far: a timer, not work on every call. */
const SWEEP_MIN_MS = 1_000;
const SWEEP_MAX_MS = 3_600_000;

/**
 * The default {@link TokenStore}: a `Map` in this process. `withLock` is an
 * in-process mutex per key — holders of the same key run one after another, in
 * call order; different keys never wait for each other. Share one instance
 * between several `ClientCredentialsAuth` to share their tokens (each
 * configuration still gets its own key).
 *
 * Bounded (issue 13): lapsed tokens are swept by an unref'd timer set for the
 * next expiry (and on writes), so memory falls back once tokens expire; at
 * most `maxEntries` are kept, the least recently used dropped first.
 *
 * @example
 * ```ts
 * const store = new MemoryTokenStore();
 * const orders = new ClientCredentialsAuth({ tokenUrl, clientId, clientSecret, scope: "orders", store });
 * const billing = new ClientCredentialsAuth({ tokenUrl, clientId, clientSecret, scope: "billing", store });
 * ```
 */
export class MemoryTokenStore implements TokenStore {
  readonly #entries = new Map<string, Entry>();
  /** The tail of each key's queue of lock holders. */
  readonly #locks = new Map<string, Promise<void>>();
  readonly #now: () => number;
  readonly #maxEntries: number;
  /** The earliest lapse among the entries (a lower bound after deletions). */
  #nextLapse = Number.POSITIVE_INFINITY;
  #sweepTimer: ReturnType<typeof setTimeout> | undefined;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(options: MemoryTokenStoreOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new InvalidArgumentError("ERR_INVALID_ARG_TYPE", "options", "MemoryTokenStore options must be an object");
    }
    checkFunction("now", options.now);
    checkInteger("maxEntries", options.maxEntries, 1);
    this.#now = options.now ?? Date.now;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  }

  /** How many keys hold a token (lapsed ones count until the next sweep). */
  get size(): number {
    return this.#entries.size;
  }

  async get(key: string): Promise<Token | undefined> {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (this.#now() >= entry.lapsesAt) {
      this.#entries.delete(key);
      return undefined;
    }
    // A use: it moves to the newest end, away from eviction.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.token;
  }

  async set(key: string, token: Token, ttlMs: number): Promise<void> {
    this.#entries.delete(key);
    if (!(ttlMs > 0)) return;
    const lapsesAt = this.#now() + ttlMs;
    this.#entries.set(key, { token, lapsesAt });
    if (this.#entries.size > this.#maxEntries) this.#sweep();
    while (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
    if (lapsesAt < this.#nextLapse) this.#nextLapse = lapsesAt;
    this.#scheduleSweep();
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => held);
    this.#locks.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      // The last holder leaves no trace: the map does not grow with every key ever locked.
      if (this.#locks.get(key) === tail) this.#locks.delete(key);
    }
  }

  /** Drops every lapsed entry; at most once a second (a full pass), else nothing. */
  #sweep(): void {
    const now = this.#now();
    if (now - this.#lastSweep < SWEEP_MIN_MS && now >= this.#lastSweep) return;
    this.#lastSweep = now;
    let next = Number.POSITIVE_INFINITY;
    for (const [key, entry] of this.#entries) {
      if (now >= entry.lapsesAt) this.#entries.delete(key);
      else if (entry.lapsesAt < next) next = entry.lapsesAt;
    }
    this.#nextLapse = next;
  }

  /** One timer per store, for the next lapse; it holds the store weakly and never keeps a process alive. */
  #scheduleSweep(): void {
    if (this.#sweepTimer !== undefined || this.#nextLapse === Number.POSITIVE_INFINITY) return;
    const delay = Math.min(SWEEP_MAX_MS, Math.max(SWEEP_MIN_MS, this.#nextLapse - this.#now() + 1));
    const store = new WeakRef(this);
    this.#sweepTimer = setTimeout(() => {
      const alive = store.deref();
      if (alive !== undefined) alive.#onSweepTimer();
    }, delay);
    (this.#sweepTimer as { unref?: () => void }).unref?.();
  }

  #onSweepTimer(): void {
    this.#sweepTimer = undefined;
    this.#lastSweep = Number.NEGATIVE_INFINITY;
    this.#sweep();
    this.#scheduleSweep();
  }
}
redactable(MemoryTokenStore.prototype, "MemoryTokenStore", (store) => ({ size: store.size }));
