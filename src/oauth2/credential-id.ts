import type { JWK } from "jose";
import { keyedIdentity } from "../guard/identity.js";
import { getTouched, setBounded } from "./bounded.js";
import { jose } from "./jose.js";
import { certificateThumbprint, isMutualTlsMethod } from "./mtls.js";
import type { ClientAuthMethod, PrivateKeyInput } from "./options.js";

/**
 * The identity of a client's credential, for cache keys and the rejection
 * guard: two configurations with different secrets or keys never share a
 * token (issue 12.1), the same configuration in every process of a fleet
 * does. The credential itself never appears in a key.
 *
 * - A secret (`client_secret_*`): PBKDF2-HMAC-SHA-256, 100,000 iterations,
 *   salted with a domain string, the method, the configured endpoint and the
 *   client id. Deterministic, so a fleet shares; slow, so a key name read
 *   from a shared store is no cheap offline oracle for a weak secret (one
 *   guess costs 100,000 HMACs, not one hash). 100,000 is the most every
 *   WebCrypto runtime allows (Cloudflare Workers caps PBKDF2 there); it runs
 *   once per configuration per process, off the main thread (~45 ms).
 * - A client certificate (`tls`, RFC 8705): its `x5t#S256` — alone for the
 *   `tls_client_auth` methods, after the secret's or key's identity for the
 *   others (the server may bind their tokens to it, §3).
 * - A private key (`private_key_jwt`): the public key's RFC 7638 thumbprint;
 *   a public value, so nothing to hide. A non-extractable CryptoKey has no
 *   readable public part: it gets a random identity per key object (its
 *   tokens are then not shared across processes).
 */
export interface CredentialInput {
  /** The configured `tokenUrl` or `issuer`, as given. */
  readonly configuredUrl: string;
  readonly clientId: string;
  readonly clientAuth: ClientAuthMethod;
  readonly clientSecret?: string | undefined;
  readonly privateKey?: PrivateKeyInput | undefined;
  readonly signingAlgorithm?: string | undefined;
  /** The client certificate (PEM) the token requests present (`tls.cert`), if any. */
  readonly certificate?: string | undefined;
}

/** Salt prefix: a derivation for another purpose never collides with this one. */
const DOMAIN = "authflow/oauth2/client-credential/v1";
/** PBKDF2 iterations (see {@link CredentialInput}). */
export const CREDENTIAL_KDF_ITERATIONS = 100_000;
/** Derivations remembered per process, so instances with one configuration derive once. */
const MEMO_LIMIT = 256;
const memo = new Map<string, Promise<string>>();
const keyObjectIds = new WeakMap<CryptoKey, string>();

/**
 * The credential's identity: `"secret:<hex>"` or `"key:<thumbprint>"`. Rejects
 * when the private key cannot be read (the same error the token request
 * would give).
 *
 * @example
 * ```ts
 * await credentialIdentity({ configuredUrl: "https://as.example/token", clientId: "c", clientAuth: "client_secret_basic", clientSecret: "s" });
 * // "secret:9f2c…"
 * ```
 */
export function credentialIdentity(input: CredentialInput): Promise<string> {
  const { certificate } = input;
  if (certificate === undefined) return secretOrKeyIdentity(input);
  // RFC 8705: the certificate authenticates the client (§2) or binds its tokens (§3): its x5t#S256 is in the key.
  const bound = certificateThumbprint(certificate).then((thumbprint) => `cert:${thumbprint}`);
  if (isMutualTlsMethod(input.clientAuth)) return bound;
  return Promise.all([secretOrKeyIdentity(input), bound]).then(([identity, cert]) => `${identity}+${cert}`);
}

function secretOrKeyIdentity(input: CredentialInput): Promise<string> {
  if (input.clientAuth === "private_key_jwt") return keyIdentity(input.privateKey, input.signingAlgorithm);
  const salt = JSON.stringify([DOMAIN, input.clientAuth, input.configuredUrl, input.clientId]);
  const secret = input.clientSecret ?? "";
  // In-process memo, keyed by an HMAC under a per-process random key: no plain digest of the secret is kept.
  const memoKey = keyedIdentity("oauth-secret", salt, secret);
  const known = getTouched(memo, memoKey);
  if (known !== undefined) return known;
  const derived = deriveSecretIdentity(secret, salt);
  setBounded(memo, memoKey, derived, MEMO_LIMIT);
  derived.catch(() => memo.delete(memoKey));
  return derived;
}

async function deriveSecretIdentity(secret: string, salt: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: encoder.encode(salt), iterations: CREDENTIAL_KDF_ITERATIONS },
    key,
    256,
  );
  return `secret:${toHex(new Uint8Array(bits))}`;
}

async function keyIdentity(input: PrivateKeyInput | undefined, algorithm: string | undefined): Promise<string> {
  if (input === undefined) return "key:none";
  if (typeof input === "string") {
    // A PEM is imported extractable here only to read its public part.
    const { calculateJwkThumbprint, exportJWK, importPKCS8 } = await jose();
    const key = await importPKCS8(input, algorithm ?? "RS256", { extractable: true });
    return `key:${await calculateJwkThumbprint(await exportJWK(key), "sha256")}`;
  }
  if (typeof CryptoKey !== "undefined" && input instanceof CryptoKey) {
    const { calculateJwkThumbprint, exportJWK } = await jose();
    if (input.extractable) return `key:${await calculateJwkThumbprint(await exportJWK(input), "sha256")}`;
    return `key-object:${objectId(input)}`;
  }
  // RFC 7638 §3.2: only the required public members count, so a private JWK's d is never read.
  return `key:${await (await jose()).calculateJwkThumbprint(input as JWK, "sha256")}`;
}

function objectId(key: CryptoKey): string {
  let id = keyObjectIds.get(key);
  if (id === undefined) {
    id = toHex(crypto.getRandomValues(new Uint8Array(16)));
    keyObjectIds.set(key, id);
  }
  return id;
}

function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}
