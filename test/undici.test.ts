import { type Dispatcher, getGlobalDispatcher, request, setGlobalDispatcher } from "undici";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { authorizationFor } from "../src/engine/capabilities.js";
import {
  AuthRejectedError,
  BasicAuth,
  BearerAuth,
  ClientCredentialsAuth,
  DigestAuth,
  InsecureTransportError,
} from "../src/index.js";
import { startTestServer, type TestServer } from "../src/server/index.js";
import { authInterceptor } from "../src/undici/index.js";
import { sha256, startRecorder } from "./helpers/recorder.js";
import { useTestServer } from "./helpers/server.js";
import { authAgent, challengeThenEcho, retryAfter401 } from "./helpers/undici.js";

const server = useTestServer();

/** Requests the test server counted on `route` while `work` ran. */
async function counted(route: string, work: () => Promise<void>): Promise<number> {
  const before = server.stats().routes[route] ?? 0;
  await work();
  return (server.stats().routes[route] ?? 0) - before;
}

describe("authInterceptor with undici.request", () => {
  it("authenticates Basic on the fast path: one request", async () => {
    const dispatcher = authAgent(authInterceptor(new BasicAuth("my_user", "my_pass123")));
    const sent = await counted("basic-auth", async () => {
      const { statusCode, body } = await request(`${server.url}/basic-auth/my_user/my_pass123`, { dispatcher });
      expect(statusCode).toBe(200);
      expect(await body.json()).toEqual({ authenticated: true, user: "my_user" });
    });
    expect(sent).toBe(1);
  });

  it("returns a wrong password's 401 after one request, with its challenge", async () => {
    const dispatcher = authAgent(authInterceptor(["u", "wrong"], { rejectionGuard: false }));
    const sent = await counted("basic-auth", async () => {
      const { statusCode, headers, body } = await request(`${server.url}/basic-auth/u/p`, { dispatcher });
      expect(statusCode).toBe(401);
      expect(headers["www-authenticate"]).toBe('Basic realm="Fake Realm"');
      await body.dump();
    });
    expect(sent).toBe(1);
  });

  it("authenticates a static Bearer token, replacing a caller's Authorization header", async () => {
    const dispatcher = authAgent(authInterceptor(new BearerAuth("abc123")));
    const { body } = await request(`${server.url}/bearer`, { dispatcher, headers: { Authorization: "Bearer stale" } });
    expect(await body.json()).toEqual({ authenticated: true, token: "abc123" });
  });

  it("runs a custom flow that retries after a 401 (the general path)", async () => {
    const dispatcher = authAgent(authInterceptor(retryAfter401));
    const sent = await counted("bearer", async () => {
      const { statusCode, body } = await request(`${server.url}/bearer`, { dispatcher, query: { q: "1" } });
      expect(statusCode).toBe(200);
      expect(await body.json()).toEqual({ authenticated: true, token: "good" });
    });
    expect(sent).toBe(2);
  });

  it("runs a provider Bearer token through the flow, asked at request time", async () => {
    let token = "first";
    const dispatcher = authAgent(authInterceptor(new BearerAuth(async () => token)));
    expect(await (await request(`${server.url}/bearer`, { dispatcher })).body.json()).toMatchObject({ token: "first" });
    token = "second";
    expect(await (await request(`${server.url}/bearer`, { dispatcher })).body.json()).toMatchObject({
      token: "second",
    });
  });

  it("answers Digest with one challenge, then one round trip per request", async () => {
    const dispatcher = authAgent(authInterceptor(new DigestAuth("user", "passwd")));
    const before = server.stats().challenges;
    const sent = await counted("digest-auth", async () => {
      for (let index = 0; index < 4; index++) {
        const { statusCode, body } = await request(`${server.url}/digest-auth/auth/user/passwd`, { dispatcher });
        await body.dump();
        expect(statusCode).toBe(200);
      }
    });
    expect(sent).toBe(5);
    expect(server.stats().challenges - before).toBe(1);
  });

  it("answers a stale Digest nonce on the fast path with one extra round trip", async () => {
    const dispatcher = authAgent(authInterceptor(new DigestAuth("user", "passwd")));
    const url = `${server.url}/digest-auth/auth/user/passwd/MD5/2`;
    const sent = await counted("digest-auth", async () => {
      for (let index = 0; index < 3; index++) {
        const { statusCode, body } = await request(url, { dispatcher });
        await body.dump();
        expect(statusCode).toBe(200);
      }
    });
    // 1: challenge + answer; 2: cached nonce, use 2; 3: stale (use 3) + answer with the new nonce.
    expect(sent).toBe(5);
  });

  it("authenticates OAuth 2.0 client credentials, one token for many requests", async () => {
    const auth = new ClientCredentialsAuth({
      tokenUrl: `${server.url}/oauth/token`,
      clientId: "basic-client",
      clientSecret: "basic-secret",
    });
    const dispatcher = authAgent(authInterceptor(auth));
    const before = server.stats().tokensIssued;
    for (let index = 0; index < 3; index++) {
      const { statusCode, body } = await request(`${server.url}/oauth/protected`, { dispatcher });
      await body.dump();
      expect(statusCode).toBe(200);
    }
    expect(server.stats().tokensIssued - before).toBe(1);
  });

  /** A server of its own, an interceptor whose cached token takes the fast path, then the server forgets its tokens. */
  async function revokedTokenOnFastPath(run: (dispatcher: Dispatcher, url: string, own: TestServer) => Promise<void>) {
    const own = await startTestServer();
    try {
      const auth = new ClientCredentialsAuth({
        tokenUrl: `${own.url}/oauth/token`,
        clientId: "basic-client",
        clientSecret: "basic-secret",
      });
      const dispatcher = authAgent(authInterceptor(auth));
      const protectedUrl = `${own.url}/oauth/protected`;
      for (let index = 0; index < 2; index++) await (await request(protectedUrl, { dispatcher })).body.dump();
      expect(auth[authorizationFor]()).toMatch(/^Bearer /); // the cached token now takes the fast path
      own.reset(); // the server forgets its tokens: the cached one now gets 401 invalid_token
      await run(dispatcher, protectedUrl, own);
    } finally {
      await own.close();
    }
  }

  it("recovers from a revoked OAuth token on the fast path: one new token, one retry", async () => {
    await revokedTokenOnFastPath(async (dispatcher, protectedUrl, own) => {
      const { statusCode, body } = await request(protectedUrl, { dispatcher });
      await body.dump();
      expect(statusCode).toBe(200);
      expect(own.stats()).toMatchObject({ tokensIssued: 1, routes: { "oauth-protected": 2 } });
    });
  });

  it("a revoked token under concurrency: 100 fast-path 401s share one new token, each request resent once", async () => {
    // The fast attempts all carried the old token; by the time most flows run, the cache holds the new one.
    // Each flow must see the token that really went out, or it would drop the new token and fetch another.
    await revokedTokenOnFastPath(async (dispatcher, protectedUrl, own) => {
      const statuses = await Promise.all(
        Array.from({ length: 100 }, async () => {
          const { statusCode, body } = await request(protectedUrl, { dispatcher });
          await body.dump();
          return statusCode;
        }),
      );
      expect(statuses).toEqual(Array(100).fill(200));
      expect(own.stats()).toMatchObject({ tokenRequests: 1, routes: { "oauth-protected": 200 } });
    });
  });

  it("tries a wrong password once at a time: 20 concurrent requests cost 3 attempts", async () => {
    const dispatcher = authAgent(authInterceptor(new BasicAuth("u", "bad")));
    const sent = await counted("basic-auth", async () => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, async () => {
          const { statusCode, body } = await request(`${server.url}/basic-auth/u/p`, { dispatcher });
          await body.dump();
          return statusCode;
        }),
      );
      expect(outcomes.filter((each) => each.status === "fulfilled").map((each) => each.value)).toEqual([401, 401, 401]);
      expect(outcomes.filter((each) => each.status === "rejected").length).toBe(17);
    });
    expect(sent).toBe(3);
  });

  it("fails fast with AuthRejectedError once the guard trips", async () => {
    const dispatcher = authAgent(authInterceptor(["u", "wrong"], { rejectionGuard: { maxFailures: 2 } }));
    for (let index = 0; index < 2; index++)
      await (await request(`${server.url}/basic-auth/u/p`, { dispatcher })).body.dump();
    const sent = await counted("basic-auth", async () => {
      await expect(request(`${server.url}/basic-auth/u/p`, { dispatcher })).rejects.toBeInstanceOf(AuthRejectedError);
    });
    expect(sent).toBe(0);
  });
});

