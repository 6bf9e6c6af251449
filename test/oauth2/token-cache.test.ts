import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OAuthError, TokenEndpointError } from "../../src/errors.js";
import { ClientCredentialsAuth } from "../../src/oauth2/client-credentials.js";
import { startTestServer } from "../../src/server/index.js";
import { MemoryTokenStore } from "../../src/stores/memory.js";
import type { Token } from "../../src/stores/store.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";
import { useTestServer } from "../helpers/server.js";
import { basicClient, eventually, fakeClock, setFaults } from "./helpers.js";

const server = useTestServer({ faults: true });
afterEach(() => server.reset());

const tokenRequests = () => server.stats().tokenRequests;

async function protectedStatus(accessToken: string): Promise<number> {
  const response = await fetch(`${server.url}/oauth/protected`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  await response.body?.cancel();
  return response.status;
}

describe("single flight (OAUTH-04)", () => {
  it("1,000 concurrent getToken calls on a cold cache make exactly 1 token request", async () => {
    const auth = basicClient(server);
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => auth.getToken()));
    expect(new Set(tokens.map((token) => token.accessToken)).size).toBe(1);
    expect(tokenRequests()).toBe(1);
  });

  it("two instances with the same configuration on one store share the token", async () => {
    const store = new MemoryTokenStore();
    const [first, second] = [basicClient(server, { store }), basicClient(server, { store })];
    const [a, b] = await Promise.all([first.getToken(), second.getToken()]);
    expect(a.accessToken).toBe(b.accessToken);
    expect(tokenRequests()).toBe(1);
  });

  it("one waiter that aborts leaves the shared request running for the others", async () => {
    await setFaults(server, { next: 1, kind: "slow", delayMs: 200 });
    const auth = basicClient(server);
    const controller = new AbortController();
    const leaving = auth.getToken({ signal: controller.signal });
    const staying = [auth.getToken(), auth.getToken()];
    controller.abort(new Error("caller gave up"));
    await expect(leaving).rejects.toThrow("caller gave up");
    const [a, b] = (await Promise.all(staying)) as [Token, Token];
    expect(a.accessToken).toBe(b.accessToken);
    expect(tokenRequests()).toBe(1);
    expect(await protectedStatus(a.accessToken)).toBe(200);
  });

  it("forceRefresh fetches a new token; concurrent forced callers share it", async () => {
    const auth = basicClient(server);
    const first = await auth.getToken();
    const [a, b] = await Promise.all([auth.getToken({ forceRefresh: true }), auth.getToken({ forceRefresh: true })]);
    expect(a.accessToken).not.toBe(first.accessToken);
    expect(b.accessToken).toBe(a.accessToken);
    expect(tokenRequests()).toBe(2);
  });
});

