import { createHash, createPublicKey, X509Certificate } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { createLocalJWKSet, exportJWK, generateKeyPair, type JSONWebKeySet, jwtVerify } from "jose";
import Provider, { type ClientMetadata } from "oidc-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, ClientCredentialsAuth, OAuthError, TlsError, withAuth } from "../../src/index.js";
import type { ClientCredentialsOptions } from "../../src/oauth2/options.js";
import { createTestCertificates, type TestCertificates } from "../../src/server/index.js";
import { tlsAgent } from "../../src/undici/index.js";

// RFC 8705 against an independent authorization server: panva's oidc-provider served over HTTPS on
// loopback with features.mTLS (tls_client_auth, self_signed_tls_client_auth, certificate-bound access
// tokens), and a resource server here that checks the JWT's cnf.x5t#S256 against the certificate
// presented on its own TLS connection (issue 14).

let certificates: TestCertificates;
let provider: Server;
let resource: Server;
let issuer: string;
let resourceUrl: string;
let providerKeys: ReturnType<typeof createLocalJWKSet>;
/** Thumbprints the resource saw bound tokens for, and what it answered. */
const resourceChecks: { presented: string | undefined; bound: unknown; status: number }[] = [];

const thumbprintOf = (der: Buffer) => createHash("sha256").update(der).digest("base64url");

function peerCertificate(socket: TLSSocket): X509Certificate | undefined {
  const raw = socket.getPeerCertificate(false)?.raw;
  return raw === undefined ? undefined : new X509Certificate(raw);
}

/** "O=authflow tests\nCN=mtls-client" and "CN=mtls-client,O=authflow tests" name the same subject. */
const nameSet = (name: string, separator: RegExp) => new Set(name.split(separator).map((part) => part.trim()));
function sameSubject(certificate: X509Certificate, expected: string): boolean {
  const actual = nameSet(certificate.subject, /\n/);
  const wanted = nameSet(expected, /,/);
  return actual.size === wanted.size && [...wanted].every((part) => actual.has(part));
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function mtlsClient(clientId: string, extra: Partial<ClientMetadata>): ClientMetadata {
  return {
    client_id: clientId,
    grant_types: ["client_credentials"],
    redirect_uris: [],
    response_types: [],
    scope: "api:read",
    tls_client_certificate_bound_access_tokens: true,
    ...extra,
  };
}

beforeAll(async () => {
  certificates = await createTestCertificates();
  const tlsOptions = {
    cert: certificates.server.cert,
    key: certificates.server.key,
    ca: certificates.ca.cert,
    requestCert: true,
    rejectUnauthorized: false,
  };
  let handler: (request: IncomingMessage, response: ServerResponse) => void = () => {};
  provider = createServer(tlsOptions, (request, response) => handler(request, response));
  issuer = await listen(provider);
  resource = createServer(tlsOptions, (request, response) => void checkResource(request, response));
  resourceUrl = await listen(resource);

  const signing = await generateKeyPair("RS256", { extractable: true });
  const selfSignedKey = createPublicKey(certificates.selfSigned.cert).export({ format: "jwk" });
  const selfSignedDer = new X509Certificate(certificates.selfSigned.cert).raw.toString("base64");
  const oidc = new Provider(issuer, {
    clients: [
      mtlsClient("mtls-pki", {
        token_endpoint_auth_method: "tls_client_auth",
        tls_client_auth_subject_dn: certificates.client.subject,
      }),
      mtlsClient("mtls-self", {
        token_endpoint_auth_method: "self_signed_tls_client_auth",
        jwks: { keys: [{ ...selfSignedKey, use: "sig", x5c: [selfSignedDer] }] },
      }),
      mtlsClient("bound-secret", { token_endpoint_auth_method: "client_secret_basic", client_secret: "bound secret" }),
    ],
    clientAuthMethods: ["client_secret_basic", "tls_client_auth", "self_signed_tls_client_auth"],
    jwks: { keys: [{ ...(await exportJWK(signing.privateKey)), alg: "RS256", use: "sig", kid: "as-key" }] },
    scopes: ["api:read"],
    cookies: { keys: ["interop-test-only-cookie-key"] },
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        selfSignedTlsClientAuth: true,
        getCertificate: (ctx) => peerCertificate(ctx.socket as TLSSocket),
        certificateAuthorized: (ctx) => (ctx.socket as TLSSocket).authorized,
        certificateSubjectMatches: (ctx, property, expected) => {
          const certificate = peerCertificate(ctx.socket as TLSSocket);
          return (
            property === "tls_client_auth_subject_dn" && certificate !== undefined && sameSubject(certificate, expected)
          );
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined as unknown as string,
        useGrantedResource: () => false,
        getResourceServerInfo: (_context, indicator) => ({
          scope: "api:read",
          audience: indicator,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "RS256" } },
        }),
      },
    },
  });
  handler = oidc.callback();
  const dispatcher = tlsAgent({ ca: certificates.ca.cert });
  const jwks = await (await fetch(`${issuer}/jwks`, { dispatcher } as RequestInit)).json();
  providerKeys = createLocalJWKSet(jwks as JSONWebKeySet);
  await dispatcher.close();
});

