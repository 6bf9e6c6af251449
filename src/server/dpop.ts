import { createHash } from "node:crypto";
import {
  calculateJwkThumbprint,
  compactVerify,
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  type JWTPayload,
} from "jose";
import { DpopNonces, ProofReplayCache } from "./dpop-state.js";
import type { TestServerDpopOptions } from "./option-types.js";
import { countIn, type DpopRefusalReason, type ServerStats } from "./stats.js";

/**
 * The proof algorithms the test server accepts (RFC 9449 §4.2: asymmetric
 * only), as its metadata advertises them (`dpop_signing_alg_values_supported`).
 *
 * @example
 * ```ts
 * const { privateKey, publicKey } = await generateKeyPair(DPOP_ALGORITHMS[0]); // ES256
 * ```
 */
export const DPOP_ALGORITHMS: readonly string[] = ["ES256", "EdDSA", "RS256", "PS256"];

/** Members only a private or symmetric JWK has: a proof's `jwk` must have none (RFC 9449 §4.2). */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
/** A proof is a few hundred bytes; an RSA one with a 4096-bit key about 1.5 KiB. */
const MAX_PROOF_LENGTH = 8192;

/**
 * What one proof is checked against.
 *
 * @example
 * ```ts
 * const check: ProofCheck = { proofs: request.headersDistinct.dpop, method: "POST", targets: [`${origin}/oauth/token`] };
 * ```
 */
export interface ProofCheck {
  /** Every `DPoP` header of the request. */
  readonly proofs: readonly string[] | undefined;
  /** The request's method (`htm`). */
  readonly method: string;
  /** The URIs (origin and path, no query) the request may have been sent to (`htu`). */
  readonly targets: readonly string[];
  /** At a resource: the access token the proof must hash in `ath` (RFC 9449 §4.3 check 11). */
  readonly accessToken?: string;
}

/**
 * A proof's verdict: accepted, with its key's RFC 7638 thumbprint, or
 * refused with the RFC 9449 error to answer and a reason for the counters.
 *
 * @example
 * ```ts
 * const verdict = await dpop.check(check);
 * if (!verdict.ok) sendJson(response, 400, { error: verdict.error, error_description: verdict.description });
 * ```
 */
export type ProofVerdict =
  | { readonly ok: true; readonly jkt: string }
  | {
      readonly ok: false;
      readonly reason: DpopRefusalReason;
      readonly error: "invalid_dpop_proof" | "use_dpop_nonce";
      readonly description: string;
    };

/**
 * The server's DPoP proof checks (RFC 9449 §4.3): one `DPoP` header, a JWS
 * with `typ` `dpop+jwt`, an accepted asymmetric `alg`, a public `jwk` that
 * verifies it, `jti`/`htm`/`htu`/`iat` present, `htm` and `htu` those of the
 * request, `iat` within ±`iatToleranceSeconds` of the server clock, `ath`
 * the token's hash at a resource, a `jti` never seen with that key, and a
 * current nonce when `requireNonce`. Counts into `stats.dpop`.
 *
 * @example
 * ```ts
 * const dpop = new DpopChecker(options.dpop, stats, () => Date.now());
 * const verdict = await dpop.check({ proofs: request.headersDistinct.dpop, method: "GET", targets, accessToken });
 * ```
 */
export class DpopChecker {
  readonly requiresNonce: boolean;
  readonly #stats: ServerStats;
  readonly #now: () => number;
  readonly #toleranceSeconds: number;
  readonly #nonces: DpopNonces;
  readonly #replays: ProofReplayCache;

  constructor(options: TestServerDpopOptions | undefined, stats: ServerStats, now: () => number) {
    this.requiresNonce = options?.requireNonce === true;
    this.#stats = stats;
    this.#now = now;
    this.#toleranceSeconds = options?.iatToleranceSeconds ?? 60;
    const lifetimeMs = (options?.nonceLifetimeSeconds ?? 300) * 1000;
    const minted = () => {
      stats.dpop.noncesIssued += 1;
    };
    this.#nonces = new DpopNonces(options?.nonceMode ?? "rotating", lifetimeMs, now, minted);
    this.#replays = new ProofReplayCache(options?.replayCacheSize ?? 10_000, this.#toleranceSeconds);
  }

