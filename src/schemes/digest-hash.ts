import { InvalidArgumentError } from "../errors.js";
import { md5Hex } from "../hashes/md5.js";
import { sha1Hex, sha256Hex, sha512_256Hex, sha512Hex } from "../hashes/sha.js";

/**
 * The Digest algorithms authflow answers (RFC 7616 §3.3 and the IANA "HTTP
 * Digest Hash Algorithms" registry), plus the legacy `SHA` (SHA-1) and
 * `SHA-512` that httpx also accepts. Each has a `-sess` form (RFC 7616 §3.4.2).
 *
 * @example
 * ```ts
 * new DigestAuth("user", "pass", { algorithms: ["SHA-512-256", "SHA-256"] }); // refuse MD5
 * ```
 */
export type DigestAlgorithm =
  | "MD5"
  | "MD5-sess"
  | "SHA"
  | "SHA-sess"
  | "SHA-256"
  | "SHA-256-sess"
  | "SHA-512"
  | "SHA-512-sess"
  | "SHA-512-256"
  | "SHA-512-256-sess";

/** The hash of an algorithm, without `-sess`. */
export type DigestHashName = "MD5" | "SHA" | "SHA-256" | "SHA-512" | "SHA-512-256";

/** Bytes in, lower-case hex out. */
type HashFunction = (input: Uint8Array) => string;

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let text = "";
  for (let index = 0; index < bytes.length; index++) text += HEX[bytes[index] as number];
  return text;
}

interface HashEntry {
  readonly name: DigestHashName;
  readonly hash: HashFunction;
  /** Higher is stronger; decides between several challenges (never downgrade). */
  readonly rank: number;
}

const HASHES: Readonly<Record<string, HashEntry>> = {
  md5: { name: "MD5", hash: md5Hex, rank: 1 },
  sha: { name: "SHA", hash: sha1Hex, rank: 2 },
  "sha-512": { name: "SHA-512", hash: sha512Hex, rank: 3 },
  "sha-256": { name: "SHA-256", hash: sha256Hex, rank: 4 },
  "sha-512-256": { name: "SHA-512-256", hash: sha512_256Hex, rank: 5 },
};

/** An `algorithm` value resolved: its canonical name, hash, rank and whether it is a `-sess` form. */
export interface ResolvedAlgorithm {
  readonly algorithm: DigestAlgorithm;
  readonly hashName: DigestHashName;
  readonly hash: HashFunction;
  readonly rank: number;
  readonly session: boolean;
}

/**
 * Resolves an `algorithm` parameter case-insensitively (servers send `md5`,
 * `MD5` and `"MD5"`). An absent parameter means MD5 (RFC 7616 §3.3).
 * Returns undefined for anything else.
 */
export function resolveAlgorithm(value: string | undefined): ResolvedAlgorithm | undefined {
  const lower = value === undefined ? "md5" : value.toLowerCase();
  const session = lower.endsWith("-sess");
  const base = session ? lower.slice(0, -5) : lower;
  const entry = Object.hasOwn(HASHES, base) ? HASHES[base] : undefined;
  if (entry === undefined) return undefined;
  const algorithm = (session ? `${entry.name}-sess` : entry.name) as DigestAlgorithm;
  return { algorithm, hashName: entry.name, hash: entry.hash, rank: entry.rank, session };
}

const encoder = new TextEncoder();
// Header-sized strings are encoded into one reused buffer: no allocation per hash.
let scratch = new Uint8Array(1024);

function utf8(data: string): Uint8Array {
  // UTF-8 needs at most 3 bytes per UTF-16 code unit.
  if (data.length * 3 > scratch.length) {
    if (data.length * 3 > 64 * 1024) return encoder.encode(data);
    scratch = new Uint8Array(data.length * 3);
  }
  return scratch.subarray(0, encoder.encodeInto(data, scratch).written);
}

/** `H(data)` of RFC 7616 §3.4: the lower-case hex hash of the UTF-8 bytes of `data`. */
export function hexHash(hash: HashFunction, data: string | Uint8Array): string {
  return hash(typeof data === "string" ? utf8(data) : data);
}

/**
 * The bytes of header text. A header value reaches us as a byte string
 * (fetch's Headers give each byte as one character, RFC 9110 §5.5 obs-text
 * included), so each character is one byte: a realm or nonce of UTF-8 bytes
 * is hashed as those bytes, not encoded twice. Text with a character beyond
 * U+00FF never came from a header and is UTF-8 encoded.
 */
function headerBytes(text: string): Uint8Array {
  if (text.length > scratch.length) {
    if (text.length > 64 * 1024) return Uint8Array.from(text, (character) => character.charCodeAt(0) & 0xff);
    scratch = new Uint8Array(text.length * 3);
  }
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code > 0xff) return utf8(text);
    scratch[index] = code;
  }
  return scratch.subarray(0, text.length);
}

/** `H(data)` over header text (see {@link byteString}): what goes into the hashes beside the server's realm and nonce. */
export function byteHash(hash: HashFunction, text: string): string {
  return hash(headerBytes(text));
}

/**
 * The UTF-8 bytes of `text` as a byte string (one character per byte): how a
 * user name or password outside ASCII is hashed beside header text, and how a
 * user name travels in a quoted `username` (fetch's Headers accept only
 * characters up to U+00FF, and put each on the wire as one byte).
 *
 * @example
 * ```ts
 * byteString("zoë"); // "zo\u00c3\u00ab"
 * ```
 */
