import { type DigestChallenge, encodeExtValue, isPrintableAscii, quote } from "./digest-challenge.js";
import { a2, byteHash, byteString, hexHash, keyedDigest, toHex } from "./digest-hash.js";

/** One authenticated request as sent: what `rspauth` and `nextnonce` are checked against. */
export interface DigestAttempt {
  readonly session: DigestSession;
  readonly nonce: string;
  readonly nc: string;
  readonly cnonce: string;
  readonly uri: string;
  readonly ha1: string;
}

/** Who answers: the user name and a way to get `H(username:realm:password)` without holding the password here. */
export interface DigestIdentity {
  readonly username: string;
  baseHa1(challenge: DigestChallenge): string;
}

// cnonce material (scenario DIG-04 in SECURITY.md): 128 random bits per request from
// crypto.getRandomValues, drawn from a pool to keep the per-request path short.
const CNONCE_BYTES = 16;
const pool = new Uint8Array(CNONCE_BYTES * 256);
let poolOffset = pool.length;

function newCnonce(): string {
  if (poolOffset >= pool.length) {
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + CNONCE_BYTES);
  poolOffset += CNONCE_BYTES;
  const cnonce = toHex(bytes);
  bytes.fill(0);
  return cnonce;
}

/** RFC 7616 §3.4: nc is 8 hex digits, counting the requests sent with one nonce. */
function formatCount(count: number): string {
  return count.toString(16).padStart(8, "0");
}

const MAX_COUNT = 0xffffffff;
/** Distinct (method, target) pairs whose H(A2) a session remembers, and the longest target remembered. */
const HA2_CACHE_SIZE = 64;
const HA2_CACHE_TARGET = 256;

/**
 * A challenge being answered for one protection space: everything fixed per
 * challenge is computed once (HA1, the header's fixed parts), so a request
 * costs two short hashes. The nonce count is taken synchronously, so
 * concurrent requests never share an `nc`.
 */
export class DigestSession {
  readonly origin: string;
  readonly challenge: DigestChallenge;
  /** Path prefixes on `origin` from the challenge's `domain`; empty means the whole origin (RFC 7616 §3.3). */
  readonly paths: readonly string[];
  /** The directory of the URL that was challenged: a hint when several realms share an origin. */
  readonly directory: string;
  readonly #usernameField: string;
  readonly #suffix: string;
  readonly #baseHa1: string;
  #ha1 = "";
  #nonce = "";
  #count = 0;
  #sessionCnonce: string | undefined;
  #prefix = "";
  readonly #ha2Cache = new Map<string, string>();

  constructor(origin: string, target: string, challenge: DigestChallenge, identity: DigestIdentity) {
    this.origin = origin;
    this.challenge = challenge;
    this.paths = domainPaths(challenge.domain, origin, target);
    this.directory = target.slice(0, target.lastIndexOf("/", pathEnd(target) - 1) + 1);
    this.#baseHa1 = identity.baseHa1(challenge);
    this.#suffix = headerSuffix(challenge);
    this.#usernameField = usernameField(challenge, identity.username);
    this.adopt(challenge.nonce);
  }

  get nonce(): string {
    return this.#nonce;
  }

  /** True when the session can still count requests with its nonce. */
  get usable(): boolean {
    return this.#count < MAX_COUNT;
  }

