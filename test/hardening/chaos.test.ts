// Chaos at the token endpoint and at origins: resets, answers slower than the timeout, truncated bodies,
// 429 storms. Retries stay bounded, concurrency stays bounded, no request is lost or sent twice.
// Already covered elsewhere: half the token requests 503, endpoint down while a token is valid, 429 then success
// → test/oauth2/faults.test.ts; token endpoint reset / maxRetries / budget → test/oauth2/token-cache.test.ts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BasicAuth, ClientCredentialsAuth, TimeoutError, TokenEndpointError, withAuth } from "../../src/index.js";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { canaries, errorTexts } from "../helpers/canary.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";
import { setFaults } from "../oauth2/helpers.js";

const secrets = canaries("chaos");
const PASSWORD = secrets.get("password");
const CLIENT_SECRET = secrets.get("client-secret");

/** Request ids each origin saw, to prove no logical request went out twice. */
function idsOf(recorder: Recorder): string[] {
  return recorder.requests.map((request) => String(request.headers["x-request-id"]));
}

describe("chaos at an origin", () => {
  let origin: Recorder;
  beforeAll(async () => {
    origin = await startRecorder((request, response) => {
      const id = Number(String(request.headers["x-request-id"]).split("-")[1]);
      if (id % 5 === 1)
        response.socket?.destroy(); // reset
      else if (id % 5 === 2)
        setTimeout(() => {
          if (!response.destroyed) response.end("late");
        }, 10_000).unref(); // slower than the timeout
      else if (id % 5 === 3) {
        response.writeHead(200, { "content-length": "1000" });
        response.write("only a part");
        setTimeout(() => response.socket?.destroy(), 10); // truncated body
      } else response.end(`ok ${request.headers["x-request-id"]}`);
    });
  });
  afterAll(() => origin.close());

  it("CHAOS: 50 concurrent requests, a fifth each reset, slow, truncated: each sent exactly once, clear outcomes", async () => {
    const authedFetch = withAuth(fetch, new BasicAuth("u", PASSWORD), { timeout: 4000 }); // under the slow answers' 10 s, well over a loaded machine's worst
    // One success first: until credentials have worked once, the guard sends one attempt at a time (LOOP-02),
    // and a slow first attempt would hold the others back.
    expect((await authedFetch(`${origin.url}/x`, { headers: { "x-request-id": "req-0" } })).status).toBe(200);
    origin.requests.length = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, async (_, index) => {
        const id = `req-${index}`;
        try {
          const response = await authedFetch(`${origin.url}/x`, { headers: { "x-request-id": id } });
          return `${response.status} ${await response.text()}`;
        } catch (error) {
          expect(await errorTexts(error)).not.toContain(PASSWORD);
          return (error as Error).name;
        }
      }),
    );
    for (const [index, outcome] of outcomes.entries()) {
      if (index % 5 === 1)
        expect(["TypeError", "TimeoutError"]).toContain(outcome); // the transport's network error, passed through
      else if (index % 5 === 2) expect(outcome).toBe("TimeoutError");
      else if (index % 5 === 3)
        expect(["TypeError", "TimeoutError"]).toContain(outcome); // the body stream fails
      else expect(outcome).toBe(`200 ok req-${index}`);
    }
    const ids = idsOf(origin);
    expect(new Set(ids).size).toBe(50); // none lost
    console.info(`origin chaos: 50 logical requests, ${ids.length} arrivals`);
    expect(ids.length).toBe(50); // none sent twice
  });

  it("CHAOS: a timeout is a TimeoutError naming the origin", async () => {
    const error = await withAuth(fetch, ["u", PASSWORD], { timeout: 100 })(`${origin.url}/x`, {
      headers: { "x-request-id": "req-2" },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(String(error)).toContain(new URL(origin.url).origin);
  });
});

describe("chaos at the token endpoint", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      faults: true,
      clients: [{ clientId: "c", authMethod: "client_secret_basic", clientSecret: CLIENT_SECRET }],
    });
  });
  afterAll(() => server.close());
  afterEach(() => server.reset());

  const auth = (options: Record<string, unknown> = {}) =>
    new ClientCredentialsAuth({
      tokenUrl: `${server.url}/oauth/token`,
      clientId: "c",
      clientSecret: CLIENT_SECRET,
      maxRetries: 3,
      ...options,
    });

  it("CHAOS: a 429 storm: 30 concurrent API calls share ≤ 2 × (maxRetries + 1) token requests, all fail with TokenEndpointError", async () => {
    await setFaults(server, { next: 1000, kind: "429", retryAfter: 0 });
    const authedFetch = withAuth(fetch, auth());
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () => authedFetch(`${server.url}/oauth/protected`)),
    );
    for (const result of results) {
      expect(result.status).toBe("rejected");
      const reason = (result as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(TokenEndpointError);
      expect((reason as TokenEndpointError & { status?: number }).status).toBe(429);
      expect(await errorTexts(reason)).not.toContain(CLIENT_SECRET);
    }
    // The guard lets the first call probe alone (LOOP-02); on its failure the 29 others go together and share
    // one coalesced token acquisition: two waves at most.
    expect(server.stats().tokenRequests).toBeLessThanOrEqual(8);
    console.info(`429 storm: 30 API calls → ${server.stats().tokenRequests} token requests`);
    expect(server.stats().routes["oauth-protected"] ?? 0).toBe(0);
  });

  it("CHAOS: token answers slower than the retry budget: TokenEndpointError, bounded attempts", async () => {
    await setFaults(server, { next: 100, kind: "slow", delayMs: 1000 });
    const error = await auth({ retryBudgetMs: 200 })
      .getToken()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(server.stats().tokenRequests).toBeLessThanOrEqual(2);
  });

  it("CHAOS: resets then recovery: 20 concurrent API calls succeed on one token, each API request sent once", async () => {
    await setFaults(server, { next: 2, kind: "reset" });
    const authedFetch = withAuth(fetch, auth());
    const responses = await Promise.all(Array.from({ length: 20 }, () => authedFetch(`${server.url}/oauth/protected`)));
    for (const response of responses) {
      expect(response.status).toBe(200);
      await response.body?.cancel();
    }
    expect(server.stats().tokensIssued).toBe(1);
    expect(server.stats().tokenRequests).toBe(3);
    expect(server.stats().routes["oauth-protected"]).toBe(20);
  });
});
