import { redactable } from "../redact.js";
import type { Token, TokenStore } from "./store.js";

/**
 * Options of {@link MemoryTokenStore}.
 *
 * @example
 * ```ts
 * new MemoryTokenStore({ now: () => fakeClock });
 * ```
 */
export interface MemoryTokenStoreOptions {
  /** The clock that times entries out, in epoch milliseconds (default `Date.now`); for tests. */
  now?: () => number;
}

interface Entry {
  readonly token: Token;
  readonly lapsesAt: number;
}

/**
 * The default {@link TokenStore}: a `Map` in this process. `withLock` is an
 * in-process mutex per key — holders of the same key run one after another, in
 * call order; different keys never wait for each other. Share one instance
 * between several `ClientCredentialsAuth` to share their tokens (each
 * configuration still gets its own key).
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

  constructor(options: MemoryTokenStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** How many keys hold a token (lapsed ones may still count until read). */
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
    return entry.token;
  }

  async set(key: string, token: Token, ttlMs: number): Promise<void> {
    if (!(ttlMs > 0)) {
      this.#entries.delete(key);
      return;
    }
    this.#entries.set(key, { token, lapsesAt: this.#now() + ttlMs });
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
}
redactable(MemoryTokenStore.prototype, "MemoryTokenStore", (store) => ({ size: store.size }));
