import { decodeJwt, importJWK, type JWK, jwtVerify } from "jose";
import type { ClientAuthMethod } from "../oauth2/options.js";
import { decodeBasic } from "./basic-header.js";
import type { ClientAuthFailure, OAuthClientRegistration, TestClientAuthMethod } from "./client-types.js";
import { checkTlsClient } from "./oauth-mtls.js";
import type { PeerCertificate } from "./tls.js";

/**
 * The private key of the default `pkjwt-client` (ES256). A TEST FIXTURE,
 * published on purpose: never trust it anywhere else.
 *
 * @example
 * ```ts
 * new ClientCredentialsAuth({ tokenUrl, clientId: "pkjwt-client", clientAuth: "private_key_jwt", privateKey: TEST_CLIENT_PRIVATE_JWK });
 * ```
 */
export const TEST_CLIENT_PRIVATE_JWK: JsonWebKey & { kid: string } = Object.freeze({
  kty: "EC",
  crv: "P-256",
  x: "VX8Ua7uzyzbIoxqgtA8uTQNUj-oa9URhHAWIiUFguM8",
  y: "EfwgaioM5pcqymQepKv2MBNuVQHfboZ0vpyqjD1XbPE",
  d: "OYHtSgjs0w9Sqs9HaWsQ-6e0VMX6zpmnL1qxpFVmfx0",
  alg: "ES256",
  kid: "authflow-test-es256",
});

export type { ClientAuthFailure, OAuthClientRegistration, TestClientAuthMethod };

/**
 * The clients registered when `clients` is not given: one per client
 * authentication method, with these secrets.
 *
 * @example
 * ```ts
 * new ClientCredentialsAuth({ tokenUrl, clientId: "basic-client", clientSecret: "basic-secret" });
 * ```
 */
export function defaultClients(): OAuthClientRegistration[] {
  const { d: _private, ...publicKey } = TEST_CLIENT_PRIVATE_JWK;
  return [
    { clientId: "basic-client", authMethod: "client_secret_basic", clientSecret: "basic-secret" },
    { clientId: "post-client", authMethod: "client_secret_post", clientSecret: "post-secret" },
    {
      clientId: "jwt-client",
      authMethod: "client_secret_jwt",
      clientSecret: "jwt-secret-that-is-at-least-32-bytes-long",
    },
    { clientId: "pkjwt-client", authMethod: "private_key_jwt", publicKey },
  ];
}

/**
 * What checking a client assertion needs from the server.
 *
 * @example
 * ```ts
 * const context: AssertionContext = { audiences: [`${origin}/oauth/token`, origin], now: Date.now(), seenJti: new Map() };
 * ```
 */
export interface AssertionContext {
  /** Audiences accepted for an assertion: the token endpoint URL and the issuer. */
  readonly audiences: readonly string[];
  /** The server's clock, epoch ms. */
  readonly now: number;
  /** jti values seen, with their expiry (epoch s): a second use is a replay (RFC 7523 §3 item 7). */
  readonly seenJti: Map<string, number>;
  /** The client certificate on the connection, for the RFC 8705 methods. */
  readonly certificate?: PeerCertificate | undefined;
}

const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/**
 * Authenticates the client of a token request strictly: exactly one method
 * (RFC 6749 §2.3.1), the one it is registered for, the Basic credentials
 * form-decoded per RFC 6749 §2.3.1, assertions checked per RFC 7523 §3
 * (signature, iss = sub = client id, aud, exp, iat, a jti never seen before).
 *
 * @example
 * ```ts
 * const client = await authenticateClient(request.headers.authorization, form, clients, { audiences, now, seenJti });
 * if (!("clientId" in client)) sendJson(response, client.status, { error: client.error });
 * ```
 */
export async function authenticateClient(
  authorization: string | undefined,
  form: URLSearchParams,
  clients: readonly OAuthClientRegistration[],
  context: AssertionContext,
): Promise<OAuthClientRegistration | ClientAuthFailure> {
  const basic = authorization !== undefined && /^basic /i.test(authorization);
  const post = form.has("client_secret");
  const assertion = form.has("client_assertion") || form.has("client_assertion_type");
  const used = [basic, post, assertion].filter(Boolean).length;
  if (used > 1) return failure(400, "invalid_request", "more than one client authentication method (RFC 6749 §2.3.1)");
  if (used === 0) {
    // RFC 8705 §2: a mutual-TLS client names itself with client_id and authenticates with its certificate.
    const tlsClient = clients.find((candidate) => candidate.clientId === form.get("client_id"));
    if (tlsClient?.authMethod === "tls_client_auth" || tlsClient?.authMethod === "self_signed_tls_client_auth") {
      return checkTlsClient(tlsClient, context.certificate, context.now);
    }
    return failure(401, "invalid_client", "no client authentication");
  }
  if (basic) return checkBasic(authorization, clients);
  if (post) return checkSecret(form.get("client_id"), form.get("client_secret"), "client_secret_post", clients);
  return checkAssertion(form, clients, context);
}