  /**
   * Switches to a new nonce (`nextnonce`, RFC 7616 §3.5) with nc back at 1.
   * For `-sess`, A1 is bound to the first request's nonce and cnonce (§3.4.2):
   * every request with this nonce then carries that same cnonce, so a server
   * that fixes the session key at the first request and one that recomputes it
   * from each request's cnonce both agree (DIG-05).
   */
  adopt(nonce: string): void {
    if (nonce === this.#nonce) return;
    const { challenge } = this;
    this.#nonce = nonce;
    this.#count = 0;
    if (challenge.resolved.session) {
      this.#sessionCnonce = newCnonce();
      this.#ha1 = byteHash(challenge.resolved.hash, `${this.#baseHa1}:${nonce}:${this.#sessionCnonce}`);
    } else {
      this.#ha1 = this.#baseHa1;
    }
    this.#prefix = `Digest ${this.#usernameField}, realm=${quote(challenge.realm)}, nonce=${quote(nonce)}, uri=`;
  }

  /** True when `authorization` (a value this session made) was made with the session's current nonce. */
  madeWithCurrentNonce(authorization: string): boolean {
    return authorization.startsWith(this.#prefix);
  }

  /** H(method:uri), remembered: requests repeat the same targets, so the steady state costs one hash. */
  #ha2(method: string, target: string): string {
    if (target.length > HA2_CACHE_TARGET) return hexHash(this.challenge.resolved.hash, `${method}:${target}`);
    const key = `${method} ${target}`;
    let ha2 = this.#ha2Cache.get(key);
    if (ha2 === undefined) {
      if (this.#ha2Cache.size >= HA2_CACHE_SIZE) this.#ha2Cache.clear();
      ha2 = hexHash(this.challenge.resolved.hash, `${method}:${target}`);
      this.#ha2Cache.set(key, ha2);
    }
    return ha2;
  }

  /**
   * The `Authorization` value for one request: `target` is the request-target
   * exactly as sent, `body` the exact body bytes (only read for auth-int).
   */
  authorize(method: string, target: string, body: Uint8Array | undefined): { header: string; attempt: DigestAttempt } {
    const { challenge } = this;
    const { hash } = challenge.resolved;
    const nc = formatCount(++this.#count);
    const cnonce = this.#sessionCnonce ?? (challenge.qop === undefined ? "" : newCnonce());
    const ha2 =
      challenge.qop === "auth-int"
        ? hexHash(hash, a2(hash, method, target, "auth-int", body))
        : this.#ha2(method, target);
    const response = keyedDigest(hash, this.#ha1, this.#nonce, ha2, challenge.qop, nc, cnonce);
    let header = `${this.#prefix}${quote(target)}, response="${response}"`;
    if (challenge.qop !== undefined) header += `, qop=${challenge.qop}, nc=${nc}, cnonce="${cnonce}"`;
    header += this.#suffix;
    return { header, attempt: { session: this, nonce: this.#nonce, nc, cnonce, uri: target, ha1: this.#ha1 } };
  }
}

/**
 * `username`, the userhash (RFC 7616 §3.4.4), or for a name outside ASCII:
 * `username*` (§3.4, RFC 8187) where the challenge says `charset=UTF-8`, else
 * the name's UTF-8 bytes in a quoted `username`, as curl and browsers send
 * it — servers that advertise no charset (Apache httpd's mod_auth_digest)
 * know no `username*` and compare those bytes.
 */
function usernameField(challenge: DigestChallenge, username: string): string {
  if (challenge.userhash) {
    return `username="${byteHash(challenge.resolved.hash, `${byteString(username)}:${challenge.realm}`)}"`;
  }
  if (isPrintableAscii(username)) return `username=${quote(username)}`;
  if (challenge.utf8) return `username*=${encodeExtValue(username)}`;
  return `username=${quote(byteString(username))}`;
}

function headerSuffix(challenge: DigestChallenge): string {
  let suffix = "";
  if (challenge.opaque !== undefined) suffix += `, opaque=${quote(challenge.opaque)}`;
  // Echo the server's own spelling: some servers compare it case-sensitively.
  if (challenge.algorithmParam !== undefined) suffix += `, algorithm=${challenge.algorithmParam}`;
  if (challenge.userhash) suffix += ", userhash=true";
  return suffix;
}

/** End of the path part of a request-target (before `?`). */
function pathEnd(target: string): number {
  const query = target.indexOf("?");
  return query < 0 ? target.length : query;
}

/**
 * RFC 7616 §3.3 `domain`: URIs, absolute or relative, whose prefixes form the
 * protection space. Only those on the challenging origin count: a Digest
 * response is a password-derived hash and never goes to another origin.
 */
function domainPaths(domain: readonly string[], origin: string, target: string): string[] {
  const paths: string[] = [];
  for (const uri of domain) {
    try {
      const resolved = new URL(uri, origin + target);
      if (resolved.origin === origin) paths.push(resolved.pathname);
    } catch {
      // An unparseable domain URI names no space we could match; ignore it.
    }
  }
  return paths.includes("/") ? [] : paths;
}
