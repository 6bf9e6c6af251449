import { afterEach, describe, expect, it } from "vitest";
import { OAuthError, withAuth } from "../../src/index.js";
import { useTestServer } from "../helpers/server.js";
import { basicClient, eventually, fakeClock, setFaults } from "./helpers.js";

const server = useTestServer({ faults: true });
afterEach(() => server.reset());

const protectedUrl = () => `${server.url}/oauth/protected`;

describe("fault injection: application requests survive the token endpoint's failures", () => {
  it("half of the token requests answer 503: every application request succeeds", async () => {
    await setFaults(server, { halfFail: true });
    const statuses: number[] = [];
    // A fresh client per round: each round needs a token request of its own.
    for (let round = 0; round < 20; round++) {
      const authedFetch = withAuth(fetch, basicClient(server));
      const responses = await Promise.all(Array.from({ length: 10 }, () => authedFetch(protectedUrl())));
      for (const response of responses) {
        statuses.push(response.status);
        await response.body?.cancel();
      }
    }
    expect(statuses).toEqual(Array(200).fill(200));
    const { tokenRequests, tokensIssued } = server.stats();
    expect(tokensIssued).toBe(20);
    expect(tokenRequests).toBe(40); // every other one failed
  });

  it("the token endpoint down while a token is valid: no application request fails", async () => {
    const clock = fakeClock();
    const refreshErrors: Error[] = [];
    const auth = basicClient(server, {
      now: clock.now,
      maxRetries: 1,
      onRefreshError: (error) => refreshErrors.push(error),
    });
    const authedFetch = withAuth(fetch, auth);
    await (await authedFetch(protectedUrl())).body?.cancel();
    await setFaults(server, { down: true });
    const statuses: number[] = [];
    // Walk through the refresh window up to a second before expiry (on the fake clock only: no real-time race).
    const issuedAt = clock.now();
    for (let step = 0; step < 60; step++) {
      clock.set(issuedAt + 3_540_000 + step * 1_000);
      const responses = await Promise.all(Array.from({ length: 5 }, () => authedFetch(protectedUrl())));
      for (const response of responses) {
        statuses.push(response.status);
        await response.body?.cancel();
      }
    }
    expect(statuses).toEqual(Array(300).fill(200));
    await eventually(() => refreshErrors.length >= 1);
    // Background refreshes were tried, one at a time and with pauses, never once per request.
    expect(server.stats().tokenRequests).toBeLessThan(40);
    console.info(
      `endpoint down, token valid: 300/300 requests succeeded, ${server.stats().tokenRequests} token requests`,
    );
    // Let the pending background refresh finish, so it does not run into the next test.
    await setFaults(server, { down: false });
    clock.advance(10_000);
    await eventually(() =>
      auth.getToken().then(
        () => true,
        () => false,
      ),
    );
  });

  it("a permanent invalid_client: OAuthError after exactly one token request; the API is never called", async () => {
    const authedFetch = withAuth(fetch, basicClient(server, { clientSecret: "not-the-secret" }));
    const results = await Promise.allSettled(Array.from({ length: 25 }, () => authedFetch(protectedUrl())));
    for (const result of results) {
      expect(result.status).toBe("rejected");
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(OAuthError);
      expect(String((result as PromiseRejectedResult).reason)).not.toContain("not-the-secret");
    }
    expect(server.stats().tokenRequests).toBe(1);
    expect(server.stats().routes["oauth-protected"]).toBeUndefined();
  });

  it("a 429 with Retry-After, then success: the request succeeds after two token requests", async () => {
    await setFaults(server, { next: 1, kind: "429", retryAfter: 1 });
    const response = await withAuth(fetch, basicClient(server))(protectedUrl());
    expect(response.status).toBe(200);
    expect(server.stats().tokenRequests).toBe(2);
  });
});
