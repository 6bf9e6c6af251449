import { randomBytes } from "node:crypto";

/**
 * The server's DPoP nonces (RFC 9449 §8, §9). `"rotating"`: one current
 * nonce, replaced once it is `lifetimeMs` old; the one before stays good
 * until it is twice that, so requests in flight across a rotation pass.
 * `"one-time"`: each call to `current()` mints a nonce good for one proof
 * within `lifetimeMs`; at most `capacity` are remembered (two generations,
 * O(1) per request) and a forgotten one is answered with a fresh nonce.
 *
 * @example
 * ```ts
 * const nonces = new DpopNonces("rotating", 300_000, () => Date.now(), () => stats.dpop.noncesIssued++);
 * response.setHeader("DPoP-Nonce", nonces.current());
 * nonces.accept(proofNonce); // true while it is current
 * ```
 */
export class DpopNonces {
  readonly #mode: "rotating" | "one-time";
  readonly #lifetimeMs: number;
  readonly #now: () => number;
  readonly #minted: () => void;
  readonly #generation: number;
  #current: { value: string; since: number } | undefined;
  #previous: { value: string; since: number } | undefined;
  #fresh = new Map<string, number>();
  #older = new Map<string, number>();

  constructor(
    mode: "rotating" | "one-time",
    lifetimeMs: number,
    now: () => number,
    minted: () => void,
    capacity = 10_000,
  ) {
    this.#mode = mode;
    this.#lifetimeMs = lifetimeMs;
    this.#now = now;
    this.#minted = minted;
    this.#generation = Math.max(1, Math.floor(capacity / 2));
  }

  /** The nonce to send now (in one-time mode, a new one each call). */
  current(): string {
    if (this.#mode === "one-time") return this.#mintOneTime();
    const now = this.#now();
    if (this.#current === undefined || now - this.#current.since >= this.#lifetimeMs) {
      this.#previous = this.#current;
      this.#current = { value: mint(), since: now };
      this.#minted();
    }
    return this.#current.value;
  }

  /** True when `nonce` is good now; a one-time nonce is used up by this call. */
  accept(nonce: unknown): boolean {
    if (typeof nonce !== "string" || nonce === "") return false;
    if (this.#mode === "one-time") return this.#takeOneTime(nonce);
    this.current(); // rotates first, so an expired nonce is not taken for current
    if (nonce === this.#current?.value) return true;
    // The nonce before stays good until it is two lifetimes old.
    const previous = this.#previous;
    return previous !== undefined && nonce === previous.value && this.#now() - previous.since < 2 * this.#lifetimeMs;
  }

  clear(): void {
    this.#current = undefined;
    this.#previous = undefined;
    this.#fresh.clear();
    this.#older.clear();
  }

  #mintOneTime(): string {
    if (this.#fresh.size >= this.#generation) {
      this.#older = this.#fresh;
      this.#fresh = new Map();
    }
    const value = mint();
    this.#fresh.set(value, this.#now() + this.#lifetimeMs);
    this.#minted();
    return value;
  }

  #takeOneTime(nonce: string): boolean {
    const expires = this.#fresh.get(nonce) ?? this.#older.get(nonce);
    this.#fresh.delete(nonce);
    this.#older.delete(nonce);
    return expires !== undefined && this.#now() <= expires;
  }
}

/** 128 random bits, base64url: NQCHAR-safe for the DPoP-Nonce header (RFC 9449 §8.1). */
function mint(): string {
  return randomBytes(16).toString("base64url");
}

/**
 * The `jti`s of accepted proofs, for replay detection (RFC 9449 §11.1),
 * bounded by `capacity`. An entry is kept while its `iat` could still pass
 * the window check. When full of live entries, the oldest is forgotten and
 * the `floor` rises to its `iat`: from then on a proof with an `iat` at or
 * below the floor is refused as too old to vouch for, so a forgotten `jti`
 * can never be replayed, whatever the load.
 *
 * @example
 * ```ts
 * const replays = new ProofReplayCache(10_000, 60);
 * if (replays.tooOld(iat) || replays.seen(key)) refuse("replay");
 * else replays.add(key, iat, nowSeconds);
 * ```
 */
export class ProofReplayCache {
  readonly #capacity: number;
  readonly #windowSeconds: number;
  #entries = new Map<string, number>();
  #floor = Number.NEGATIVE_INFINITY;
  #lastPrune = Number.NEGATIVE_INFINITY;

  constructor(capacity: number, windowSeconds: number) {
    this.#capacity = capacity;
    this.#windowSeconds = windowSeconds;
  }

  /** True when a proof issued at `iat` (epoch s) is older than what this cache can still tell apart. */
  tooOld(iat: number): boolean {
    return iat <= this.#floor;
  }

  seen(key: string): boolean {
    return this.#entries.has(key);
  }

  add(key: string, iat: number, nowSeconds: number): void {
    if (this.#entries.size >= this.#capacity) this.#makeRoom(nowSeconds);
    this.#entries.set(key, iat);
  }

  clear(): void {
    this.#entries.clear();
    this.#floor = Number.NEGATIVE_INFINITY;
    this.#lastPrune = Number.NEGATIVE_INFINITY;
  }

  #makeRoom(nowSeconds: number): void {
    // A full scan at most once a second: entries whose iat is out of the window can never pass again.
    if (nowSeconds - this.#lastPrune >= 1) {
      this.#lastPrune = nowSeconds;
      for (const [key, iat] of this.#entries) if (iat + this.#windowSeconds < nowSeconds) this.#entries.delete(key);
    }
    while (this.#entries.size >= this.#capacity) {
      const [oldestKey, oldestIat] = this.#entries.entries().next().value as [string, number];
      this.#entries.delete(oldestKey);
      this.#floor = Math.max(this.#floor, oldestIat);
    }
  }
}
