/**
 * The test server's memory of the nonces it issued, bounded and O(1) per
 * request whatever the load: two generations of maps instead of an LRU list
 * (iterating a churning Map to evict its oldest entry is not constant time).
 */

/** nc values remembered below the highest one seen: how far out of order concurrent requests may arrive. */
const WINDOW = 4096;

/**
 * RFC 7616 §3.4 / §5.3 replay protection for one nonce: each nc is accepted
 * once. Requests sent concurrently may arrive out of order, so instead of
 * "strictly increasing" this keeps a window of the last {@link WINDOW} values
 * (as IPsec does, RFC 4303 §3.4.3): anything older, or seen before, is a replay.
 */
export class ReplayWindow {
  #highest = 0;
  // Allocated on first use: most nextnonces are never used at all.
  #seen: Uint8Array | undefined;

  /** True when `count` was used before or is too old to tell. */
  replayed(count: number): boolean {
    if (count > this.#highest) return false;
    if (count <= this.#highest - WINDOW) return true;
    return this.#seen?.[count % WINDOW] === 1;
  }

  /** Records `count` as used (call only after `replayed(count)` was false). */
  add(count: number): void {
    this.#seen ??= new Uint8Array(WINDOW);
    if (count > this.#highest) {
      // Slots between the old highest and `count` now stand for new values: clear them.
      const gap = Math.min(count - this.#highest, WINDOW);
      for (let step = 1; step <= gap; step++) this.#seen[(this.#highest + step) % WINDOW] = 0;
      this.#highest = count;
    }
    this.#seen[count % WINDOW] = 1;
  }
}

/** What the server remembers about a nonce it issued. */
export interface NonceRecord {
  readonly algorithm: string;
  readonly opaque: string;
  /** Successful requests made with this nonce. */
  uses: number;
  readonly counts: ReplayWindow;
  /** -sess: the cnonce of the first accepted request, which fixes the session key (RFC 7616 §3.4.2). */
  sessionCnonce: string | undefined;
}

/**
 * Issued nonces, at most about `capacity`. New nonces go into the current
 * generation; when it is full it becomes the previous one and the old
 * previous is dropped. A nonce found in the previous generation moves back to
 * the current, so nonces in use survive and unused `nextnonce`s age out.
 * A forgotten nonce is answered with `stale=true` if the digest is right.
 */
export class NonceTable {
  readonly #limit: number;
  #current = new Map<string, NonceRecord>();
  #previous = new Map<string, NonceRecord>();

  constructor(capacity: number) {
    this.#limit = Math.max(1, Math.floor(capacity / 2));
  }

  get(nonce: string): NonceRecord | undefined {
    const record = this.#current.get(nonce);
    if (record !== undefined) return record;
    const old = this.#previous.get(nonce);
    if (old !== undefined) {
      this.#previous.delete(nonce);
      this.set(nonce, old);
    }
    return old;
  }

  set(nonce: string, record: NonceRecord): void {
    if (this.#current.size >= this.#limit) {
      this.#previous = this.#current;
      this.#current = new Map();
    }
    this.#current.set(nonce, record);
  }

  clear(): void {
    this.#current.clear();
    this.#previous.clear();
  }
}
