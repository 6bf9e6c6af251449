/**
 * Issue 16: DPoP (RFC 9449) in ClientCredentialsAuth, against the embedded
 * test server (which checks every proof itself) over real sockets, through
 * every front door: Client, withAuth and the undici interceptor.
 */
import { request as undiciRequest } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizationFor, type FastPathAuth } from "../../src/engine/capabilities.js";
import { Client, ClientCredentialsAuth, TokenEndpointError, withAuth } from "../../src/index.js";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { MemoryTokenStore } from "../../src/stores/memory.js";
import { authInterceptor } from "../../src/undici/index.js";
import { withServer } from "../helpers/server.js";
import { authAgent } from "../helpers/undici.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

function dpopClient(on: TestServer, options: Partial<ConstructorParameters<typeof ClientCredentialsAuth>[0]> = {}) {
  return new ClientCredentialsAuth({
    tokenUrl: `${on.url}/oauth/token`,
    clientId: "basic-client",
    clientSecret: "basic-secret",
    dpop: true,
    ...options,
  });
}

describe("DPoP through every front door", () => {
  it("Client: a DPoP-bound token, a proof on the token request and on every resource request", async () => {
    server.reset();
    const auth = dpopClient(server);
    const client = new Client({ baseURL: server.url, auth });
    for (let index = 0; index < 3; index++) {
      const response = await client.get("/oauth/dpop-protected");
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ token_type: "DPoP", cnf: { jkt: expect.any(String) } });
    }
    const stats = server.stats();
    expect(stats.tokenRequests).toBe(1);
    expect(stats.tokensIssuedByBinding.dpop).toBe(1);
    expect(stats.dpop).toMatchObject({ proofsChecked: 4, proofsAccepted: 4, refusals: {} });
    expect(stats.routes["oauth-dpop-protected"]).toBe(3);
    // The synchronous fast path never serves a DPoP request: it cannot add a signed proof.
    const fast: FastPathAuth = auth;
    expect(fast[authorizationFor]("GET", new URL(`${server.url}/oauth/dpop-protected`))).toBeUndefined();
  });

  it("withAuth: the same, one round trip per request once the token is cached", async () => {
    server.reset();
    const api = withAuth(fetch, dpopClient(server));
    for (let index = 0; index < 3; index++) {
      const response = await api(`${server.url}/oauth/dpop-protected?page=${index}`, { method: "POST", body: "x" });
      expect(response.status).toBe(200);
    }
    expect(server.stats()).toMatchObject({ tokenRequests: 1, routes: { "oauth-dpop-protected": 3 } });
    expect(server.stats().dpop.proofsAccepted).toBe(4);
  });

  it("authInterceptor: the fast path declines, the flow adds Authorization: DPoP and the proof", async () => {
    server.reset();
    const dispatcher = authAgent(authInterceptor(dpopClient(server)));
    for (let index = 0; index < 3; index++) {
      const response = await undiciRequest(`${server.url}/oauth/dpop-protected`, { dispatcher });
      expect(response.statusCode).toBe(200);
      expect(await response.body.json()).toMatchObject({ token_type: "DPoP" });
    }
    expect(server.stats()).toMatchObject({ tokenRequests: 1, routes: { "oauth-dpop-protected": 3 } });
    expect(server.stats().dpop).toMatchObject({ proofsAccepted: 4, refusals: {} });
  });
});

describe("nonces (RFC 9449 §8, §9)", () => {
  it("rotating: one 400 use_dpop_nonce at the token endpoint, answered once; then one round trip per request", async () => {
    await withServer({ dpop: { requireNonce: true } }, async (on) => {
      const client = new Client({ baseURL: on.url, auth: dpopClient(on) });
      for (let index = 0; index < 5; index++) expect((await client.get("/oauth/dpop-protected")).status).toBe(200);
      const stats = on.stats();
      expect(stats.tokenRequests).toBe(2);
      expect(stats.dpop.refusals).toEqual({ nonce: 1 });
      expect(stats.routes["oauth-dpop-protected"]).toBe(5);
    });
  });

  it("one-time: each answer's nonce signs the next proof — one round trip per request in steady state", async () => {
    await withServer({ dpop: { requireNonce: true, nonceMode: "one-time" } }, async (on) => {
      const client = new Client({ baseURL: on.url, auth: dpopClient(on) });
      const requests = 20;
      for (let index = 0; index < requests; index++) {
        expect((await client.get("/oauth/dpop-protected")).status).toBe(200);
      }
      const stats = on.stats();
      expect(stats.tokenRequests).toBe(2);
      expect(stats.routes["oauth-dpop-protected"]).toBe(requests);
      expect(stats.dpop.refusals).toEqual({ nonce: 1 });
    });
  });

  it("a resource's 401 use_dpop_nonce is answered once with its nonce; concurrent requests all succeed", async () => {
    await withServer({ dpop: { requireNonce: true, nonceMode: "one-time" } }, async (on) => {
      const api = withAuth(fetch, dpopClient(on));
      const responses = await Promise.all(Array.from({ length: 8 }, () => api(`${on.url}/oauth/dpop-protected`)));
      expect(responses.map((response) => response.status)).toEqual(Array(8).fill(200));
      // Concurrent proofs share the one nonce known: the server takes it once, the others are sent again once.
      expect(on.stats().routes["oauth-dpop-protected"]).toBeLessThanOrEqual(16);
      expect(on.stats().dpop.refusals.nonce).toBeGreaterThanOrEqual(1);
    });
  });
});

describe("tokens", () => {
  it("a Bearer answer to a DPoP token request is a TokenEndpointError (no downgrade)", async () => {
    const { createServer } = await import("node:http");
    const bearer = createServer((_, response) => {
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ access_token: "downgraded", token_type: "Bearer", expires_in: 60 }));
    });
    await new Promise<void>((resolve) => bearer.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = bearer.address() as { port: number };
      const auth = dpopClient(server, { tokenUrl: `http://127.0.0.1:${port}/token` });
      const error = await auth.getToken().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TokenEndpointError);
      expect((error as Error).message).toMatch(/DPoP request with a "Bearer" token/);
    } finally {
      await new Promise((resolve) => bearer.close(resolve));
    }
  });

  it("the cache key holds the key's thumbprint: other keys never share a token, one key shared is one token", async () => {
    server.reset();
    const store = new MemoryTokenStore();
    const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
    const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
    const fleet = [
      dpopClient(server, { store, dpop: { privateKey: jwk } }),
      dpopClient(server, { store, dpop: { privateKey: pair.privateKey } }),
    ];
    const own = [dpopClient(server, { store }), dpopClient(server, { store })];
    const shared = await Promise.all(fleet.map((auth) => auth.getToken()));
    expect(shared[0]?.accessToken).toBe(shared[1]?.accessToken);
    const separate = await Promise.all(own.map((auth) => auth.getToken()));
    expect(new Set([shared[0]?.accessToken, ...separate.map((token) => token.accessToken)]).size).toBe(3);
    expect(server.stats().tokenRequests).toBe(3);
    for (const auth of [...fleet, ...own]) {
      expect((await withAuth(fetch, auth)(`${server.url}/oauth/dpop-protected`)).status).toBe(200);
    }
  });
});
