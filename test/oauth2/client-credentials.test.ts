import { inspect } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Client, InsecureTransportError, withAuth } from "../../src/index.js";
import { ClientCredentialsAuth } from "../../src/oauth2/client-credentials.js";
import type { ClientAuthMethod } from "../../src/oauth2/options.js";
import { TEST_CLIENT_PRIVATE_JWK } from "../../src/server/oauth.js";
import { MemoryTokenStore } from "../../src/stores/memory.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";
import { useTestServer } from "../helpers/server.js";
import { basicClient, setFaults } from "./helpers.js";

const server = useTestServer({ faults: true });
afterEach(() => server.reset());

const protectedUrl = () => `${server.url}/oauth/protected`;

describe("ClientCredentialsAuth through withAuth and Client", () => {
  const methods: [ClientAuthMethod, string, Partial<ConstructorParameters<typeof ClientCredentialsAuth>[0]>][] = [
    ["client_secret_basic", "basic-client", { clientSecret: "basic-secret" }],
    ["client_secret_post", "post-client", { clientSecret: "post-secret" }],
    ["client_secret_jwt", "jwt-client", { clientSecret: "jwt-secret-that-is-at-least-32-bytes-long" }],
    ["private_key_jwt", "pkjwt-client", { privateKey: TEST_CLIENT_PRIVATE_JWK }],
  ];

  it.each(methods)("%s gets a token the resource server accepts", async (clientAuth, clientId, credentials) => {
    const auth = new ClientCredentialsAuth({
      tokenUrl: `${server.url}/oauth/token`,
      clientId,
      clientAuth,
      ...credentials,
    });
    const client = new Client({ baseURL: server.url, auth });
    const response = await client.get("/oauth/protected");
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ authenticated: true, client_id: clientId });
  });

  it("sends scope, audience and resource, and the issued token carries them", async () => {
    const auth = basicClient(server, {
      scope: ["write", "read", "read"],
      audience: "https://api.example",
      resource: ["https://api.example/b", "https://api.example/a"],
    });
    const response = await withAuth(fetch, auth)(protectedUrl());
    expect(await response.json()).toMatchObject({
      scope: "read write",
      audience: "https://api.example",
      resource: ["https://api.example/a", "https://api.example/b"],
    });
  });

  it("1,000 concurrent requests on a cold cache: exactly 1 token request, every request succeeds", async () => {
    const authedFetch = withAuth(fetch, basicClient(server));
    const responses = await Promise.all(Array.from({ length: 1000 }, () => authedFetch(protectedUrl())));
    expect(responses.every((response) => response.status === 200)).toBe(true);
    await Promise.all(responses.map((response) => response.body?.cancel()));
    expect(server.stats().tokenRequests).toBe(1);
    expect(server.stats().tokensIssued).toBe(1);
  });

  it("a token the server forgot: 401 invalid_token, one new token shared by 100 failing requests, each resent once", async () => {
    const authedFetch = withAuth(fetch, basicClient(server));
    await (await authedFetch(protectedUrl())).body?.cancel();
    server.reset(); // the server forgets every token it issued
    const responses = await Promise.all(Array.from({ length: 100 }, () => authedFetch(protectedUrl())));
    expect(responses.map((response) => response.status)).toEqual(Array(100).fill(200));
    await Promise.all(responses.map((response) => response.body?.cancel()));
    expect(server.stats().tokenRequests).toBe(1);
    expect(server.stats().routes["oauth-protected"]).toBe(200);
  });

  it("a 401 for token A while the cache already holds a newer B: resent with B, no new token request", async () => {
    const auth = basicClient(server);
    let interfered = false;
    // Between the flow reading token A and A reaching the server, A is revoked and B fetched.
    const interfering = async (input: Request | string | URL, init?: RequestInit) => {
      if (!interfered) {
        interfered = true;
        server.reset();
        await auth.getToken({ forceRefresh: true });
      }
      return fetch(input, init);
    };
    const response = await withAuth(interfering, auth)(protectedUrl());
    expect(response.status).toBe(200);
    await response.body?.cancel();
    expect(server.stats().tokenRequests).toBe(1); // B only; A was before the reset
    expect(server.stats().routes["oauth-protected"]).toBe(2);
  });

  it("a 401 without invalid_token is returned as it is, with no token request", async () => {
    const auth = basicClient(server);
    const response = await withAuth(fetch, auth)(`${server.url}/status/401`);
    expect(response.status).toBe(401);
    expect(server.stats().tokenRequests).toBe(1);
  });

  it("two instances with different scopes on one store never swap tokens (OAUTH-05)", async () => {
    const store = new MemoryTokenStore();
    const read = withAuth(fetch, basicClient(server, { store, scope: "read" }));
    const write = withAuth(fetch, basicClient(server, { store, scope: "write" }));
    const calls = Array.from({ length: 200 }, (_, index) => (index % 2 === 0 ? "read" : "write"));
    const results = await Promise.all(
      calls.map(async (scope) => {
        const response = await (scope === "read" ? read : write)(protectedUrl());
        return { scope, body: (await response.json()) as { scope: string } };
      }),
    );
    for (const { scope, body } of results) expect(body.scope).toBe(scope);
    expect(server.stats().tokenRequests).toBe(2);
    expect(store.size).toBe(2);
  });

  it("never shows the secret or a token when printed", async () => {
    const auth = basicClient(server, { clientSecret: "basic-secret" });
    const token = await auth.getToken();
    for (const shown of [String(auth), JSON.stringify(auth), inspect(auth, { showHidden: true, depth: 10 })]) {
      expect(shown).not.toContain("basic-secret");
      expect(shown).not.toContain(token.accessToken);
    }
  });
});

