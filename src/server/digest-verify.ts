import { hash, timingSafeEqual } from "node:crypto";

/**
 * The test server's own Digest arithmetic, on node:crypto and written from
 * RFC 7616 §3.4 directly, so that it checks the client instead of agreeing
 * with it by construction.
 */

/** RFC 7616 algorithm names (upper case, without -sess) to node:crypto names. */
const NODE_HASHES: Readonly<Record<string, string>> = {
  MD5: "md5",
  SHA: "sha1",
  "SHA-256": "sha256",
  "SHA-512": "sha512",
  "SHA-512-256": "sha512-256",
};

/** The canonical spelling of a supported algorithm (`sha-256-sess` → `SHA-256-sess`), or undefined. */
export function canonicalAlgorithm(value: string): string | undefined {
  const upper = value.toUpperCase();
  const session = upper.endsWith("-SESS");
  const base = session ? upper.slice(0, -5) : upper;
  if (!Object.hasOwn(NODE_HASHES, base)) return undefined;
  return session ? `${base}-sess` : base;
}

/** `H(data)`: lower-case hex of the hash named by `algorithm` (with or without -sess). */
export function serverHash(algorithm: string, data: string | Uint8Array): string {
  const base = algorithm.endsWith("-sess") ? algorithm.slice(0, -5) : algorithm;
  const name = NODE_HASHES[base];
  if (name === undefined) throw new Error(`unsupported algorithm ${algorithm}`);
  return hash(name, data, "hex");
}

/** What the server knows when it checks (or produces) a digest. */
export interface DigestTerms {
  readonly algorithm: string;
  readonly user: string;
  readonly realm: string;
  readonly password: string;
  readonly nonce: string;
  /** The cnonce that fixes the -sess session key (RFC 7616 §3.4.2). */
  readonly sessionCnonce: string;
  readonly qop: string | undefined;
  readonly nc: string;
  readonly cnonce: string;
}

// H(user:realm:password) by algorithm and credentials: the same few on every request.
const baseHa1Cache = new Map<string, string>();

function baseHa1(terms: DigestTerms): string {
  const key = `${terms.algorithm}\u0000${terms.user}\u0000${terms.realm}\u0000${terms.password}`;
  let value = baseHa1Cache.get(key);
  if (value === undefined) {
    if (baseHa1Cache.size >= 1_000) baseHa1Cache.clear();
    value = serverHash(terms.algorithm, `${terms.user}:${terms.realm}:${terms.password}`);
    baseHa1Cache.set(key, value);
  }
  return value;
}

function ha1Of(terms: DigestTerms): string {
  const base = baseHa1(terms);
  if (!terms.algorithm.endsWith("-sess")) return base;
  return serverHash(terms.algorithm, `${base}:${terms.nonce}:${terms.sessionCnonce}`);
}

/**
 * KD(HA1, nonce:nc:cnonce:qop:HA2), or H(HA1:nonce:HA2) without qop (RFC 2069).
 * `a2Prefix` is the method for a request's `response` and "" for `rspauth`.
 */
export function serverDigest(terms: DigestTerms, a2Prefix: string, uri: string, entityBody: Uint8Array): string {
  let a2 = `${a2Prefix}:${uri}`;
  if (terms.qop === "auth-int") a2 += `:${serverHash(terms.algorithm, entityBody)}`;
  const ha2 = serverHash(terms.algorithm, a2);
  const ha1 = ha1Of(terms);
  if (terms.qop === undefined) return serverHash(terms.algorithm, `${ha1}:${terms.nonce}:${ha2}`);
  return serverHash(terms.algorithm, `${ha1}:${terms.nonce}:${terms.nc}:${terms.cnonce}:${terms.qop}:${ha2}`);
}

/** Equal strings, compared without an early exit. */
export function sameText(left: string, right: string): boolean {
  const a = Buffer.from(left);
  const b = Buffer.from(right);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * RFC 8187 ext-value (`UTF-8''J%C3%A4s%C3%B8n`, the language tag ignored)
 * decoded, or undefined when malformed or not UTF-8.
 */
export function decodeExtValue(value: string): string | undefined {
  const first = value.indexOf("'");
  const second = first < 0 ? -1 : value.indexOf("'", first + 1);
  if (second < 0 || value.slice(0, first).toLowerCase() !== "utf-8") return undefined;
  try {
    return decodeURIComponent(value.slice(second + 1));
  } catch {
    return undefined;
  }
}

/**
 * Checks who the request claims to be (RFC 7616 §3.4.4 userhash, §3.4 and
 * RFC 8187 `username*`, or plain `username`); a request carrying both
 * `username` and `username*` is malformed.
 */
export function usernameMatches(
  params: Readonly<Record<string, string>>,
  user: string,
  realm: string,
  algorithm: string,
): boolean {
  const { username } = params;
  const extended = params["username*"];
  if (username !== undefined && extended !== undefined) return false;
  if (params.userhash?.toLowerCase() === "true") {
    return username !== undefined && sameText(username.toLowerCase(), serverHash(algorithm, `${user}:${realm}`));
  }
  if (extended !== undefined) return decodeExtValue(extended) === user;
  return username === user;
}

/** `nc`: exactly 8 hex digits (RFC 7616 §3.4), as a number; NaN otherwise. */
export function parseCount(value: string | undefined): number {
  if (value === undefined || value.length !== 8) return Number.NaN;
  for (const char of value) {
    if (!((char >= "0" && char <= "9") || (char >= "a" && char <= "f") || (char >= "A" && char <= "F"))) {
      return Number.NaN;
    }
  }
  return Number.parseInt(value, 16);
}
