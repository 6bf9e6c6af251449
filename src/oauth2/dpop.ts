import { getTouched, setBounded } from "./bounded.js";
import { base64url, base64urlText, sha256Base64url, utf8 } from "./dpop-encoding.js";
import type { DpopKey } from "./dpop-key.js";
import { type Learned, ServerMemory } from "./dpop-servers.js";

/** Token hashes kept: tokens in use at once by one instance (one per resource it calls). */
const TOKEN_HASHES_REMEMBERED = 16;

/**
 * DPoP (RFC 9449) for one ClientCredentialsAuth: its key, the nonces and
 * clocks of the servers it talks to, and the proofs. Proofs are built from
 * parts computed once — the encoded header per key, `ath` per token — so a
 * proof costs a UUID, a JSON of five short claims and one WebCrypto
 * signature (which Node runs on its thread pool, off the event loop).
 *
 * @example
 * ```ts
 * const dpop = new DpopSigner(generateDpopKey());
 * request.headers.set("dpop", await dpop.proof("GET", request.url, { accessToken }));
 * ```
 */
export class DpopSigner {
  readonly #key: Promise<DpopKey>;
  readonly #servers = new ServerMemory();
  readonly #now: () => number;
  /** `ath` per token (a few: one per discovered resource): it changes once per token, not per request. */
  readonly #tokenHashes = new Map<string, Promise<string>>();

  /** `now`: the wall clock proofs are dated by (the server checks `iat` against its own). */
  constructor(key: Promise<DpopKey>, now: () => number = Date.now) {
    this.#key = key;
    // Reported at the first proof; this keeps a bad key from being an unhandled rejection meanwhile.
    key.catch(() => {});
    this.#now = now;
  }

  /** The key, once imported (rejects with the key's error). */
  key(): Promise<DpopKey> {
    return this.#key;
  }

  /**
   * A fresh proof for a request (RFC 9449 §4.2): `htm` the method, `htu` the
   * URL without query and fragment, `iat` on the server's clock, a unique
   * `jti`, `ath` when a token goes with it, and `nonce` — the one given, or
   * the last one that server sent.
   */
  async proof(method: string, url: string, options: { accessToken?: string; nonce?: string } = {}): Promise<string> {
    const target = new URL(url);
    const { origin } = target;
    const nonce = options.nonce ?? this.#servers.nonce(origin);
    const ath = options.accessToken === undefined ? undefined : await this.#athOf(options.accessToken);
    const key = await this.#key;
    const claims: Record<string, string | number> = {
      jti: crypto.randomUUID(),
      htm: method,
      htu: `${origin}${target.pathname}`,
      iat: this.#servers.issuedAt(origin, this.#now()),
    };
    if (ath !== undefined) claims.ath = ath;
    if (nonce !== undefined) claims.nonce = nonce;
    const input = `${key.header}.${base64urlText(JSON.stringify(claims))}`;
    return `${input}.${base64url(await key.sign(utf8(input)))}`;
  }

  /** Remembers an answer's `DPoP-Nonce` and `Date` for the next proof to its server. */
  learn(url: string, headers: Headers): Learned {
    return this.#servers.learn(new URL(url).origin, headers, this.#now());
  }

  #athOf(accessToken: string): Promise<string> {
    const known = getTouched(this.#tokenHashes, accessToken);
    if (known !== undefined) return known;
    const hash = sha256Base64url(accessToken);
    setBounded(this.#tokenHashes, accessToken, hash, TOKEN_HASHES_REMEMBERED);
    return hash;
  }
}