describe("token endpoint redirects (OAUTH-03, RFC 9700 §4.12)", () => {
  let target: Recorder;
  beforeAll(async () => {
    target = await startRecorder();
  });
  afterAll(() => target.close());

  it.each([
    [307, "client_secret_post"],
    [308, "client_secret_basic"],
    [302, "client_secret_post"],
    [303, "client_secret_basic"],
  ] as const)(
    "a %i is a TokenEndpointError and the redirect target receives nothing (%s)",
    async (status, clientAuth) => {
      await setFaults(server, { next: 1, kind: "redirect", status, location: `${target.url}/steal` });
      const credentials =
        clientAuth === "client_secret_post"
          ? { clientId: "post-client", clientSecret: "post-secret" }
          : { clientId: "basic-client", clientSecret: "basic-secret" };
      const auth = new ClientCredentialsAuth({ tokenUrl: `${server.url}/oauth/token`, clientAuth, ...credentials });
      const response = withAuth(fetch, auth)(protectedUrl());
      await expect(response).rejects.toMatchObject({ name: "TokenEndpointError", status });
      await expect(response).rejects.toThrow(/RFC 9700 §4.12/);
      expect(target.requests).toHaveLength(0);
      expect(server.stats().tokenRequests).toBe(1);
    },
  );

  it('the token request reaches the transport with redirect: "manual"', async () => {
    const seen: RequestRedirect[] = [];
    const spy = (request: Request) => {
      seen.push(request.redirect);
      return fetch(request);
    };
    await basicClient(server, { fetch: spy }).getToken();
    expect(seen).toEqual(["manual"]);
  });
});

describe("transport security (OAUTH-01)", () => {
  it("refuses a plain-http token endpoint off loopback at construction", () => {
    expect(
      () => new ClientCredentialsAuth({ tokenUrl: "http://as.example/token", clientId: "c", clientSecret: "s" }),
    ).toThrow(InsecureTransportError);
    expect(
      () =>
        new ClientCredentialsAuth({
          tokenUrl: "http://as.example/token",
          clientId: "c",
          clientSecret: "s",
          allowInsecureAuth: true,
        }),
    ).not.toThrow();
  });

  it("refuses options that cannot work", () => {
    expect(() => new ClientCredentialsAuth({ clientId: "c", clientSecret: "s" })).toThrow(/tokenUrl or issuer/);
    expect(
      () =>
        new ClientCredentialsAuth({
          tokenUrl: "https://as.example/t",
          clientId: "c",
          clientSecret: "s",
          extraParams: { scope: "x" },
        }),
    ).toThrow(/extraParams/);
  });
});