function checkBasic(authorization: string | undefined, clients: readonly OAuthClientRegistration[]) {
  const credentials = decodeBasic(authorization);
  if (credentials === null) return failure(401, "invalid_client", "malformed Basic credentials");
  const clientId = formDecode(credentials.username);
  const secret = formDecode(credentials.password);
  return checkSecret(clientId, secret, "client_secret_basic", clients);
}

function checkSecret(
  clientId: string | null,
  secret: string | null,
  method: ClientAuthMethod,
  clients: readonly OAuthClientRegistration[],
): OAuthClientRegistration | ClientAuthFailure {
  const client = clients.find((candidate) => candidate.clientId === clientId);
  if (client === undefined || client.authMethod !== method || client.clientSecret !== secret || secret === null) {
    return failure(401, "invalid_client", "client authentication failed");
  }
  return client;
}

async function checkAssertion(
  form: URLSearchParams,
  clients: readonly OAuthClientRegistration[],
  context: AssertionContext,
): Promise<OAuthClientRegistration | ClientAuthFailure> {
  const assertion = form.get("client_assertion");
  if (form.get("client_assertion_type") !== ASSERTION_TYPE || assertion === null) {
    return failure(400, "invalid_request", "client_assertion_type must be jwt-bearer with a client_assertion");
  }
  let subject: string | undefined;
  try {
    subject = decodeJwt(assertion).sub;
  } catch {
    return failure(401, "invalid_client", "client_assertion is not a JWT");
  }
  const clientId = form.get("client_id") ?? subject;
  const client = clients.find((candidate) => candidate.clientId === clientId);
  if (client === undefined || (client.authMethod !== "client_secret_jwt" && client.authMethod !== "private_key_jwt")) {
    return failure(401, "invalid_client", "unknown client or wrong authentication method");
  }
  try {
    const symmetric = client.authMethod === "client_secret_jwt";
    const key = symmetric
      ? new TextEncoder().encode(client.clientSecret ?? "")
      : await importJWK(client.publicKey as JWK, (client.publicKey as JWK).alg);
    const { payload } = await jwtVerify(assertion, key, {
      issuer: client.clientId,
      subject: client.clientId,
      audience: [...context.audiences],
      algorithms: symmetric ? ["HS256", "HS384", "HS512"] : ["RS256", "PS256", "ES256", "ES384", "EdDSA", "Ed25519"],
      requiredClaims: ["jti", "exp", "iat"],
      currentDate: new Date(context.now),
      maxTokenAge: "5 minutes",
    });
    const jti = payload.jti as string;
    if (context.seenJti.has(jti)) return failure(401, "invalid_client", "client_assertion replayed (jti seen before)");
    context.seenJti.set(jti, payload.exp as number);
    return client;
  } catch {
    return failure(401, "invalid_client", "client_assertion verification failed");
  }
}

/** RFC 6749 Appendix B: `+` is a space, then percent-decoding. */
function formDecode(value: string): string | null {
  try {
    return decodeURIComponent(value.replaceAll("+", " "));
  } catch {
    return null;
  }
}

/**
 * An RFC 6749 §5.2 refusal.
 *
 * @example
 * ```ts
 * return failure(401, "invalid_client", "client authentication failed");
 * ```
 */
export function failure(status: number, error: string, description: string): ClientAuthFailure {
  return { status, error, description };
}

/**
 * RFC 8705 test clients for certificates made by `createTestCertificates()`:
 * `mtls-client` (`tls_client_auth`, registered with `client.subject`) and,
 * when the certificates are given, `self-signed-client`
 * (`self_signed_tls_client_auth`, registered with `selfSigned.thumbprint`).
 * Without certificates only `mtls-client`, expecting the default subject
 * `CN=mtls-client,O=authflow tests` — what a server with `tls.requestCert`
 * and no `clients` registers next to `defaultClients()`.
 *
 * @example
 * ```ts
 * const certificates = await createTestCertificates();
 * const clients = [...defaultClients(), ...mtlsTestClients(certificates)];
 * ```
 */
export function mtlsTestClients(certificates?: {
  readonly client: { readonly subject: string };
  readonly selfSigned: { readonly thumbprint: string };
}): OAuthClientRegistration[] {
  const subject = certificates?.client.subject ?? "CN=mtls-client,O=authflow tests";
  const mtls: OAuthClientRegistration = {
    clientId: "mtls-client",
    authMethod: "tls_client_auth",
    tlsClientAuthSubjectDn: subject,
  };
  if (certificates === undefined) return [mtls];
  const thumbprint = certificates.selfSigned.thumbprint;
  return [
    mtls,
    { clientId: "self-signed-client", authMethod: "self_signed_tls_client_auth", certificateThumbprint: thumbprint },
  ];
}