describe("refresh ahead of expiry (OAUTH-07)", () => {
  it("serves the cached token until the window, then refreshes once in the background while it serves", async () => {
    const clock = fakeClock();
    const refreshed: string[] = [];
    const auth = basicClient(server, { now: clock.now, onToken: (token) => refreshed.push(token.accessToken) });
    const first = await auth.getToken();
    expect(first.expiresAt).toBe(clock.now() + 3_600_000);
    clock.set((first.expiresAt as number) - 61_000);
    expect((await auth.getToken()).accessToken).toBe(first.accessToken);
    expect(tokenRequests()).toBe(1);
    clock.set((first.expiresAt as number) - 59_000);
    const during = await Promise.all(Array.from({ length: 50 }, () => auth.getToken()));
    expect(during.every((token) => token.accessToken === first.accessToken)).toBe(true);
    await eventually(() => refreshed.length === 2);
    expect(tokenRequests()).toBe(2);
    const next = await auth.getToken();
    expect(next.accessToken).not.toBe(first.accessToken);
    expect(tokenRequests()).toBe(2);
  });

  it("caps the leeway at half the lifetime, so a short token does not refresh on every call", async () => {
    const short = await startTestServer({ tokenTtlSeconds: 10 });
    try {
      const clock = fakeClock();
      const auth = basicClient(short, { now: clock.now });
      const first = await auth.getToken();
      clock.advance(4_000);
      for (let index = 0; index < 20; index++) await auth.getToken();
      expect(short.stats().tokenRequests).toBe(1);
      clock.advance(1_500); // 5.5 s old, 4.5 s left: inside min(60 s, 5 s)
      expect((await auth.getToken()).accessToken).toBe(first.accessToken);
      await eventually(() => short.stats().tokenRequests === 2);
    } finally {
      await short.close();
    }
  });

  it("never returns an expired token: past expiry it waits for a new one", async () => {
    const clock = fakeClock();
    const auth = basicClient(server, { now: clock.now });
    const first = await auth.getToken();
    clock.set(first.expiresAt as number);
    const next = await auth.getToken();
    expect(next.accessToken).not.toBe(first.accessToken);
    expect(next.expiresAt).toBeGreaterThan(clock.now());
  });

  it("past expiry with the endpoint down, fails rather than send the expired token", async () => {
    const clock = fakeClock();
    const auth = basicClient(server, { now: clock.now, maxRetries: 1 });
    const first = await auth.getToken();
    await setFaults(server, { down: true });
    clock.set((first.expiresAt as number) + 1);
    await expect(auth.getToken()).rejects.toBeInstanceOf(TokenEndpointError);
  });

  it("a failed background refresh keeps the old token serving and is tried again later", async () => {
    const clock = fakeClock();
    const errors: Error[] = [];
    const auth = basicClient(server, { now: clock.now, maxRetries: 0, onRefreshError: (error) => errors.push(error) });
    const first = await auth.getToken();
    await setFaults(server, { down: true });
    clock.set((first.expiresAt as number) - 30_000);
    for (let index = 0; index < 20; index++) expect((await auth.getToken()).accessToken).toBe(first.accessToken);
    await eventually(() => errors.length === 1);
    for (let index = 0; index < 20; index++) expect((await auth.getToken()).accessToken).toBe(first.accessToken);
    // One failure, then a pause: no request per call (NangoHQ #5090).
    expect(tokenRequests()).toBe(2);
    await setFaults(server, { down: false });
    clock.advance(5_000);
    await auth.getToken();
    await eventually(() => tokenRequests() === 3);
    await eventually(async () => (await auth.getToken()).accessToken !== first.accessToken);
  });

  it("a clock that jumps back refreshes rather than trusting the remaining time", async () => {
    const clock = fakeClock();
    const auth = basicClient(server, { now: clock.now });
    const first = await auth.getToken();
    clock.advance(-3_600_000);
    expect((await auth.getToken()).accessToken).toBe(first.accessToken);
    await eventually(() => tokenRequests() === 2);
  });

  it("a clock that jumps forward a day fetches a new token", async () => {
    const clock = fakeClock();
    const auth = basicClient(server, { now: clock.now });
    const first = await auth.getToken();
    clock.advance(86_400_000);
    expect((await auth.getToken()).accessToken).not.toBe(first.accessToken);
    expect(tokenRequests()).toBe(2);
  });
});

describe("expires_in edge cases (OAUTH-06)", () => {
  it("expires_in 0: the token is handed out once and never cached", async () => {
    const zero = await startTestServer({ tokenTtlSeconds: 0 });
    try {
      const auth = basicClient(zero);
      const [a, b] = await Promise.all([auth.getToken(), auth.getToken()]);
      expect(a.accessToken).toBe(b.accessToken);
      const c = await auth.getToken();
      expect(c.accessToken).not.toBe(a.accessToken);
      expect(zero.stats().tokenRequests).toBe(2);
    } finally {
      await zero.close();
    }
  });

  describe("without expires_in", () => {
    let recorder: Recorder;
    beforeAll(async () => {
      recorder = await startRecorder((_request, response, _body, log) => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ access_token: `t${log.length}`, token_type: "bearer" }));
      });
    });
    afterAll(() => recorder.close());

    it("serves the token with no expiry until replaced", async () => {
      const clock = fakeClock();
      const auth = new ClientCredentialsAuth({
        tokenUrl: `${recorder.url}/t`,
        clientId: "c",
        clientSecret: "s",
        now: clock.now,
      });
      const token = await auth.getToken();
      expect(token).not.toHaveProperty("expiresAt");
      clock.advance(30 * 86_400_000);
      expect((await auth.getToken()).accessToken).toBe(token.accessToken);
      expect(recorder.requests).toHaveLength(1);
    });
  });
});

