/**
 * SHA-1, SHA-256, SHA-512 and SHA-512/256 (FIPS 180-4) for Digest's
 * synchronous per-request hashes: WebCrypto's digest is asynchronous and has
 * no SHA-512/256. Kept small on purpose — the round constants and initial
 * values are derived at first use from their definitions (the fractional parts
 * of the square and cube roots of the first primes, computed exactly with
 * BigInt) instead of being spelled out as 1.5 KB of tables.
 *
 * Checked against node:crypto by property tests (test/schemes/sha.test.ts).
 * Inputs are header-sized strings or an auth-int body; nothing here is
 * streaming, and nothing here is meant for anything but RFC 7616.
 */

import { nativeHash } from "./native.js";

const HEX = "0123456789abcdef";

/** The hex of 32-bit words, big-endian, `count` of them. */
function wordsHex(words: Int32Array, count: number): string {
  let hex = "";
  for (let index = 0; index < count; index++) {
    const word = words[index] as number;
    for (let shift = 28; shift >= 0; shift -= 4) hex += HEX[(word >>> shift) & 15];
  }
  return hex;
}

/**
 * The message padded to whole blocks (FIPS 180-4 §5.1): the bytes, 0x80,
 * zeros, then the bit length big-endian in the last 8 bytes (the upper half of
 * SHA-512's 16-byte length field is zero for any input a JS array can hold).
 */
function pad(bytes: Uint8Array, blockBytes: number): DataView {
  const lengthField = blockBytes / 8;
  const total = Math.ceil((bytes.length + 1 + lengthField) / blockBytes) * blockBytes;
  const padded = new Uint8Array(total);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  const bits = bytes.length * 8;
  view.setUint32(total - 8, Math.floor(bits / 2 ** 32));
  view.setUint32(total - 4, bits >>> 0);
  return view;
}

// ---------------------------------------------------------------------------
// Constants, derived once.

/** floor(n ** (1 / k)) for a non-negative BigInt, by Newton's method from above. */
function integerRoot(n: bigint, k: bigint): bigint {
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / Number(k)));
  for (;;) {
    const next = ((k - 1n) * x + n / x ** (k - 1n)) / k;
    if (next >= x) return x;
    x = next;
  }
}

/** The first 64 bits of the fractional part of the k-th root of each number, as hi/lo int32 pairs. */
function fractions(numbers: readonly number[], k: bigint): Int32Array {
  const out = new Int32Array(numbers.length * 2);
  numbers.forEach((value, index) => {
    const fraction = integerRoot(BigInt(value) << (64n * k), k) & 0xffffffffffffffffn;
    out[index * 2] = Number(fraction >> 32n) | 0;
    out[index * 2 + 1] = Number(fraction & 0xffffffffn) | 0;
  });
  return out;
}

/** The first 80 primes, which both constant sets are derived from. */
function primes(): number[] {
  const found: number[] = [];
  for (let candidate = 2; found.length < 80; candidate++) {
    if (found.every((prime) => candidate % prime !== 0)) found.push(candidate);
  }
  return found;
}

/** The high (first 32-bit) halves of `pairs`: SHA-256's constants are SHA-512's, cut to 32 bits. */
function highs(pairs: Int32Array): Int32Array {
  return pairs.filter((_, index) => index % 2 === 0);
}

/** SHA-256's 64 round constants and initial values; derived apart from SHA-512's so SHA-256 stands alone. */
let constants256: { readonly k256: Int32Array; readonly iv256: Int32Array } | undefined;

function derive256(): { readonly k256: Int32Array; readonly iv256: Int32Array } {
  const first = primes();
  constants256 = { k256: highs(fractions(first.slice(0, 64), 3n)), iv256: highs(fractions(first.slice(0, 8), 2n)) };
  return constants256;
}

interface Constants512 {
  /** SHA-512's 80 round constants, hi/lo pairs. */
  readonly k512: Int32Array;
  readonly iv512: Int32Array;
  readonly iv512t256: Int32Array;
}

let constants512: Constants512 | undefined;

function derive512(): Constants512 {
  const first = primes();
  const k512 = fractions(first, 3n);
  const iv512 = fractions(first.slice(0, 8), 2n);
  // SHA-512/t initial values (FIPS 180-4 §5.3.6): SHA-512 of "SHA-512/256" under IV ^ a5a5…a5.
  const tweaked = iv512.map((word) => word ^ 0xa5a5a5a5);
  const iv512t256 = sha512Words(new TextEncoder().encode("SHA-512/256"), tweaked, k512);
  constants512 = { k512, iv512, iv512t256 };
  return constants512;
}

// ---------------------------------------------------------------------------
// SHA-1

const schedule1 = new Int32Array(80);

/** Lower-case hex SHA-1 of `bytes` (the legacy Digest `SHA` algorithm); the platform's own where it has one. */
export function sha1Hex(bytes: Uint8Array): string {
  return nativeHash === undefined ? portableSha1Hex(bytes) : nativeHash("sha1", bytes);
}

