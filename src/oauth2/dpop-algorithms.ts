import { InvalidArgumentError } from "../errors.js";

/**
 * The DPoP proof algorithms authflow signs with (RFC 9449 §4.2: asymmetric
 * only), and how each maps onto WebCrypto and JWK. Pure and synchronous, so
 * a key that cannot work is refused at construction.
 */

/**
 * A JWS algorithm for DPoP proofs.
 *
 * @example
 * ```ts
 * const algorithm: DpopAlgorithm = "ES256";
 * ```
 */
export type DpopAlgorithm = "ES256" | "EdDSA" | "RS256" | "PS256";

/** The WebCrypto parameters of one algorithm: to import or generate a key, and to sign. */
export interface WebCryptoAlgorithm {
  readonly importParams: EcKeyImportParams | RsaHashedImportParams | Algorithm;
  readonly signParams: EcdsaParams | RsaPssParams | Algorithm;
}

/** RFC 7518 §3.4, §3.3, §3.5; RFC 8037 §3.1. PS256's salt is the hash's length (RFC 7518 §3.5). */
export const WEB_CRYPTO: Readonly<Record<DpopAlgorithm, WebCryptoAlgorithm>> = {
  ES256: { importParams: { name: "ECDSA", namedCurve: "P-256" }, signParams: { name: "ECDSA", hash: "SHA-256" } },
  EdDSA: { importParams: { name: "Ed25519" }, signParams: { name: "Ed25519" } },
  RS256: { importParams: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, signParams: { name: "RSASSA-PKCS1-v1_5" } },
  PS256: { importParams: { name: "RSA-PSS", hash: "SHA-256" }, signParams: { name: "RSA-PSS", saltLength: 32 } },
};

const SUPPORTED = "ES256 (EC P-256), EdDSA (OKP Ed25519), RS256 or PS256 (RSA)";

/** The public members of each key type, in RFC 7638 §3.2's lexicographic order: a thumbprint hashes exactly these. */
const PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ["crv", "kty", "x", "y"],
  OKP: ["crv", "kty", "x"],
  RSA: ["e", "kty", "n"],
};
/** Private members imported with the public ones (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2). */
const PRIVATE_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ["d"],
  OKP: ["d"],
  RSA: ["d", "p", "q", "dp", "dq", "qi"],
};

function invalid(option: string, message: string): InvalidArgumentError {
  return new InvalidArgumentError("ERR_INVALID_ARG_VALUE", option, message);
}

/**
 * The algorithm of a JWK: its `kty`/`crv`, and its `alg` when present (which
 * must agree). Throws {@link InvalidArgumentError} for any other key.
 *
 * @example
 * ```ts
 * jwkAlgorithm({ kty: "RSA", alg: "PS256", n: "…", e: "AQAB" }, "dpop.privateKey"); // "PS256"
 * ```
 */
export function jwkAlgorithm(jwk: JsonWebKey, option: string): DpopAlgorithm {
  const { kty, crv, alg } = jwk;
  let algorithm: DpopAlgorithm | undefined;
  if (kty === "EC" && crv === "P-256" && (alg === undefined || alg === "ES256")) algorithm = "ES256";
  if (kty === "OKP" && crv === "Ed25519" && (alg === undefined || alg === "EdDSA" || alg === "Ed25519")) {
    algorithm = "EdDSA";
  }
  if (kty === "RSA" && (alg === undefined || alg === "RS256")) algorithm = "RS256";
  if (kty === "RSA" && alg === "PS256") algorithm = "PS256";
  if (algorithm === undefined) {
    throw invalid(option, `${option} must be a key for ${SUPPORTED}; its kty, crv or alg is another (RFC 9449 §4.2)`);
  }
  return algorithm;
}

/**
 * The algorithm of a WebCrypto key. Throws {@link InvalidArgumentError} for any other.
 *
 * @example
 * ```ts
 * cryptoKeyAlgorithm(pair.privateKey, "dpop.privateKey"); // "ES256"
 * ```
 */
export function cryptoKeyAlgorithm(key: CryptoKey, option: string): DpopAlgorithm {
  const { name, namedCurve, hash } = key.algorithm as { name: string; namedCurve?: string; hash?: { name: string } };
  if (name === "ECDSA" && namedCurve === "P-256") return "ES256";
  if (name === "Ed25519") return "EdDSA";
  if (name === "RSASSA-PKCS1-v1_5" && hash?.name === "SHA-256") return "RS256";
  if (name === "RSA-PSS" && hash?.name === "SHA-256") return "PS256";
  throw invalid(option, `${option} must be a CryptoKey for ${SUPPORTED} (got ${name.slice(0, 40)})`);
}

/**
 * The public JWK of `jwk`: its required public members only, in RFC 7638
 * order — what a proof's header carries and its thumbprint hashes. A private
 * member never leaves this function.
 *
 * @example
 * ```ts
 * publicJwk({ kty: "EC", crv: "P-256", x: "…", y: "…", d: "…", kid: "k1" }, "dpop.privateKey");
 * // { crv: "P-256", kty: "EC", x: "…", y: "…" }
 * ```
 */
export function publicJwk(jwk: JsonWebKey, option: string): Record<string, string> {
  const members = PUBLIC_MEMBERS[jwk.kty ?? ""];
  if (members === undefined) throw invalid(option, `${option} must be a key for ${SUPPORTED}`);
  const result: Record<string, string> = {};
  for (const member of members) {
    const value = (jwk as Record<string, unknown>)[member];
    if (typeof value !== "string" || value === "") throw invalid(option, `${option} has no "${member}" member`);
    result[member] = value;
  }
  return result;
}

/**
 * The members of a private JWK WebCrypto needs to import it for signing:
 * no `alg`, `use`, `key_ops` or `ext` that could disagree with the usage.
 *
 * @example
 * ```ts
 * await crypto.subtle.importKey("jwk", signingJwk(jwk, "dpop.privateKey"), WEB_CRYPTO.ES256.importParams, false, ["sign"]);
 * ```
 */
export function signingJwk(jwk: JsonWebKey, option: string): JsonWebKey {
  const result: Record<string, string> = publicJwk(jwk, option);
  for (const member of PRIVATE_MEMBERS[jwk.kty ?? ""] ?? []) {
    const value = (jwk as Record<string, unknown>)[member];
    if (typeof value === "string") result[member] = value;
  }
  if (result.d === undefined) throw invalid(option, `${option} is a public JWK: the private key (with "d") signs`);
  return result as JsonWebKey;
}

/**
 * True when `value` is a WebCrypto key (in runtimes that have the class).
 *
 * @example
 * ```ts
 * isCryptoKey(pair.privateKey); // true
 * ```
 */
export function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== "undefined" && value instanceof CryptoKey;
}
