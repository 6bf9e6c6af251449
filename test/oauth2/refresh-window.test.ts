import { describe, expect, it } from "vitest";
import { withAuth } from "../../src/index.js";
import { useTestServer } from "../helpers/server.js";
import { basicClient } from "./helpers.js";

// The one test that runs on real time: the server expires tokens by its own clock.
const server = useTestServer({ tokenTtlSeconds: 2 });

describe("tokenTtlSeconds 2 over 10 s of continuous requests", () => {
  it("refreshes once per window (at most 12 token requests) and no request meets an expired token", async () => {
    const authedFetch = withAuth(fetch, basicClient(server));
    const statuses = new Map<number, number>();
    const end = Date.now() + 10_000;
    const worker = async () => {
      while (Date.now() < end) {
        const response = await authedFetch(`${server.url}/oauth/protected`);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        await response.body?.cancel();
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    const { tokenRequests, challenges } = server.stats();
    expect([...statuses.keys()]).toEqual([200]);
    expect(challenges).toBe(0); // no request was ever answered 401
    expect(tokenRequests).toBeGreaterThanOrEqual(5); // a 2 s token cannot cover 10 s in fewer
    expect(tokenRequests).toBeLessThanOrEqual(12);
    console.info(`2 s TTL over 10 s: ${statuses.get(200)} requests, ${tokenRequests} token requests`);
  }, 30_000);
});