export function byteString(text: string): string {
  let ascii = true;
  for (let index = 0; index < text.length && ascii; index++) ascii = text.charCodeAt(index) < 0x80;
  if (ascii) return text;
  let bytes = "";
  for (const byte of encoder.encode(text)) bytes += String.fromCharCode(byte);
  return bytes;
}

/** Everything the response hash depends on (RFC 7616 §3.4.1). */
export interface DigestResponseInput {
  readonly algorithm: DigestAlgorithm | string;
  readonly username: string;
  readonly realm: string;
  readonly password: string;
  readonly method: string;
  /** The request-target exactly as sent. */
  readonly uri: string;
  readonly nonce: string;
  /** Omitted for RFC 2069 servers that send no qop. */
  readonly qop?: "auth" | "auth-int" | undefined;
  /** 8 hex digits, e.g. `"00000001"`. Required with qop. */
  readonly nc?: string | undefined;
  /** Required with qop and for the `-sess` forms. */
  readonly cnonce?: string | undefined;
  /** The exact request body bytes, for `auth-int`. */
  readonly body?: Uint8Array | undefined;
}

/**
 * `HA1` (RFC 7616 §3.4.2): `H(username:realm:password)`, and for the `-sess`
 * forms `H(HA1:nonce:cnonce)` with the nonce and cnonce of the first response
 * to the challenge.
 */
export function computeHa1(
  resolved: ResolvedAlgorithm,
  username: string,
  realm: string,
  password: string,
  sessionNonce?: string,
  sessionCnonce?: string,
): string {
  const ha1 = hexHash(resolved.hash, `${username}:${realm}:${password}`);
  if (!resolved.session) return ha1;
  return hexHash(resolved.hash, `${ha1}:${sessionNonce ?? ""}:${sessionCnonce ?? ""}`);
}

/**
 * `KD(HA1, nonce:nc:cnonce:qop:HA2)` (RFC 7616 §3.4.1), or the RFC 2069 form
 * `KD(HA1, nonce:HA2)` without qop. `ha2` is H(A2), A2 being `method:uri` for
 * the response and `:uri` for rspauth (§3.5), with `:H(body)` for auth-int.
 */
export function keyedDigest(
  hash: HashFunction,
  ha1: string,
  nonce: string,
  ha2: string,
  qop: string | undefined,
  nc: string,
  cnonce: string,
): string {
  // The nonce is header text: hashed as the bytes the server sent.
  if (qop === undefined) return byteHash(hash, `${ha1}:${nonce}:${ha2}`);
  return byteHash(hash, `${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
}

/** A2 (RFC 7616 §3.4.3) for a request or, with an empty method, for rspauth (§3.5). */
export function a2(
  hash: HashFunction,
  method: string,
  uri: string,
  qop: string | undefined,
  body?: Uint8Array,
): string {
  if (qop !== "auth-int") return `${method}:${uri}`;
  return `${method}:${uri}:${hexHash(hash, body ?? new Uint8Array(0))}`;
}

/**
 * The `response` value of RFC 7616 §3.4.1, computed from scratch: a pure
 * function, for tests and one-off use. `DigestAuth` itself caches HA1.
 *
 * @example
 * ```ts
 * computeDigestResponse({
 *   algorithm: "MD5", username: "Mufasa", realm: "http-auth@example.org",
 *   password: "Circle of Life", method: "GET", uri: "/dir/index.html",
 *   nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", qop: "auth", nc: "00000001",
 *   cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
 * }); // → "8ca523f5e9506fed4657c9700eebdbec" (RFC 7616 §3.9.1)
 * ```
 */
export function computeDigestResponse(input: DigestResponseInput): string {
  const resolved = resolveAlgorithm(input.algorithm);
  if (resolved === undefined) throw unsupportedAlgorithm(input.algorithm);
  const cnonce = input.cnonce ?? "";
  const ha1 = computeHa1(resolved, input.username, input.realm, input.password, input.nonce, cnonce);
  const ha2 = hexHash(resolved.hash, a2(resolved.hash, input.method, input.uri, input.qop, input.body));
  return keyedDigest(resolved.hash, ha1, input.nonce, ha2, input.qop, input.nc ?? "", cnonce);
}

/** RFC 7616 §3.4.4: the userhash sent as `username` when the server offers `userhash=true`. */
export function computeUserhash(algorithm: DigestAlgorithm | string, username: string, realm: string): string {
  const resolved = resolveAlgorithm(algorithm);
  if (resolved === undefined) throw unsupportedAlgorithm(algorithm);
  return hexHash(resolved.hash, `${username}:${realm}`);
}

/** Compares two strings in time independent of where they differ, so rspauth checks leak nothing. */
export function constantTimeEqual(left: string, right: string): boolean {
  let difference = left.length ^ right.length;
  const length = Math.max(left.length, right.length);
  for (let index = 0; index < length; index++) {
    difference |= (left.charCodeAt(index) | 0) ^ (right.charCodeAt(index) | 0);
  }
  return difference === 0;
}

function unsupportedAlgorithm(algorithm: string): InvalidArgumentError {
  return new InvalidArgumentError("ERR_INVALID_ARG_VALUE", "algorithm", `unsupported Digest algorithm ${algorithm}`);
}