describe("clock skew (Date header)", () => {
  it.each([600, -600])(
    "a server clock %i s off neither expires tokens early nor causes a refresh loop",
    async (skew) => {
      const skewed = await startTestServer({ oauthClockSkewSeconds: skew, tokenTtlSeconds: 120 });
      try {
        const clock = fakeClock();
        const auth = basicClient(skewed, { now: clock.now });
        const token = await auth.getToken();
        // Anchored on our own clock at send time: the server's Date does not move it.
        expect(token.expiresAt).toBe(clock.now() + 120_000);
        for (let index = 0; index < 20; index++) await auth.getToken();
        expect(skewed.stats().tokenRequests).toBe(1);
        const response = await fetch(`${skewed.url}/oauth/protected`, {
          headers: { authorization: `Bearer ${token.accessToken}` },
        });
        expect(response.status).toBe(200);
        expect(Math.abs(Date.parse(response.headers.get("date") ?? "") - Date.now() - skew * 1000)).toBeLessThan(5_000);
      } finally {
        await skewed.close();
      }
    },
  );
});

describe("failures (OAUTH-08)", () => {
  it("a permanent invalid_client is an OAuthError after exactly one token request, shared by concurrent callers", async () => {
    const auth = basicClient(server, { clientSecret: "wrong-secret-value" });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => auth.getToken()));
    expect(results.every((result) => result.status === "rejected" && result.reason instanceof OAuthError)).toBe(true);
    const error = (results[0] as PromiseRejectedResult).reason as OAuthError;
    expect(error).toMatchObject({ error: "invalid_client", status: 401, code: "ERR_OAUTH" });
    expect(error.message).not.toContain("wrong-secret-value");
    expect(tokenRequests()).toBe(1);
  });

  it("503s are retried, then succeed", async () => {
    await setFaults(server, { next: 2, kind: "503" });
    const token = await basicClient(server).getToken();
    expect(await protectedStatus(token.accessToken)).toBe(200);
    expect(tokenRequests()).toBe(3);
  });

  it("429 with Retry-After is honoured and retried", async () => {
    await setFaults(server, { next: 1, kind: "429", retryAfter: 1 });
    await basicClient(server).getToken();
    expect(tokenRequests()).toBe(2);
  });

  it("a connection reset is retried", async () => {
    await setFaults(server, { next: 1, kind: "reset" });
    await basicClient(server).getToken();
    expect(tokenRequests()).toBe(2);
  });

  it("gives up after maxRetries with a TokenEndpointError carrying the status", async () => {
    await setFaults(server, { next: 10, kind: "500" });
    const attempt = basicClient(server, { maxRetries: 2 }).getToken();
    await expect(attempt).rejects.toMatchObject({ name: "TokenEndpointError", status: 500 });
    expect(tokenRequests()).toBe(3);
  });

  it("gives up when the retry budget runs out", async () => {
    await setFaults(server, { next: 1, kind: "slow", delayMs: 2_000 });
    await expect(basicClient(server, { retryBudgetMs: 200 }).getToken()).rejects.toThrow(/retryBudgetMs/);
  });

  it("a Retry-After longer than the budget ends the wait at once", async () => {
    await setFaults(server, { next: 1, kind: "429", retryAfter: 3600 });
    await expect(basicClient(server, { retryBudgetMs: 5_000 }).getToken()).rejects.toThrow(/retryBudgetMs/);
    expect(tokenRequests()).toBe(1);
  });

  it.each(["broken-json", "html"] as const)("a 200 with %s is a TokenEndpointError, not retried", async (kind) => {
    await setFaults(server, { next: 1, kind });
    await expect(basicClient(server).getToken()).rejects.toBeInstanceOf(TokenEndpointError);
    expect(tokenRequests()).toBe(1);
  });

  it("a failure is not cached forever: the next call tries again", async () => {
    await setFaults(server, { next: 1, kind: "html" });
    const auth = basicClient(server);
    await expect(auth.getToken()).rejects.toBeInstanceOf(TokenEndpointError);
    await auth.getToken();
    expect(tokenRequests()).toBe(2);
  });
});
