/**
 * Issue 16: resource discovery (RFC 9728) in ClientCredentialsAuth, against
 * the embedded test server's `/resource/*` routes and their metadata, over
 * real sockets: the allow-list, the §3.3 resource check, DPoP required by
 * metadata, tokens per resource (RFC 8707), every front door.
 */
import { request as undiciRequest } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, ClientCredentialsAuth, ResourceDiscoveryError, withAuth } from "../../src/index.js";
import type { ClientCredentialsOptions } from "../../src/oauth2/options.js";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { authInterceptor } from "../../src/undici/index.js";
import { withServer } from "../helpers/server.js";
import { authAgent } from "../helpers/undici.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

function discovering(issuers: readonly string[], options: Partial<ClientCredentialsOptions> = {}) {
  return new ClientCredentialsAuth({
    clientId: "basic-client",
    clientSecret: "basic-secret",
    allowedIssuers: issuers,
    ...options,
  });
}

describe("discovery from the resource's 401 (RFC 9728 §5)", () => {
  it("first request without a token, then metadata, RFC 8414, a token for the resource, the request resent", async () => {
    server.reset();
    const client = new Client({ baseURL: server.url, auth: discovering([server.url]) });
    const first = await client.get("/resource/data?page=1");
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({
      resource: [`${server.url}/resource/data`],
      resource_identifier: `${server.url}/resource/data`,
      token_type: "Bearer",
    });
    expect((await client.get("/resource/data?page=2")).status).toBe(200);
    const stats = server.stats();
    expect(stats.metadataFetches).toEqual({ protectedResource: 1, authorizationServer: 1 });
    expect(stats.tokenRequests).toBe(1);
    // One 401 for the first request only: the resource is known afterwards.
    expect(stats.routes.resource).toBe(3);
    expect(stats.challenges).toBe(1);
  });

  it("without resource_metadata in the challenge, the well-known URL is derived from the request URL (§3.1)", async () => {
    await withServer({ resourceMetadata: { linkInChallenge: false } }, async (on) => {
      const response = await withAuth(fetch, discovering([on.url]))(`${on.url}/resource/deep/path`);
      expect(response.status).toBe(200);
      expect(on.stats().metadataFetches.protectedResource).toBe(1);
    });
  });

  it("tokens are cached per resource, each issued for its own resource (RFC 8707)", async () => {
    server.reset();
    const api = withAuth(fetch, discovering([server.url]));
    for (const path of ["a", "b", "a", "b"]) {
      const response = await api(`${server.url}/resource/${path}`);
      expect(await response.json()).toMatchObject({ resource: [`${server.url}/resource/${path}`] });
    }
    expect(server.stats().tokenRequests).toBe(2);
    expect(server.stats().metadataFetches.protectedResource).toBe(2);
  });

  it("concurrent first requests share one discovery and one token request", async () => {
    server.reset();
    const api = withAuth(fetch, discovering([server.url]));
    const responses = await Promise.all(Array.from({ length: 20 }, () => api(`${server.url}/resource/shared`)));
    expect(responses.every((response) => response.status === 200)).toBe(true);
    expect(server.stats().metadataFetches.protectedResource).toBe(1);
    expect(server.stats().tokenRequests).toBe(1);
  });

  it("authInterceptor discovers too", async () => {
    server.reset();
    const dispatcher = authAgent(authInterceptor(discovering([server.url])));
    for (let index = 0; index < 2; index++) {
      const response = await undiciRequest(`${server.url}/resource/undici`, { dispatcher });
      expect(response.statusCode).toBe(200);
      await response.body.dump();
    }
    expect(server.stats().tokenRequests).toBe(1);
  });

  it("getToken({ resource }) discovers from the well-known URL", async () => {
    server.reset();
    const auth = discovering([server.url]);
    const token = await auth.getToken({ resource: `${server.url}/resource/named` });
    const response = await fetch(`${server.url}/resource/named`, {
      headers: { authorization: `Bearer ${token.accessToken}` },
    });
    expect(response.status).toBe(200);
    await expect(auth.getToken()).rejects.toMatchObject({ code: "ERR_INVALID_ARG_VALUE", option: "resource" });
  });
});