/** The portable sha1Hex (no platform hash), for runtimes without one and for tests. */
export function portableSha1Hex(bytes: Uint8Array): string {
  const view = pad(bytes, 64);
  const state = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0]);
  const w = schedule1;
  for (let offset = 0; offset < view.byteLength; offset += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getInt32(offset + t * 4);
    for (let t = 16; t < 80; t++) {
      const x = (w[t - 3] as number) ^ (w[t - 8] as number) ^ (w[t - 14] as number) ^ (w[t - 16] as number);
      w[t] = (x << 1) | (x >>> 31);
    }
    let a = state[0] as number,
      b = state[1] as number,
      c = state[2] as number,
      d = state[3] as number;
    let e = state[4] as number;
    for (let t = 0; t < 80; t++) {
      const f =
        t < 20
          ? ((b & c) | (~b & d)) + 0x5a827999
          : t < 40
            ? (b ^ c ^ d) + 0x6ed9eba1
            : t < 60
              ? ((b & c) | (b & d) | (c & d)) + 0x8f1bbcdc
              : (b ^ c ^ d) + 0xca62c1d6;
      const next = (((a << 5) | (a >>> 27)) + f + e + (w[t] as number)) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = next;
    }
    state[0] = (state[0] as number) + a;
    state[1] = (state[1] as number) + b;
    state[2] = (state[2] as number) + c;
    state[3] = (state[3] as number) + d;
    state[4] = (state[4] as number) + e;
  }
  return wordsHex(state, 5);
}

// ---------------------------------------------------------------------------
// SHA-256

const schedule256 = new Int32Array(64);

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

/** Lower-case hex SHA-256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return nativeHash === undefined ? portableSha256Hex(bytes) : nativeHash("sha256", bytes);
}

/** The portable sha256Hex (no platform hash), for runtimes without one and for tests. */
export function portableSha256Hex(bytes: Uint8Array): string {
  const { k256, iv256 } = constants256 ?? derive256();
  const view = pad(bytes, 64);
  const state = iv256.slice();
  const w = schedule256;
  for (let offset = 0; offset < view.byteLength; offset += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getInt32(offset + t * 4);
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15] as number;
      const y = w[t - 2] as number;
      w[t] =
        ((rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10)) +
          (w[t - 7] as number) +
          (rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3)) +
          (w[t - 16] as number)) |
        0;
    }
    let a = state[0] as number,
      b = state[1] as number,
      c = state[2] as number,
      d = state[3] as number;
    let e = state[4] as number,
      f = state[5] as number,
      g = state[6] as number,
      h = state[7] as number;
    for (let t = 0; t < 64; t++) {
      const t1 =
        (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + (k256[t] as number) + (w[t] as number)) |
        0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    state[0] = (state[0] as number) + a;
    state[1] = (state[1] as number) + b;
    state[2] = (state[2] as number) + c;
    state[3] = (state[3] as number) + d;
    state[4] = (state[4] as number) + e;
    state[5] = (state[5] as number) + f;
    state[6] = (state[6] as number) + g;
    state[7] = (state[7] as number) + h;
  }
  return wordsHex(state, 8);
}

// ---------------------------------------------------------------------------
// SHA-512 and SHA-512/256, on pairs of 32-bit halves (hi at even, lo at odd indices).

const schedule512 = new Int32Array(160);

/** High half of a 64-bit rotate right by n (1 ≤ n ≤ 63, n ≠ 32). */
const rotrHi = (hi: number, lo: number, n: number): number =>
  n < 32 ? (hi >>> n) | (lo << (32 - n)) : (lo >>> (n - 32)) | (hi << (64 - n));
/** Low half of a 64-bit rotate right by n (1 ≤ n ≤ 63, n ≠ 32). */
const rotrLo = (hi: number, lo: number, n: number): number =>
  n < 32 ? (lo >>> n) | (hi << (32 - n)) : (hi >>> (n - 32)) | (lo << (64 - n));

