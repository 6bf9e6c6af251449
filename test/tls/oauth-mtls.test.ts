/**
 * Issue 14: ClientCredentialsAuth with RFC 8705 mutual TLS — `tls_client_auth`
 * (§2.1) and `self_signed_tls_client_auth` (§2.2) against the embedded test
 * server over https, certificate-bound tokens (§3) used by a Client given the
 * same auth (one object), the thumbprint in the cache key, the mTLS alias of
 * the token endpoint from discovery (§5), and the refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Client,
  ClientCredentialsAuth,
  InvalidArgumentError,
  MemoryTokenStore,
  MissingCredentialsError,
  OAuthError,
  TlsError,
  withAuth,
} from "../../src/index.js";
import { credentialIdentity } from "../../src/oauth2/credential-id.js";
import {
  createTestCertificates,
  defaultClients,
  mtlsTestClients,
  startTestServer,
  type TestCertificates,
  type TestServer,
} from "../../src/server/index.js";
import { tlsAgent } from "../../src/undici/index.js";
import { serverCertificate, startTlsServer } from "./helpers.js";

let certificates: TestCertificates;
let server: TestServer;

beforeAll(async () => {
  certificates = await createTestCertificates();
  const { ca, server: pair } = certificates;
  server = await startTestServer({
    tls: { cert: pair.cert, key: pair.key, ca: ca.cert, requestCert: true },
    clients: [...defaultClients(), ...mtlsTestClients(certificates)],
  });
});
afterAll(() => server.close());

function mtlsAuth(identity: { cert: string; key: string }, options: Record<string, unknown> = {}) {
  return new ClientCredentialsAuth({
    issuer: server.url,
    clientId: "mtls-client",
    clientAuth: "tls_client_auth",
    tls: { ca: certificates.ca.cert, cert: identity.cert, key: identity.key },
    ...options,
  });
}

describe("tls_client_auth and self_signed_tls_client_auth", () => {
  it("one object: the auth's certificate-bound token works on a Client given that auth", async () => {
    const before = server.stats().tokensIssuedByBinding.mtls;
    const auth = mtlsAuth(certificates.client);
    const client = new Client({ baseURL: server.url, auth });
    const response = await client.get("/oauth/mtls-protected");
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      client_id: "mtls-client",
      cnf: { "x5t#S256": certificates.client.thumbprint },
    });
    expect(server.stats().tokensIssuedByBinding.mtls).toBe(before + 1);
    // Cached: the next requests (direct path) reuse the token.
    for (let round = 0; round < 3; round++) expect((await client.get("/oauth/mtls-protected")).status).toBe(200);
    expect(server.stats().tokensIssuedByBinding.mtls).toBe(before + 1);
  });

  it("self_signed_tls_client_auth: the registered certificate gets a bound token", async () => {
    const auth = new ClientCredentialsAuth({
      tokenUrl: `${server.url}/oauth/token`,
      clientId: "self-signed-client",
      clientAuth: "self_signed_tls_client_auth",
      tls: { ca: certificates.ca.cert, cert: certificates.selfSigned.cert, key: certificates.selfSigned.key },
    });
    const response = await new Client({ auth }).get(`${server.url}/oauth/mtls-protected`);
    expect(await response.json()).toMatchObject({ cnf: { "x5t#S256": certificates.selfSigned.thumbprint } });
  });

  it("a Client with tls.ca only takes the auth's certificate; with another tls.cert it is refused", async () => {
    const auth = mtlsAuth(certificates.client);
    const client = new Client({ baseURL: server.url, auth, tls: { ca: certificates.ca.cert } });
    expect((await client.get("/oauth/mtls-protected")).status).toBe(200);
    const other = {
      ca: certificates.ca.cert,
      cert: certificates.wrongSubject.cert,
      key: certificates.wrongSubject.key,
    };
    expect(() => new Client({ auth, tls: other })).toThrow(InvalidArgumentError);
    expect(() => new Client({ auth, tls: other })).toThrow(/bound to its client certificate \(RFC 8705 §3\)/);
  });

  it("a per-request auth with a certificate the Client does not present is refused before sending", async () => {
    const before = server.stats().tokenRequests;
    const client = new Client({ baseURL: server.url, tls: { ca: certificates.ca.cert } });
    const attempt = client.get("/oauth/mtls-protected", { auth: mtlsAuth(certificates.client) });
    await expect(attempt).rejects.toMatchObject({ name: "InvalidArgumentError", option: "auth" });
    expect(server.stats().tokenRequests).toBe(before);
  });

  it("a bound token over a connection with a different certificate is refused by the resource (401)", async () => {
    const auth = mtlsAuth(certificates.client);
    const before = server.stats().mtls.refusals.binding ?? 0;
    const { ca, selfSigned } = certificates;
    // withAuth with a fetch whose dispatcher presents another certificate: the caller's fetch is trusted.
    const dispatcher = tlsAgent({ ca: ca.cert, cert: selfSigned.cert, key: selfSigned.key });
    const otherFetch = (input: Request, init?: RequestInit) => fetch(input, { ...init, dispatcher } as RequestInit);
    const response = await withAuth(otherFetch, auth)(`${server.url}/oauth/mtls-protected`);
    expect(response.status).toBe(401);
    // Refused, then once more with a new token after its invalid_token challenge (RFC 6750 §3.1).
    expect(server.stats().mtls.refusals.binding).toBeGreaterThanOrEqual(before + 1);
    await dispatcher.close();
  });
});

describe("refusals", () => {
  it.each([
    ["the wrong subject", "wrongSubject", "subject"],
    ["a certificate from an untrusted CA", "untrusted", "untrusted"],
  ] as const)("%s: OAuthError invalid_client, asked once", async (_name, which, reason) => {
    const before = server.stats().mtls.refusals[reason] ?? 0;
    const requests = server.stats().tokenRequests;
    const attempt = mtlsAuth(certificates[which]).getToken();
    await expect(attempt).rejects.toBeInstanceOf(OAuthError);
    await expect(attempt).rejects.toMatchObject({ error: "invalid_client", status: 401 });
    expect(server.stats().mtls.refusals[reason]).toBe(before + 1);
    expect(server.stats().tokenRequests).toBe(requests + 1);
  });

  it("no CA configured: TlsError unknown-ca at once, not retried as a network error", async () => {
    const endpoint = await startTlsServer({ cert: certificates.server.cert, key: certificates.server.key });
    try {
      const auth = new ClientCredentialsAuth({
        tokenUrl: `${endpoint.url}/token`,
        clientId: "mtls-client",
        clientAuth: "tls_client_auth",
        tls: { cert: certificates.client.cert, key: certificates.client.key },
        maxRetries: 3,
      });
      const attempt = auth.getToken();
      await expect(attempt).rejects.toBeInstanceOf(TlsError);
      await expect(attempt).rejects.toMatchObject({ reason: "unknown-ca", option: "tls.ca" });
      expect(endpoint.connections).toBe(1);
    } finally {
      await endpoint.close();
    }
  });

  it("tls_client_auth without a certificate: MissingCredentialsError at construction", () => {
    const make = () =>
      new ClientCredentialsAuth({
        tokenUrl: `${server.url}/oauth/token`,
        clientId: "mtls-client",
        clientAuth: "tls_client_auth",
        tls: { ca: certificates.ca.cert },
      });
    expect(make).toThrow(MissingCredentialsError);
    expect(make).toThrow(/give tls.cert and tls.key/);
  });
});

describe("the certificate's thumbprint in the cache key", () => {
  it("another certificate with the same subject gets its own token; the same certificate shares", async () => {
    // Same subject, signed by the same CA: the server accepts both, and binds each token to its own certificate.
    const twin = serverCertificate(certificates.ca, {
      usage: "clientAuth",
      subject: "/O=authflow tests/CN=mtls-client",
    });
    const store = new MemoryTokenStore();
    const before = server.stats().tokenRequests;
    const first = await mtlsAuth(certificates.client, { store }).getToken();
    const again = await mtlsAuth(certificates.client, { store }).getToken();
    const other = await mtlsAuth(twin, { store }).getToken();
    expect(again.accessToken).toBe(first.accessToken);
    expect(other.accessToken).not.toBe(first.accessToken);
    expect(server.stats().tokenRequests - before).toBe(2);
  });

  it("credentialIdentity: the certificate's x5t#S256, after the secret's identity for secret methods", async () => {
    const input = { configuredUrl: "https://as.example", clientId: "c" } as const;
    const certificate = certificates.client.cert;
    expect(await credentialIdentity({ ...input, clientAuth: "tls_client_auth", certificate })).toBe(
      `cert:${certificates.client.thumbprint}`,
    );
    const secret = await credentialIdentity({ ...input, clientAuth: "client_secret_basic", clientSecret: "s" });
    const bound = await credentialIdentity({
      ...input,
      clientAuth: "client_secret_basic",
      clientSecret: "s",
      certificate,
    });
    expect(bound).toBe(`${secret}+cert:${certificates.client.thumbprint}`);
  });
});

describe("RFC 8705 §5: mtls_endpoint_aliases", () => {
  let discovery: Awaited<ReturnType<typeof startTlsServer>>;
  const paths: string[] = [];

  beforeAll(async () => {
    discovery = await startTlsServer(
      { cert: certificates.server.cert, key: certificates.server.key },
      (request, response) => {
        paths.push(request.url ?? "");
        const issuer = discovery.url;
        if (request.url === "/.well-known/oauth-authorization-server") {
          response.setHeader("content-type", "application/json");
          const aliases = { token_endpoint: `${issuer}/mtls/token` };
          response.end(JSON.stringify({ issuer, token_endpoint: `${issuer}/token`, mtls_endpoint_aliases: aliases }));
          return;
        }
        response.setHeader("content-type", "application/json");
        const token = `from${(request.url ?? "").replaceAll("/", "-")}`;
        response.end(JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: 60 }));
      },
    );
  });
  afterAll(() => discovery.close());

  it("a client with a certificate uses the alias; one without uses token_endpoint", async () => {
    const tls = { ca: certificates.ca.cert, cert: certificates.client.cert, key: certificates.client.key };
    const mutual = new ClientCredentialsAuth({
      issuer: discovery.url,
      clientId: "c",
      clientAuth: "tls_client_auth",
      tls,
    });
    expect((await mutual.getToken()).accessToken).toBe("from-mtls-token");
    const plain = new ClientCredentialsAuth({
      issuer: discovery.url,
      clientId: "c",
      clientSecret: "s",
      tls: { ca: certificates.ca.cert },
    });
    expect((await plain.getToken()).accessToken).toBe("from-token");
    expect(paths.filter((path) => path.endsWith("token"))).toEqual(["/mtls/token", "/token"]);
  });
});