describe("refusals", () => {
  it("a metadata resource that is not the identifier it was fetched for (§3.3): ResourceDiscoveryError, no token request", async () => {
    await withServer({ resourceMetadata: { resource: "https://api.example.test/resource/data" } }, async (on) => {
      const error = await withAuth(fetch, discovering([on.url]))(`${on.url}/resource/data`).catch((caught) => caught);
      expect(error).toBeInstanceOf(ResourceDiscoveryError);
      expect(error).toMatchObject({ code: "ERR_AUTHFLOW_RESOURCE_DISCOVERY", resource: `${on.url}/resource/data` });
      expect((error as Error).message).toMatch(/RFC 9728 §3\.3/);
      expect(on.stats().tokenRequests).toBe(0);
      expect(on.stats().metadataFetches.authorizationServer).toBe(0);
    });
  });

  it("an authorization server outside allowedIssuers: ResourceDiscoveryError, and not one connection to it", async () => {
    await withServer({}, async (unlisted) => {
      await withServer({ resourceMetadata: { authorizationServers: [unlisted.url] } }, async (on) => {
        const error = await withAuth(fetch, discovering([on.url]))(`${on.url}/resource/data`).catch((caught) => caught);
        expect(error).toBeInstanceOf(ResourceDiscoveryError);
        expect(error).toMatchObject({ authorizationServers: [unlisted.url] });
        expect((error as Error).message).toMatch(/allowedIssuers lists none/);
        expect(unlisted.stats().connections).toBe(0);
        expect(unlisted.stats().requests).toBe(0);
        expect(on.stats().tokenRequests).toBe(0);
      });
    });
  });

  it("DPoP required by the metadata turns DPoP on; with dpop: false it is a ResourceDiscoveryError", async () => {
    await withServer({ resourceMetadata: { dpopRequired: true } }, async (on) => {
      const response = await withAuth(fetch, discovering([on.url]))(`${on.url}/resource/data`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ token_type: "DPoP" });
      const refused = withAuth(fetch, discovering([on.url], { dpop: false }))(`${on.url}/resource/data`);
      await expect(refused).rejects.toThrow(/requires DPoP-bound tokens/);
      expect(on.stats().tokensIssuedByBinding).toMatchObject({ dpop: 1, bearer: 0 });
    });
  });

  it("DPoP required, with one-time nonces, through Client and authInterceptor", async () => {
    await withServer(
      { resourceMetadata: { dpopRequired: true }, dpop: { requireNonce: true, nonceMode: "one-time" } },
      async (on) => {
        const client = new Client({ baseURL: on.url, auth: discovering([on.url]) });
        for (let index = 0; index < 3; index++) {
          expect(await (await client.post("/resource/data", { json: { index } })).json()).toMatchObject({
            token_type: "DPoP",
          });
        }
        const dispatcher = authAgent(authInterceptor(discovering([on.url])));
        for (let index = 0; index < 3; index++) {
          const response = await undiciRequest(`${on.url}/resource/data`, { dispatcher, method: "PUT", body: "x" });
          expect(response.statusCode).toBe(200);
          await response.body.dump();
        }
        // Each client: one 401 without a token, whose nonce signs the token request's proof; then one round
        // trip per request (each answer's nonce signs the next proof).
        expect(on.stats().routes.resource).toBe(2 * (1 + 3));
        expect(on.stats().tokenRequests).toBe(2);
        expect(on.stats().dpop.refusals).toEqual({});
      },
    );
  });

  it("a failed discovery is not kept: the next request discovers again", async () => {
    await withServer({ resourceMetadata: { resource: "https://elsewhere.example/x" } }, async (on) => {
      const api = withAuth(fetch, discovering([on.url]));
      await expect(api(`${on.url}/resource/data`)).rejects.toBeInstanceOf(ResourceDiscoveryError);
      await expect(api(`${on.url}/resource/data`)).rejects.toBeInstanceOf(ResourceDiscoveryError);
      expect(on.stats().metadataFetches.protectedResource).toBe(2);
    });
  });
});

describe("options", () => {
  const base = { clientId: "c", clientSecret: "s" };

  it("refuses at construction what cannot work, naming the option", () => {
    const cases: [Partial<ClientCredentialsOptions>, string][] = [
      [{ allowedIssuers: [] }, "allowedIssuers"],
      [{ allowedIssuers: "https://as.example.com" as unknown as string[] }, "allowedIssuers"],
      [{ allowedIssuers: ["https://as.example.com"], tokenUrl: "https://as.example.com/token" }, "tokenUrl"],
      [{ allowedIssuers: ["https://as.example.com"], issuer: "https://as.example.com" }, "tokenUrl"],
      [{ allowedIssuers: ["https://as.example.com"], resource: "https://api.example.com" }, "resource"],
    ];
    for (const [options, option] of cases) {
      expect(() => new ClientCredentialsAuth({ ...base, ...options })).toThrow(expect.objectContaining({ option }));
    }
    expect(() => new ClientCredentialsAuth({ ...base, allowedIssuers: ["http://as.example.com"] })).toThrow(
      expect.objectContaining({ code: "ERR_INSECURE_TRANSPORT" }),
    );
    expect(() => new ClientCredentialsAuth({ ...base, allowedIssuers: ["https://as.example.com/?tenant=1"] })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_URL" }),
    );
  });

  it("getToken({ resource }) is for discovery only; object output names the allowed issuers, never the secret", async () => {
    const fixed = new ClientCredentialsAuth({ ...base, tokenUrl: `${server.url}/oauth/token` });
    await expect(fixed.getToken({ resource: "https://api.example.com" })).rejects.toMatchObject({ option: "resource" });
    const auth = discovering(["https://as.example.com"], { clientSecret: "do-not-show-me" });
    const { inspect } = await import("node:util");
    expect(inspect(auth)).toContain("https://as.example.com");
    expect(`${inspect(auth, { depth: 10 })}${JSON.stringify(auth)}`).not.toContain("do-not-show-me");
  });
});
