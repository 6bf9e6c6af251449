import type { CryptoKey as JoseKey, JWK } from "jose";
import { InvalidArgumentError, MissingCredentialsError } from "../errors.js";
import { REDACTED, redactable } from "../support/redact.js";
import { jose } from "./jose.js";
import type { ClientAuthMethod, PrivateKeyInput } from "./options.js";

/**
 * Adds a client's credentials to one token request: a header or form
 * parameters, never both (RFC 6749 §2.3.1: "MUST NOT use more than one
 * authentication method in each request").
 *
 * @example
 * ```ts
 * const authenticator = createClientAuthenticator({ clientId: "c", clientSecret: "s", clientAuth: "client_secret_basic" });
 * await authenticator.apply(headers, body, "https://as.example/token", Date.now());
 * ```
 */
export interface ClientAuthenticator {
  readonly method: ClientAuthMethod;
  /** Adds the credentials for a request to `tokenEndpoint`; `now` (epoch ms) dates a client assertion. */
  apply(headers: Headers, body: URLSearchParams, tokenEndpoint: string, now: number): Promise<void>;
}

/** What {@link createClientAuthenticator} needs: the credential options of ClientCredentialsAuth. */
export interface ClientCredentialsInput {
  readonly clientId: string;
  readonly clientAuth: ClientAuthMethod;
  readonly clientSecret?: string | undefined;
  readonly privateKey?: PrivateKeyInput | undefined;
  readonly signingAlgorithm?: string | undefined;
}

/** RFC 7523 §2.2. */
const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** Lifetime of a client assertion: short, so a captured one is soon useless (RFC 7523 §3 item 4). */
const ASSERTION_LIFETIME_SECONDS = 60;

/**
 * `application/x-www-form-urlencoded` encoding of one value, as
 * `URLSearchParams` does it: space → `+`, and everything but `*-._` and
 * alphanumerics percent-encoded (so `! ' ( ) ~` are too, unlike
 * `encodeURIComponent`).
 *
 * @example
 * ```ts
 * formUrlEncode("p@ss word!"); // "p%40ss+word%21"
 * ```
 */
export function formUrlEncode(value: string): string {
  return new URLSearchParams([["", value]]).toString().slice(1);
}

/**
 * The `Authorization` value for `client_secret_basic`: RFC 6749 §2.3.1 says the
 * id and secret are form-urlencoded (Appendix B) before RFC 7617 Basic.
 *
 * @example
 * ```ts
 * clientSecretBasic("1PpG/Q 1", "z/tZ9VwFZqApmIQ+ZH1I5pLk/uB4ud:X2/8bL+wfFTt1rFw=");
 * // "Basic MVBwRyUyRlErMTp6JTJGdFo5…JTNE"
 * ```
 */
export function clientSecretBasic(clientId: string, clientSecret: string): string {
  // The encoded form is ASCII, so btoa sees one byte per character.
  return `Basic ${btoa(`${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`)}`;
}

/**
 * Builds the authenticator for `input.clientAuth`. Throws InvalidArgumentError or
 * MissingCredentialsError when the credentials that method needs are missing.
 *
 * @example
 * ```ts
 * createClientAuthenticator({ clientId: "c", clientAuth: "private_key_jwt", privateKey: jwk });
 * ```
 */
export function createClientAuthenticator(input: ClientCredentialsInput): ClientAuthenticator {
  switch (input.clientAuth) {
    case "client_secret_basic":
      return new SecretBasic(input.clientId, requireSecret(input));
    case "client_secret_post":
      return new SecretPost(input.clientId, requireSecret(input));
    case "client_secret_jwt":
      return new SecretJwt(input.clientId, requireSecret(input), input.signingAlgorithm ?? "HS256");
    case "private_key_jwt":
      return new PrivateKeyJwt(input.clientId, input.privateKey, input.signingAlgorithm);
    case "tls_client_auth":
    case "self_signed_tls_client_auth":
      return new MutualTls(input.clientId, input.clientAuth);
    default:
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        "clientAuth",
        `clientAuth must be client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt, tls_client_auth or self_signed_tls_client_auth, got ${String(input.clientAuth)}`,
      );
  }
}

