/**
 * MD5 (RFC 1321) for Digest's per-request hash: WebCrypto has no MD5, and a
 * general-purpose library allocates a hasher, views and a digest per call.
 * This one hashes into preallocated state and writes lower-case hex directly.
 * Checked against node:crypto by property tests (test/schemes/md5.test.ts).
 * Not for anything but RFC 7616 compatibility: MD5 is broken as a hash.
 */

// Per-round shift amounts and constants (RFC 1321 §3.4: T[i] = floor(2^32 * |sin(i + 1)|)).
const SHIFTS = new Uint8Array([
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4,
  11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
]);
const CONSTANTS = new Int32Array(64);
for (let index = 0; index < 64; index++) CONSTANTS[index] = Math.floor(Math.abs(Math.sin(index + 1)) * 2 ** 32) | 0;

const words = new Int32Array(16);
const state = new Int32Array(4);
const SHARED_LIMIT = 4096;
const shared = new Uint8Array(SHARED_LIMIT);
const HEX = "0123456789abcdef";

function compress(block: Uint8Array, offset: number): void {
  for (let index = 0; index < 16; index++) {
    const at = offset + index * 4;
    words[index] =
      (block[at] as number) |
      ((block[at + 1] as number) << 8) |
      ((block[at + 2] as number) << 16) |
      ((block[at + 3] as number) << 24);
  }
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  for (let round = 0; round < 64; round++) {
    let mixed: number;
    let word: number;
    if (round < 16) {
      mixed = (b & c) | (~b & d);
      word = round;
    } else if (round < 32) {
      mixed = (d & b) | (~d & c);
      word = (5 * round + 1) & 15;
    } else if (round < 48) {
      mixed = b ^ c ^ d;
      word = (3 * round + 5) & 15;
    } else {
      mixed = c ^ (b | ~d);
      word = (7 * round) & 15;
    }
    const sum = (a + mixed + (CONSTANTS[round] as number) + (words[word] as number)) | 0;
    const shift = SHIFTS[round] as number;
    a = d;
    d = c;
    c = b;
    b = (b + ((sum << shift) | (sum >>> (32 - shift)))) | 0;
  }
  state[0] = ((state[0] as number) + a) | 0;
  state[1] = ((state[1] as number) + b) | 0;
  state[2] = ((state[2] as number) + c) | 0;
  state[3] = ((state[3] as number) + d) | 0;
}

/** Lower-case hex MD5 of `bytes`. */
export function md5Hex(bytes: Uint8Array): string {
  const length = bytes.length;
  // Message, 0x80, zeros, then the bit length: a multiple of 64 bytes (RFC 1321 §3.1-3.2).
  const padded = (((length + 8) >>> 6) + 1) << 6;
  // Header-sized inputs reuse one buffer; a large auth-int body gets its own, freed after.
  if (padded > SHARED_LIMIT) return hexOf(padded, bytes, new Uint8Array(padded));
  return hexOf(padded, bytes, shared);
}

function hexOf(padded: number, bytes: Uint8Array, buffer: Uint8Array): string {
  const length = bytes.length;
  buffer.set(bytes);
  buffer.fill(0, length, padded);
  buffer[length] = 0x80;
  const bits = length * 8;
  buffer[padded - 8] = bits & 0xff;
  buffer[padded - 7] = (bits >>> 8) & 0xff;
  buffer[padded - 6] = (bits >>> 16) & 0xff;
  buffer[padded - 5] = (bits >>> 24) & 0xff;
  const high = Math.floor(bits / 2 ** 32);
  buffer[padded - 4] = high & 0xff;
  buffer[padded - 3] = (high >>> 8) & 0xff;
  buffer[padded - 2] = (high >>> 16) & 0xff;
  buffer[padded - 1] = (high >>> 24) & 0xff;
  state[0] = 0x67452301;
  state[1] = 0xefcdab89 | 0;
  state[2] = 0x98badcfe | 0;
  state[3] = 0x10325476;
  for (let offset = 0; offset < padded; offset += 64) compress(buffer, offset);
  let hex = "";
  for (let index = 0; index < 4; index++) {
    const word = state[index] as number;
    for (let shift = 0; shift < 32; shift += 8) {
      const byte = (word >>> shift) & 0xff;
      hex += HEX[byte >>> 4] + (HEX[byte & 15] as string);
    }
  }
  return hex;
}