  /** `{ "dpop-nonce": … }` for an answer to a DPoP request when nonces are required, else `{}`. */
  nonceHeaders(): Record<string, string> {
    return this.requiresNonce ? { "dpop-nonce": this.#nonces.current() } : {};
  }

  /** Counts a refusal decided outside `check` (a token sent with the wrong scheme, a key that is not the bound one). */
  refuse(reason: DpopRefusalReason): void {
    countIn(this.#stats.dpop.refusals, reason);
  }

  async check(check: ProofCheck): Promise<ProofVerdict> {
    this.#stats.dpop.proofsChecked += 1;
    const verdict = await this.#verdict(check);
    if (verdict.ok) this.#stats.dpop.proofsAccepted += 1;
    else this.refuse(verdict.reason);
    return verdict;
  }

  reset(): void {
    this.#nonces.clear();
    this.#replays.clear();
  }

  async #verdict(check: ProofCheck): Promise<ProofVerdict> {
    // A JWS compact serialisation has no comma: a comma means several proofs folded into one header line.
    const proofs = (check.proofs ?? []).flatMap((value) => value.split(","));
    if (proofs.length === 0) return invalid("missing", "the request carries no DPoP proof");
    if (proofs.length > 1) return invalid("multiple-headers", "send exactly one DPoP header (RFC 9449 §4.3)");
    const signed = await verifySignature(proofs[0] as string);
    if ("reason" in signed) return signed;
    return this.#checkClaims(signed.payload, signed.jkt, check);
  }

  #checkClaims(payload: JWTPayload, jkt: string, check: ProofCheck): ProofVerdict {
    const { jti, htm, htu, iat } = payload;
    if (
      typeof jti !== "string" ||
      jti === "" ||
      jti.length > 256 ||
      typeof htm !== "string" ||
      typeof htu !== "string"
    ) {
      return invalid("claims", "the proof needs string jti (at most 256 characters), htm and htu claims");
    }
    if (typeof iat !== "number" || !Number.isFinite(iat))
      return invalid("claims", "the proof needs a numeric iat claim");
    if (htm !== check.method) return invalid("htm", `htm must be the request's method, ${check.method}`);
    const target = withoutQuery(htu);
    if (target === undefined || !check.targets.includes(target)) {
      return invalid("htu", `htu must be the request's URI without query and fragment, ${check.targets[0]}`);
    }
    const nowSeconds = this.#now() / 1000;
    if (Math.abs(nowSeconds - iat) > this.#toleranceSeconds || this.#replays.tooOld(iat)) {
      return invalid("iat", `iat must be within ${this.#toleranceSeconds} s of the server's clock`);
    }
    if (check.accessToken !== undefined && payload.ath !== tokenHash(check.accessToken)) {
      return invalid("ath", "ath must be the base64url SHA-256 of the access token (RFC 9449 §4.2)");
    }
    const replayKey = `${jkt}.${jti}`;
    if (this.#replays.seen(replayKey)) return invalid("replay", "this proof's jti was used before: make a new proof");
    if (this.requiresNonce && !this.#nonces.accept(payload.nonce)) {
      return {
        ok: false,
        reason: "nonce",
        error: "use_dpop_nonce",
        description: "the proof must carry the nonce from the DPoP-Nonce header (RFC 9449 §8)",
      };
    }
    this.#replays.add(replayKey, iat, nowSeconds);
    return { ok: true, jkt };
  }
}

/**
 * The base64url SHA-256 of an access token, as a proof's `ath` carries it (RFC 9449 §4.2).
 *
 * @example
 * ```ts
 * tokenHash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"); // "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
 * ```
 */
export function tokenHash(accessToken: string): string {
  return createHash("sha256").update(accessToken, "ascii").digest("base64url");
}

type Signed = { readonly payload: JWTPayload; readonly jkt: string };

/** The header checks, the signature with the embedded `jwk`, and the key's thumbprint. */
async function verifySignature(proof: string): Promise<Signed | Extract<ProofVerdict, { ok: false }>> {
  if (proof.length > MAX_PROOF_LENGTH)
    return invalid("malformed", `the proof is longer than ${MAX_PROOF_LENGTH} characters`);
  let header: ReturnType<typeof decodeProtectedHeader>;
  let payload: JWTPayload;
  try {
    header = decodeProtectedHeader(proof);
    payload = decodeJwt(proof);
  } catch {
    return invalid("malformed", "the DPoP header is not a JWT");
  }
  const typ = typeof header.typ === "string" ? header.typ.toLowerCase() : "";
  if (typ !== "dpop+jwt" && typ !== "application/dpop+jwt")
    return invalid("typ", 'the proof\'s typ must be "dpop+jwt"');
  if (typeof header.alg !== "string" || !DPOP_ALGORITHMS.includes(header.alg)) {
    return invalid("alg", `the proof's alg must be one of ${DPOP_ALGORITHMS.join(", ")}`);
  }
  const jwk = header.jwk as JWK | undefined;
  if (jwk === null || typeof jwk !== "object" || PRIVATE_MEMBERS.some((member) => member in jwk)) {
    return invalid("jwk", "the proof's header must carry the public key as jwk, with no private part");
  }
  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    key = await importJWK(jwk, header.alg);
  } catch {
    return invalid("jwk", "the proof's jwk is not a public key for its alg");
  }
  if (key instanceof Uint8Array || key.type !== "public") {
    return invalid("jwk", "the proof's jwk must be a public key");
  }
  try {
    await compactVerify(proof, key, { algorithms: [header.alg] });
  } catch (error) {
    const failed = (error as { code?: string }).code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED";
    return failed
      ? invalid("signature", "the proof's signature does not verify with its jwk")
      : invalid("jwk", "the proof's jwk does not suit its alg");
  }
  return { payload, jkt: await calculateJwkThumbprint(jwk, "sha256") };
}

/** `htu` as origin and path (RFC 9449 §4.3 check 9: query and fragment ignored), normalised by the URL parser. */
function withoutQuery(htu: string): string | undefined {
  try {
    const url = new URL(htu);
    return url.protocol === "http:" || url.protocol === "https:" ? `${url.origin}${url.pathname}` : undefined;
  } catch {
    return undefined;
  }
}

function invalid(reason: DpopRefusalReason, description: string): Extract<ProofVerdict, { ok: false }> {
  return { ok: false, reason, error: "invalid_dpop_proof", description };
}