function requireSecret(input: ClientCredentialsInput): string {
  if (typeof input.clientSecret !== "string" || input.clientSecret === "") {
    throw new MissingCredentialsError(`clientAuth "${input.clientAuth}" needs a clientSecret`);
  }
  return input.clientSecret;
}

class SecretBasic implements ClientAuthenticator {
  readonly method = "client_secret_basic";
  readonly #header: string;
  constructor(
    readonly clientId: string,
    secret: string,
  ) {
    // Computed once: nothing per request that can be done up front.
    this.#header = clientSecretBasic(clientId, secret);
  }
  async apply(headers: Headers): Promise<void> {
    headers.set("authorization", this.#header);
  }
}

class SecretPost implements ClientAuthenticator {
  readonly method = "client_secret_post";
  readonly #secret: string;
  constructor(
    readonly clientId: string,
    secret: string,
  ) {
    this.#secret = secret;
  }
  async apply(_headers: Headers, body: URLSearchParams): Promise<void> {
    body.set("client_id", this.clientId);
    body.set("client_secret", this.#secret);
  }
}

class SecretJwt implements ClientAuthenticator {
  readonly method = "client_secret_jwt";
  readonly #key: Uint8Array;
  constructor(
    readonly clientId: string,
    secret: string,
    readonly algorithm: string,
  ) {
    if (!/^HS(256|384|512)$/.test(algorithm)) {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        "signingAlgorithm",
        `client_secret_jwt signs with HS256, HS384 or HS512, not ${algorithm}`,
      );
    }
    this.#key = new TextEncoder().encode(secret);
  }
  async apply(_headers: Headers, body: URLSearchParams, tokenEndpoint: string, now: number): Promise<void> {
    const assertion = await signAssertion(this.clientId, tokenEndpoint, now, { alg: this.algorithm }, this.#key);
    setAssertion(body, this.clientId, assertion);
  }
}

class PrivateKeyJwt implements ClientAuthenticator {
  readonly method = "private_key_jwt";
  readonly #key: Promise<{ key: JoseKey | Uint8Array; algorithm: string; keyId: string | undefined }>;
  constructor(
    readonly clientId: string,
    privateKey: PrivateKeyInput | undefined,
    signingAlgorithm: string | undefined,
  ) {
    if (privateKey === undefined || privateKey === null) {
      throw new MissingCredentialsError(
        'clientAuth "private_key_jwt" needs a privateKey (a JWK, a PKCS#8 PEM or a CryptoKey)',
      );
    }
    this.#key = importPrivateKey(privateKey, signingAlgorithm);
    // Reported when the key is used; this keeps an invalid key from being an unhandled rejection meanwhile.
    this.#key.catch(() => {});
  }
  async apply(_headers: Headers, body: URLSearchParams, tokenEndpoint: string, now: number): Promise<void> {
    const { key, algorithm, keyId } = await this.#key;
    const header = keyId === undefined ? { alg: algorithm } : { alg: algorithm, kid: keyId };
    setAssertion(body, this.clientId, await signAssertion(this.clientId, tokenEndpoint, now, header, key));
  }
}

/**
 * RFC 8705 §2: the certificate on the connection authenticates the client
 * (the transport presents it); the request names the client (`client_id`,
 * required) and carries no secret.
 */
class MutualTls implements ClientAuthenticator {
  constructor(
    readonly clientId: string,
    readonly method: "tls_client_auth" | "self_signed_tls_client_auth",
  ) {}
  async apply(_headers: Headers, body: URLSearchParams): Promise<void> {
    body.set("client_id", this.clientId);
  }
}

for (const type of [SecretBasic, SecretPost, SecretJwt, PrivateKeyJwt, MutualTls]) {
  redactable(type.prototype, type.name, (authenticator) => ({
    method: authenticator.method,
    clientId: authenticator.clientId,
    secret: REDACTED,
  }));
}

function setAssertion(body: URLSearchParams, clientId: string, assertion: string): void {
  // client_id is optional with an assertion (RFC 7521 §4.2) but helps servers find the client's key.
  body.set("client_id", clientId);
  body.set("client_assertion_type", ASSERTION_TYPE);
  body.set("client_assertion", assertion);
}

/** RFC 7523 §3: iss = sub = client id, aud = the token endpoint, a unique jti, a short exp. */
async function signAssertion(
  clientId: string,
  tokenEndpoint: string,
  now: number,
  header: { alg: string; kid?: string },
  key: JoseKey | Uint8Array,
): Promise<string> {
  const issuedAt = Math.floor(now / 1000);
  const { SignJWT } = await jose();
  return new SignJWT({})
    .setProtectedHeader(header)
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(tokenEndpoint)
    .setJti(randomIdentifier())
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ASSERTION_LIFETIME_SECONDS)
    .sign(key);
}

function randomIdentifier(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_");
}

async function importPrivateKey(
  input: PrivateKeyInput,
  signingAlgorithm: string | undefined,
): Promise<{ key: JoseKey | Uint8Array; algorithm: string; keyId: string | undefined }> {
  if (typeof input === "string") {
    if (signingAlgorithm === undefined) {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        "signingAlgorithm",
        'a PEM privateKey needs signingAlgorithm (e.g. "RS256", "ES256", "EdDSA")',
      );
    }
    return {
      key: await (await jose()).importPKCS8(input, signingAlgorithm),
      algorithm: signingAlgorithm,
      keyId: undefined,
    };
  }
  if (isCryptoKey(input)) {
    const algorithm = signingAlgorithm ?? algorithmOfCryptoKey(input);
    return { key: input, algorithm, keyId: undefined };
  }
  const jwk = input as JWK;
  if (typeof jwk.d !== "string") {
    throw new InvalidArgumentError("ERR_INVALID_ARG_VALUE", "privateKey", "the privateKey JWK has no private part (d)");
  }
  const algorithm = jwk.alg ?? signingAlgorithm ?? algorithmOfJwk(jwk);
  return { key: await (await jose()).importJWK(jwk, algorithm), algorithm, keyId: jwk.kid };
}

