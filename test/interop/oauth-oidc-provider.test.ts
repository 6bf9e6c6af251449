import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from "jose";
import Provider, { type ClientMetadata } from "oidc-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OAuthError, withAuth } from "../../src/index.js";
import { ClientCredentialsAuth } from "../../src/oauth2/client-credentials.js";
import type { ClientAuthMethod, ClientCredentialsOptions } from "../../src/oauth2/options.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";

// An independent authorization server: panva's oidc-provider (8.x runs on Node 20),
// configured for the client credentials grant, started in-process on loopback.

/**
 * A secret that needs RFC 6749 §2.3.1 form-encoding: `+ / : % = space ! * ' ( ) ~`. ASCII only: RFC 6749
 * Appendix A.2 makes a client secret VSCHARs, and oidc-provider enforces it (non-ASCII is covered by the test server).
 */
const AWKWARD_SECRET = "a+b/c:d%e= p@ss!*'()~-0123456789abcdef";
const RESOURCE = "https://api.example.test";

let server: Server;
let issuer: string;
let clientKey: CryptoKey;
let api: Recorder;
let tokenRequests = 0;

beforeAll(async () => {
  let handler: (request: IncomingMessage, response: ServerResponse) => void = () => {};
  server = createServer((request, response) => handler(request, response));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const clientPair = await generateKeyPair("ES256", { extractable: true });
  clientKey = clientPair.privateKey;
  const signing = await generateKeyPair("RS256", { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      client("cc-basic", "client_secret_basic", { client_secret: AWKWARD_SECRET }),
      client("cc-post", "client_secret_post", { client_secret: AWKWARD_SECRET }),
      client("cc-jwt", "client_secret_jwt", { client_secret: "a-long-shared-secret-for-hs256-assertions-0123456789" }),
      client("cc-pkjwt", "private_key_jwt", {
        jwks: { keys: [{ ...(await exportJWK(clientPair.publicKey)), alg: "ES256", use: "sig" }] },
      }),
    ],
    jwks: { keys: [{ ...(await exportJWK(signing.privateKey)), alg: "RS256", use: "sig", kid: "as-key" }] },
    scopes: ["api:read", "api:write", "admin"],
    cookies: { keys: ["interop-test-only-cookie-key"] },
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined as unknown as string,
        useGrantedResource: () => false,
        getResourceServerInfo: (_context, resourceIndicator) => ({
          scope: "api:read api:write",
          audience: resourceIndicator,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "RS256" } },
        }),
      },
    },
  });
  const callback = provider.callback();
  handler = (request, response) => {
    if (request.method === "POST" && request.url === "/token") tokenRequests += 1;
    callback(request, response);
  };
  api = await startRecorder();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await api.close();
});

function client(clientId: string, method: ClientAuthMethod, extra: Partial<ClientMetadata>): ClientMetadata {
  return {
    client_id: clientId,
    token_endpoint_auth_method: method,
    grant_types: ["client_credentials"],
    redirect_uris: [],
    response_types: [],
    scope: "api:read api:write",
    ...extra,
  };
}

function auth(clientId: string, options: Partial<ClientCredentialsOptions>): ClientCredentialsAuth {
  return new ClientCredentialsAuth({ issuer, clientId, scope: "api:read", ...options });
}

describe("interop with oidc-provider (client credentials, discovery via issuer)", () => {
  const methods: [string, Partial<ClientCredentialsOptions>][] = [
    ["cc-basic", { clientAuth: "client_secret_basic", clientSecret: AWKWARD_SECRET }],
    ["cc-post", { clientAuth: "client_secret_post", clientSecret: AWKWARD_SECRET }],
    [
      "cc-jwt",
      { clientAuth: "client_secret_jwt", clientSecret: "a-long-shared-secret-for-hs256-assertions-0123456789" },
    ],
    ["cc-pkjwt", { clientAuth: "private_key_jwt" }],
  ];

  it.each(methods)("%s gets a token", async (clientId, options) => {
    const privateKey = clientId === "cc-pkjwt" ? { privateKey: clientKey } : {};
    const token = await auth(clientId, { ...options, ...privateKey }).getToken();
    expect(token.tokenType).toBe("Bearer");
    expect(token.accessToken.length).toBeGreaterThan(10);
    expect(token.scope).toBe("api:read");
    expect(token.expiresAt).toBeGreaterThan(Date.now());
  });

  it("a resource indicator (RFC 8707) gets a JWT access token for that audience, sent by withAuth", async () => {
    const cc = auth("cc-pkjwt", { clientAuth: "private_key_jwt", privateKey: clientKey, resource: RESOURCE });
    const token = await cc.getToken();
    const { payload } = await jwtVerify(token.accessToken, createRemoteJWKSet(new URL(`${issuer}/jwks`)), {
      issuer,
      audience: RESOURCE,
    });
    expect(payload).toMatchObject({ client_id: "cc-pkjwt", scope: "api:read" });
    const response = await withAuth(fetch, cc)(`${api.url}/orders`);
    expect(response.status).toBe(200);
    expect(api.requests.at(-1)?.headers.authorization).toBe(`Bearer ${token.accessToken}`);
  });

  it("100 concurrent callers share one token request", async () => {
    const before = tokenRequests;
    const cc = auth("cc-basic", { clientSecret: AWKWARD_SECRET, scope: "api:write" });
    const tokens = await Promise.all(Array.from({ length: 100 }, () => cc.getToken()));
    expect(new Set(tokens.map((token) => token.accessToken)).size).toBe(1);
    expect(tokenRequests - before).toBe(1);
  });

  it("a wrong secret is an OAuthError invalid_client after one request", async () => {
    const before = tokenRequests;
    const attempt = auth("cc-basic", { clientSecret: "wrong" }).getToken();
    await expect(attempt).rejects.toBeInstanceOf(OAuthError);
    await expect(attempt).rejects.toMatchObject({ error: "invalid_client", status: 401 });
    expect(tokenRequests - before).toBe(1);
  });

  it("a scope the client may not have is an OAuthError invalid_scope", async () => {
    const attempt = auth("cc-post", {
      clientAuth: "client_secret_post",
      clientSecret: AWKWARD_SECRET,
      scope: "admin",
    }).getToken();
    await expect(attempt).rejects.toMatchObject({ name: "OAuthError", error: "invalid_scope" });
  });
});
