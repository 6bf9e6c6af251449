import { InvalidArgumentError } from "../errors.js";
import {
  cryptoKeyAlgorithm,
  type DpopAlgorithm,
  isCryptoKey,
  jwkAlgorithm,
  publicJwk,
  signingJwk,
  WEB_CRYPTO,
} from "./dpop-algorithms.js";
import { base64urlText, sha256Base64url, utf8 } from "./dpop-encoding.js";
import type { DpopKeyPair } from "./options.js";

/**
 * A DPoP signing key, ready for proofs: everything that depends on the key
 * alone — the public JWK, its thumbprint, the encoded JWS header — is
 * computed once here, so a proof costs one signature and a few string joins.
 *
 * @example
 * ```ts
 * const key = await generateDpopKey();
 * key.thumbprint; // "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" (RFC 7638)
 * ```
 */
export interface DpopKey {
  readonly algorithm: DpopAlgorithm;
  /** The public key as a JWK, required members only (RFC 7638 §3.2). */
  readonly publicJwk: Readonly<Record<string, string>>;
  /** The base64url SHA-256 JWK thumbprint (RFC 7638): what a bound token's `cnf.jkt` holds. */
  readonly thumbprint: string;
  /** The base64url protected header `{"alg","typ":"dpop+jwt","jwk"}` (RFC 9449 §4.2). */
  readonly header: string;
  /** Signs a JWS signing input; WebCrypto runs it off the main thread where the runtime can. */
  sign(input: Uint8Array<ArrayBuffer>): Promise<Uint8Array>;
}

const OPTION = "dpop";

/**
 * A fresh ES256 key pair whose private key can never be exported: `dpop: true`.
 *
 * @example
 * ```ts
 * const key = await generateDpopKey();
 * ```
 */
export async function generateDpopKey(): Promise<DpopKey> {
  const pair = (await crypto.subtle.generateKey(WEB_CRYPTO.ES256.importParams as EcKeyGenParams, false, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  // A generated public key is always extractable (WebCrypto generateKey step).
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  return readyKey("ES256", pair.privateKey, publicJwk(jwk, `${OPTION}.publicKey`));
}

/**
 * Checks a supplied key pair synchronously (types, key types, algorithms),
 * so a key that cannot work fails at construction with
 * {@link InvalidArgumentError}; the import itself happens in {@link loadDpopKey}.
 *
 * @example
 * ```ts
 * checkDpopKeyPair({ privateKey: { kty: "oct", k: "…" } }); // → InvalidArgumentError
 * ```
 */
export function checkDpopKeyPair(pair: DpopKeyPair): void {
  const { privateKey, publicKey } = pair;
  const privateOption = `${OPTION}.privateKey`;
  if (isCryptoKey(privateKey)) {
    cryptoKeyAlgorithm(privateKey, privateOption);
    if (privateKey.type !== "private" || !privateKey.usages.includes("sign")) {
      throw invalid(privateOption, `${privateOption} must be a private CryptoKey with the "sign" usage`);
    }
    if (!privateKey.extractable && publicKey === undefined) {
      throw invalid(
        `${OPTION}.publicKey`,
        `a non-extractable ${privateOption} needs ${OPTION}.publicKey: its public half cannot be read from it`,
      );
    }
  } else if (isJwk(privateKey)) {
    jwkAlgorithm(privateKey, privateOption);
    signingJwk(privateKey, privateOption);
  } else {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_TYPE",
      privateOption,
      `${privateOption} must be a JWK or a CryptoKey`,
    );
  }
  if (publicKey === undefined || isJwk(publicKey)) return;
  if (!isCryptoKey(publicKey) || publicKey.type !== "public") {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_TYPE",
      `${OPTION}.publicKey`,
      `${OPTION}.publicKey must be a public JWK or a public CryptoKey`,
    );
  }
}

/**
 * The key of a supplied pair: imported non-extractable for signing, its
 * public half read from `publicKey` or derived from the private key. When
 * `publicKey` is given, one test signature checks that the two belong
 * together (a mismatched pair would make every proof fail at the server).
 *
 * @example
 * ```ts
 * const key = await loadDpopKey({ privateKey: jwk });
 * ```
 */
export async function loadDpopKey(pair: DpopKeyPair): Promise<DpopKey> {
  checkDpopKeyPair(pair);
  const { privateKey, publicKey } = pair;
  const privateOption = `${OPTION}.privateKey`;
  const algorithm = isCryptoKey(privateKey)
    ? cryptoKeyAlgorithm(privateKey, privateOption)
    : jwkAlgorithm(privateKey, privateOption);
  const signer = isCryptoKey(privateKey)
    ? privateKey
    : await crypto.subtle.importKey(
        "jwk",
        signingJwk(privateKey, privateOption),
        WEB_CRYPTO[algorithm].importParams,
        false,
        ["sign"],
      );
  const jwk = await publicHalf(pair);
  const key = await readyKey(algorithm, signer, jwk);
  if (publicKey !== undefined) await checkPair(key, algorithm);
  return key;
}

/** The public JWK of the pair: `publicKey` when given, else read from the private key. */
async function publicHalf({ privateKey, publicKey }: DpopKeyPair): Promise<Record<string, string>> {
  const source = publicKey ?? privateKey;
  const option = publicKey === undefined ? `${OPTION}.privateKey` : `${OPTION}.publicKey`;
  if (!isCryptoKey(source)) return publicJwk(source, option);
  if (!source.extractable) throw invalid(option, `${option} is not extractable: its public JWK cannot be read`);
  return publicJwk(await crypto.subtle.exportKey("jwk", source), option);
}

/** Signs a test message and verifies it with the public JWK: the two halves must belong together. */
async function checkPair(key: DpopKey, algorithm: DpopAlgorithm): Promise<void> {
  const message = utf8("authflow DPoP key pair check");
  const { importParams, signParams } = WEB_CRYPTO[algorithm];
  const verifier = await crypto.subtle.importKey("jwk", key.publicJwk as JsonWebKey, importParams, false, ["verify"]);
  const signature = await key.sign(message);
  if (!(await crypto.subtle.verify(signParams, verifier, signature as Uint8Array<ArrayBuffer>, message))) {
    throw invalid(`${OPTION}.publicKey`, `${OPTION}.publicKey is not the public half of ${OPTION}.privateKey`);
  }
}

async function readyKey(algorithm: DpopAlgorithm, signer: CryptoKey, jwk: Record<string, string>): Promise<DpopKey> {
  // RFC 7638 §3: the JSON of the required members, in lexicographic order, no whitespace.
  const thumbprint = await sha256Base64url(JSON.stringify(jwk));
  const header = base64urlText(JSON.stringify({ alg: algorithm, typ: "dpop+jwt", jwk }));
  const { signParams } = WEB_CRYPTO[algorithm];
  return {
    algorithm,
    publicJwk: Object.freeze({ ...jwk }),
    thumbprint,
    header,
    sign: async (input) => new Uint8Array(await crypto.subtle.sign(signParams, signer, input)),
  };
}

function isJwk(value: unknown): value is JsonWebKey {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !isCryptoKey(value);
}

function invalid(option: string, message: string): InvalidArgumentError {
  return new InvalidArgumentError("ERR_INVALID_ARG_VALUE", option, message);
}
