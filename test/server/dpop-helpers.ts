import { createHash, randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

/** A DPoP key pair as a test holds it: the private key to sign, the public JWK to embed. */
export interface ProofKey {
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

export async function proofKey(alg = "ES256"): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, privateKey, jwk: await exportJWK(publicKey) };
}

/** What a test may set or break in a proof; every claim defaults to a valid one. */
export interface ProofParts {
  readonly htm: string;
  readonly htu: string;
  readonly iat?: number;
  readonly jti?: string;
  readonly ath?: string;
  readonly nonce?: string;
  readonly accessToken?: string;
  readonly header?: Record<string, unknown>;
  readonly omit?: readonly string[];
}

/** A DPoP proof (RFC 9449 §4.2) built by hand with jose, as an independent client would. */
export async function makeProof(key: ProofKey, parts: ProofParts): Promise<string> {
  const claims: Record<string, unknown> = {
    htm: parts.htm,
    htu: parts.htu,
    jti: parts.jti ?? randomUUID(),
    iat: parts.iat ?? Math.floor(Date.now() / 1000),
  };
  if (parts.accessToken !== undefined) claims.ath = hashToken(parts.accessToken);
  if (parts.ath !== undefined) claims.ath = parts.ath;
  if (parts.nonce !== undefined) claims.nonce = parts.nonce;
  for (const name of parts.omit ?? []) delete claims[name];
  const header = { alg: key.alg, typ: "dpop+jwt", jwk: key.jwk, ...parts.header };
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

const basic = `Basic ${Buffer.from("basic-client:basic-secret").toString("base64")}`;

/** POST /oauth/token for `basic-client`, with the headers and extra form fields given. */
export function requestToken(
  url: string,
  headers: Record<string, string> = {},
  form: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${url}/oauth/token`, {
    method: "POST",
    headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams({ grant_type: "client_credentials", ...form }),
  });
}

/** A DPoP-bound token for `key`, from a server that does not demand nonces. */
export async function dpopToken(url: string, key: ProofKey, form: Record<string, string> = {}): Promise<string> {
  const proof = await makeProof(key, { htm: "POST", htu: `${url}/oauth/token` });
  const response = await requestToken(url, { dpop: proof }, form);
  const body = (await response.json()) as { access_token: string; token_type: string };
  if (response.status !== 200 || body.token_type !== "DPoP") throw new Error(`no DPoP token: ${JSON.stringify(body)}`);
  return body.access_token;
}