afterAll(async () => {
  for (const server of [provider, resource]) {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  }
});

/** The resource server: a JWT from the provider, for this audience, bound to the certificate on this connection. */
async function checkResource(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const presented = peerCertificate(request.socket as TLSSocket);
  const thumbprint = presented === undefined ? undefined : thumbprintOf(presented.raw);
  const token = request.headers.authorization?.replace(/^Bearer /, "") ?? "";
  let bound: unknown;
  try {
    const { payload } = await jwtVerify(token, providerKeys, { issuer, audience: resourceUrl });
    bound = (payload.cnf as Record<string, unknown> | undefined)?.["x5t#S256"];
  } catch {
    bound = undefined;
  }
  const status = bound !== undefined && bound === thumbprint ? 200 : 401;
  resourceChecks.push({ presented: thumbprint, bound, status });
  if (status === 401) response.setHeader("www-authenticate", 'Bearer error="invalid_token"');
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ bound }));
}

function auth(options: Partial<ClientCredentialsOptions> & Pick<ClientCredentialsOptions, "clientId">) {
  return new ClientCredentialsAuth({ issuer, scope: "api:read", resource: resourceUrl, ...options });
}

const identity = (which: "client" | "selfSigned" | "wrongSubject" | "untrusted") => ({
  ca: certificates.ca.cert,
  cert: certificates[which].cert,
  key: certificates[which].key,
});

describe("RFC 8705 interop with oidc-provider over HTTPS", () => {
  it.each([
    ["tls_client_auth", "mtls-pki", "client"],
    ["self_signed_tls_client_auth", "mtls-self", "selfSigned"],
  ] as const)("%s: a bound token the resource accepts on a Client given the auth", async (method, clientId, which) => {
    const cc = auth({ clientId, clientAuth: method, tls: identity(which) });
    const response = await new Client({ auth: cc }).get(`${resourceUrl}/orders`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ bound: certificates[which].thumbprint });
  });

  it("client_secret_basic with a certificate: the token is bound to it too", async () => {
    const cc = auth({ clientId: "bound-secret", clientSecret: "bound secret", tls: identity("client") });
    const response = await new Client({ auth: cc }).get(`${resourceUrl}/orders`);
    expect(await response.json()).toEqual({ bound: certificates.client.thumbprint });
  });

  it("a different certificate at the resource: refused (401), also after a fresh token", async () => {
    const cc = auth({ clientId: "mtls-pki", clientAuth: "tls_client_auth", tls: identity("client") });
    const dispatcher = tlsAgent(identity("selfSigned"));
    try {
      const before = resourceChecks.length;
      const response = await withAuth(
        (input, init) => fetch(input, { ...init, dispatcher } as RequestInit),
        cc,
      )(`${resourceUrl}/orders`);
      expect(response.status).toBe(401);
      const checks = resourceChecks.slice(before);
      expect(checks.every((check) => check.presented === certificates.selfSigned.thumbprint)).toBe(true);
      expect(checks.every((check) => check.bound === certificates.client.thumbprint)).toBe(true);
    } finally {
      await dispatcher.close();
    }
  });

  it.each([
    ["the wrong subject", "wrongSubject"],
    ["a certificate from an untrusted CA", "untrusted"],
  ] as const)("refuses %s: OAuthError invalid_client", async (_name, which) => {
    const attempt = auth({ clientId: "mtls-pki", clientAuth: "tls_client_auth", tls: identity(which) }).getToken();
    await expect(attempt).rejects.toBeInstanceOf(OAuthError);
    await expect(attempt).rejects.toMatchObject({ error: "invalid_client" });
  });

  it("no CA configured: TlsError unknown-ca at discovery, naming tls.ca", async () => {
    const { cert, key } = certificates.client;
    const attempt = auth({ clientId: "mtls-pki", clientAuth: "tls_client_auth", tls: { cert, key } }).getToken();
    await expect(attempt).rejects.toBeInstanceOf(TlsError);
    await expect(attempt).rejects.toMatchObject({ reason: "unknown-ca", option: "tls.ca", origin: issuer });
  });
});