function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== "undefined" && value instanceof CryptoKey;
}

/** The usual JWS algorithm for a key type (RFC 7518 §3.1, RFC 8037 §3.1). */
function algorithmOfJwk(jwk: JWK): string {
  if (jwk.kty === "RSA") return "RS256";
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") return "EdDSA";
  if (jwk.kty === "EC") {
    const byCurve: Record<string, string> = { "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" };
    const algorithm = byCurve[jwk.crv ?? ""];
    if (algorithm !== undefined) return algorithm;
  }
  throw new InvalidArgumentError(
    "ERR_INVALID_ARG_VALUE",
    "signingAlgorithm",
    `cannot tell the signing algorithm of a ${jwk.kty} key; set signingAlgorithm or the JWK's alg`,
  );
}

function algorithmOfCryptoKey(key: CryptoKey): string {
  const algorithm = key.algorithm as { name: string; hash?: { name: string }; namedCurve?: string };
  const bits = algorithm.hash?.name.replace("SHA-", "") ?? "256";
  switch (algorithm.name) {
    case "RSASSA-PKCS1-v1_5":
      return `RS${bits}`;
    case "RSA-PSS":
      return `PS${bits}`;
    case "ECDSA":
      return algorithmOfJwk({ kty: "EC", crv: algorithm.namedCurve ?? "" });
    case "Ed25519":
      return "EdDSA";
    default:
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        "privateKey",
        `cannot sign a client assertion with a ${algorithm.name} key; set signingAlgorithm`,
      );
  }
}