function sha512Words(bytes: Uint8Array, iv: Int32Array, k512: Int32Array): Int32Array {
  const view = pad(bytes, 128);
  const state = iv.slice();
  const w = schedule512;
  for (let offset = 0; offset < view.byteLength; offset += 128) {
    for (let index = 0; index < 32; index++) w[index] = view.getInt32(offset + index * 4);
    for (let t = 16; t < 80; t++) {
      const xh = w[2 * (t - 15)] as number;
      const xl = w[2 * (t - 15) + 1] as number;
      const yh = w[2 * (t - 2)] as number;
      const yl = w[2 * (t - 2) + 1] as number;
      const s0h = rotrHi(xh, xl, 1) ^ rotrHi(xh, xl, 8) ^ (xh >>> 7);
      const s0l = rotrLo(xh, xl, 1) ^ rotrLo(xh, xl, 8) ^ ((xl >>> 7) | (xh << 25));
      const s1h = rotrHi(yh, yl, 19) ^ rotrHi(yh, yl, 61) ^ (yh >>> 6);
      const s1l = rotrLo(yh, yl, 19) ^ rotrLo(yh, yl, 61) ^ ((yl >>> 6) | (yh << 26));
      // Lows summed as unsigned numbers (exact in a double); their carry goes to the high half.
      const lo =
        (s0l >>> 0) + (s1l >>> 0) + ((w[2 * (t - 7) + 1] as number) >>> 0) + ((w[2 * (t - 16) + 1] as number) >>> 0);
      w[2 * t] = s0h + s1h + (w[2 * (t - 7)] as number) + (w[2 * (t - 16)] as number) + Math.floor(lo / 2 ** 32);
      w[2 * t + 1] = lo;
    }
    let ah = state[0] as number,
      al = state[1] as number,
      bh = state[2] as number,
      bl = state[3] as number;
    let ch = state[4] as number,
      cl = state[5] as number,
      dh = state[6] as number,
      dl = state[7] as number;
    let eh = state[8] as number,
      el = state[9] as number,
      fh = state[10] as number,
      fl = state[11] as number;
    let gh = state[12] as number,
      gl = state[13] as number,
      hh = state[14] as number,
      hl = state[15] as number;
    for (let t = 0; t < 80; t++) {
      const sum1h = rotrHi(eh, el, 14) ^ rotrHi(eh, el, 18) ^ rotrHi(eh, el, 41);
      const sum1l = rotrLo(eh, el, 14) ^ rotrLo(eh, el, 18) ^ rotrLo(eh, el, 41);
      const t1l =
        (hl >>> 0) +
        (sum1l >>> 0) +
        (((el & fl) ^ (~el & gl)) >>> 0) +
        ((k512[2 * t + 1] as number) >>> 0) +
        ((w[2 * t + 1] as number) >>> 0);
      const t1h =
        hh +
        sum1h +
        ((eh & fh) ^ (~eh & gh)) +
        (k512[2 * t] as number) +
        (w[2 * t] as number) +
        Math.floor(t1l / 2 ** 32);
      const sum0h = rotrHi(ah, al, 28) ^ rotrHi(ah, al, 34) ^ rotrHi(ah, al, 39);
      const sum0l = rotrLo(ah, al, 28) ^ rotrLo(ah, al, 34) ^ rotrLo(ah, al, 39);
      const t2l = (sum0l >>> 0) + (((al & bl) ^ (al & cl) ^ (bl & cl)) >>> 0);
      const t2h = sum0h + ((ah & bh) ^ (ah & ch) ^ (bh & ch)) + Math.floor(t2l / 2 ** 32);
      const newEl = (dl >>> 0) + (t1l >>> 0);
      const newAl = (t1l >>> 0) + (t2l >>> 0);
      hh = gh;
      hl = gl;
      gh = fh;
      gl = fl;
      fh = eh;
      fl = el;
      eh = (dh + t1h + Math.floor(newEl / 2 ** 32)) | 0;
      el = newEl | 0;
      dh = ch;
      dl = cl;
      ch = bh;
      cl = bl;
      bh = ah;
      bl = al;
      ah = (t1h + t2h + Math.floor(newAl / 2 ** 32)) | 0;
      al = newAl | 0;
    }
    const round = [ah, al, bh, bl, ch, cl, dh, dl, eh, el, fh, fl, gh, gl, hh, hl];
    for (let index = 0; index < 16; index += 2) {
      const lo = ((state[index + 1] as number) >>> 0) + ((round[index + 1] as number) >>> 0);
      state[index] = (state[index] as number) + (round[index] as number) + Math.floor(lo / 2 ** 32);
      state[index + 1] = lo;
    }
  }
  return state;
}

/** Lower-case hex SHA-512 of `bytes`. */
export function sha512Hex(bytes: Uint8Array): string {
  return nativeHash === undefined ? portableSha512Hex(bytes) : nativeHash("sha512", bytes);
}

/** The portable sha512Hex (no platform hash), for runtimes without one and for tests. */
export function portableSha512Hex(bytes: Uint8Array): string {
  const { k512, iv512 } = constants512 ?? derive512();
  return wordsHex(sha512Words(bytes, iv512, k512), 16);
}

/** Lower-case hex SHA-512/256 of `bytes` (Digest's `SHA-512-256`). */
export function sha512_256Hex(bytes: Uint8Array): string {
  return nativeHash === undefined ? portableSha512_256Hex(bytes) : nativeHash("sha512-256", bytes);
}

/** The portable sha512_256Hex (no platform hash), for runtimes without one and for tests. */
export function portableSha512_256Hex(bytes: Uint8Array): string {
  const { k512, iv512t256 } = constants512 ?? derive512();
  return wordsHex(sha512Words(bytes, iv512t256, k512), 8);
}