describe("authInterceptor with global fetch (setGlobalDispatcher)", () => {
  let previous: Dispatcher;
  beforeAll(() => {
    previous = getGlobalDispatcher();
  });
  afterEach(() => setGlobalDispatcher(previous));

  it("authenticates Basic and Bearer", async () => {
    setGlobalDispatcher(authAgent(authInterceptor(new BasicAuth("u", "p"))));
    expect((await fetch(`${server.url}/basic-auth/u/p`)).status).toBe(200);
    setGlobalDispatcher(authAgent(authInterceptor(new BearerAuth("t0k"))));
    expect(await (await fetch(`${server.url}/bearer`)).json()).toEqual({ authenticated: true, token: "t0k" });
  });

  it("sends fetch's body once on the fast path", async () => {
    setGlobalDispatcher(authAgent(authInterceptor(new BasicAuth("u", "p"))));
    const response = await fetch(`${server.url}/anything`, { method: "PUT", body: "twelve bytes" });
    const echoed = (await response.json()) as { bodySha256: string; headers: Record<string, string> };
    expect(echoed.bodySha256).toBe(sha256("twelve bytes"));
    expect(echoed.headers.authorization).toBe(`Basic ${Buffer.from("u:p").toString("base64")}`);
  });

  it("runs a retrying flow and re-sends fetch's streamed body", async () => {
    const echo = await startRecorder(challengeThenEcho());
    try {
      setGlobalDispatcher(authAgent(authInterceptor(retryAfter401)));
      const response = await fetch(`${echo.url}/upload`, { method: "POST", body: "payload" });
      expect(await response.json()).toEqual({ length: 7, sha256: sha256("payload") });
      expect(echo.requests.map((seen) => seen.body)).toEqual(["payload", "payload"]);
    } finally {
      await echo.close();
    }
  });

  it("reports InsecureTransportError as fetch's cause", async () => {
    setGlobalDispatcher(authAgent(authInterceptor(new BasicAuth("u", "p"))));
    const failure = await fetch("http://authflow.invalid/x").catch((error: unknown) => error);
    expect((failure as Error).cause).toBeInstanceOf(InsecureTransportError);
  });
});

describe("authInterceptor: transport security", () => {
  it("refuses credentials over plain HTTP to a host that is not loopback, before connecting", async () => {
    const dispatcher = authAgent(authInterceptor(new BasicAuth("u", "p")));
    // authflow.invalid cannot resolve: a connection attempt would fail differently.
    await expect(request("http://authflow.invalid/private", { dispatcher })).rejects.toBeInstanceOf(
      InsecureTransportError,
    );
  });

  it("leaves requests to origins outside `origins` untouched", async () => {
    const other = await startRecorder();
    try {
      const dispatcher = authAgent(authInterceptor(new BasicAuth("u", "p"), { origins: [server.url] }));
      await (await request(`${other.url}/x`, { dispatcher })).body.dump();
      expect(other.requests[0]?.headers.authorization).toBeUndefined();
      expect((await request(`${server.url}/basic-auth/u/p`, { dispatcher })).statusCode).toBe(200);
    } finally {
      await other.close();
    }
  });
});
