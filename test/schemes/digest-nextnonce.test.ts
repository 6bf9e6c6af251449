/**
 * RFC 7616 §3.5: a server may announce the nonce for the client's next
 * request in `Authentication-Info: nextnonce=…`, and may then retire the nonce
 * just used. The test server's `stale_after=1` with `nextnonce=1` does exactly
 * that: every nonce is good for one request. A client that keeps its old
 * nonce pays a stale 401 and a retry every other request; one that follows
 * `nextnonce` pays one round trip per request after the first. Every front
 * door is checked, the fast paths included (they authorise without running
 * the flow, so they must hear the answer's `Authentication-Info` themselves).
 */
import { type Dispatcher, getGlobalDispatcher, interceptors, request, setGlobalDispatcher } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizationFor } from "../../src/engine/capabilities.js";
import { Client, DigestAuth, withAuth } from "../../src/index.js";
import { authInterceptor } from "../../src/undici/index.js";
import { useTestServer } from "../helpers/server.js";
import { authAgent } from "../helpers/undici.js";

const server = useTestServer();

const SEQUENTIAL = 20;
const PATH = "/digest-auth/auth/user/passwd/MD5/1?nextnonce=1";

/** Requests and challenges the server counted while `work` sent SEQUENTIAL requests one after another. */
async function counted(send: () => Promise<number>): Promise<{ requests: number; challenges: number }> {
  const before = server.stats();
  for (let index = 0; index < SEQUENTIAL; index++) expect(await send()).toBe(200);
  const after = server.stats();
  return {
    requests: (after.routes["digest-auth"] ?? 0) - (before.routes["digest-auth"] ?? 0),
    challenges: after.challenges - before.challenges,
  };
}

/** One challenge for the first request, then exactly one request each. */
const ONE_ROUND_TRIP_EACH = { requests: SEQUENTIAL + 1, challenges: 1 };

describe("Digest follows nextnonce on a server whose nonces are good for one request", () => {
  it("through Client (global fetch: the direct path)", async () => {
    const client = new Client({ baseURL: server.url, auth: new DigestAuth("user", "passwd") });
    expect(await counted(async () => (await client.get(PATH)).status)).toEqual(ONE_ROUND_TRIP_EACH);
  });

  it("through withAuth(fetch) (the direct path)", async () => {
    const authed = withAuth(fetch, new DigestAuth("user", "passwd"));
    expect(await counted(async () => (await authed(server.url + PATH)).status)).toEqual(ONE_ROUND_TRIP_EACH);
  });

  it("through withAuth around another fetch (the flow on every request)", async () => {
    const wrapped: typeof fetch = (input, init) => fetch(input, init);
    const authed = withAuth(wrapped, new DigestAuth("user", "passwd"));
    expect(await counted(async () => (await authed(server.url + PATH)).status)).toEqual(ONE_ROUND_TRIP_EACH);
  });

  it("through withAuth with verifyServer (the flow, rspauth checked on every answer)", async () => {
    const authed = withAuth(fetch, new DigestAuth("user", "passwd", { verifyServer: true }));
    expect(await counted(async () => (await authed(server.url + PATH)).status)).toEqual(ONE_ROUND_TRIP_EACH);
  });

  it("through authInterceptor with undici.request (old-style handler)", async () => {
    const dispatcher = authAgent(authInterceptor(new DigestAuth("user", "passwd")));
    const result = await counted(async () => {
      const { statusCode, body } = await request(server.url + PATH, { dispatcher });
      await body.dump();
      return statusCode;
    });
    expect(result).toEqual(ONE_ROUND_TRIP_EACH);
  });

  it("through authInterceptor under interceptors.redirect (new-style handler)", async () => {
    const dispatcher = authAgent(
      authInterceptor(new DigestAuth("user", "passwd")),
      interceptors.redirect({ maxRedirections: 3 }),
    );
    const result = await counted(async () => {
      const { statusCode, body } = await request(server.url + PATH, { dispatcher });
      await body.dump();
      return statusCode;
    });
    expect(result).toEqual(ONE_ROUND_TRIP_EACH);
  });

  describe("through authInterceptor as the global dispatcher (global fetch)", () => {
    let previous: Dispatcher;
    beforeAll(() => {
      previous = getGlobalDispatcher();
      setGlobalDispatcher(authAgent(authInterceptor(new DigestAuth("user", "passwd"))));
    });
    afterAll(() => setGlobalDispatcher(previous));

    it("follows nextnonce too", async () => {
      const result = await counted(async () => {
        const response = await fetch(server.url + PATH);
        await response.arrayBuffer();
        return response.status;
      });
      expect(result).toEqual(ONE_ROUND_TRIP_EACH);
    });
  });

  it("concurrent requests on one-time nonces all succeed: those that shared a nonce answer their stale challenge", async () => {
    const client = new Client({ baseURL: server.url, auth: new DigestAuth("user", "passwd") });
    expect((await client.get(PATH)).status).toBe(200);
    const before = server.stats().routes["digest-auth"] ?? 0;
    const statuses = await Promise.all(Array.from({ length: 10 }, async () => (await client.get(PATH)).status));
    expect(statuses).toEqual(Array(10).fill(200));
    // One of the ten used the announced nonce; each of the others was refused stale once and retried once.
    expect((server.stats().routes["digest-auth"] ?? 0) - before).toBe(19);
  });

  it("the baseline: a fast path deaf to Authentication-Info pays a stale round trip every other request", async () => {
    // DigestAuth without its acknowledge method: what the direct path did before it heard nextnonce.
    const digest = new DigestAuth("user", "passwd");
    const deaf = {
      authFlow: (request: Request) => digest.authFlow(request),
      [authorizationFor]: (method: string, url: URL) => digest[authorizationFor](method, url),
    };
    const authed = withAuth(fetch, deaf);
    const result = await counted(async () => (await authed(server.url + PATH)).status);
    // Request 1: challenge + answer (the flow adopts nextnonce). Then in pairs: a fast request on the adopted
    // nonce succeeds, the next reuses it, is refused stale, and the flow answers the new challenge.
    expect(result).toEqual({ requests: 30, challenges: 10 });
  });
});
