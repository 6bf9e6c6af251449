import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { type Fleet, type FleetOptions, startFleet } from "./fleet.js";
import { sleep } from "./helpers.js";
import { type RedisServer, redisAvailable, startRedisServer } from "./redis-server.js";

// The committed figures are refreshed only on request (AUTHFLOW_RECORD_FLEET=1), so `npm test` leaves the tree clean.
const RESULTS = process.env.AUTHFLOW_RECORD_FLEET
  ? fileURLToPath(new URL("../../bench/fleet-results.json", import.meta.url))
  : join(tmpdir(), `authflow-fleet-results-${process.pid}.json`);
const TOKEN_TTL_SECONDS = 3;
/** The default leeway is capped at half a token's lifetime: one refresh per 1.5 s. */
const REFRESH_WINDOW_SECONDS = TOKEN_TTL_SECONDS / 2;
const FLEET_SIZE = 8;
const RUN_SECONDS = 12;

/** What one run of the fleet cost the token endpoint, and how the application requests fared. */
interface RunFigures {
  scenario: string;
  store: "redis" | "memory";
  workers: number;
  seconds: number;
  tokenRequests: number;
  requests: number;
  failedRequests: number;
}

/** No more token requests than one process would make: one per refresh window, plus the first and a boundary. */
const oneProcessBound = (seconds: number) => Math.floor(seconds / REFRESH_WINDOW_SECONDS) + 2;

describe.skipIf(!redisAvailable())("RedisTokenStore: a fleet of processes", () => {
  let redis: RedisServer;
  let server: TestServer | undefined;
  let fleet: Fleet | undefined;
  const figures: RunFigures[] = [];

  /**
   * Runs the fleet for `seconds` against a fresh test server, with `during`
   * running beside it; records and returns the figures.
   */
  async function run(
    scenario: string,
    options: Omit<FleetOptions, "serverUrl" | "redisUrl">,
    seconds: number,
    during: (fleet: Fleet, server: TestServer) => Promise<void> = async () => {},
  ): Promise<RunFigures> {
    server = await startTestServer({ tokenTtlSeconds: TOKEN_TTL_SECONDS });
    fleet = await startFleet({ ...options, serverUrl: server.url, redisUrl: redis.url });
    fleet.go(seconds * 1000, 1_500);
    await during(fleet, server);
    const tallies = await fleet.results();
    for (const tally of tallies) expect(tally.errors).toEqual([]);
    const figure: RunFigures = {
      scenario,
      store: options.store,
      workers: options.workers,
      seconds,
      tokenRequests: server.stats().tokenRequests,
      requests: tallies.reduce((sum, tally) => sum + tally.ok + tally.failed, 0),
      failedRequests: tallies.reduce((sum, tally) => sum + tally.failed, 0),
    };
    figures.push(figure);
    return figure;
  }

  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterEach(async () => {
    await fleet?.stop();
    fleet = undefined;
    await server?.close();
    server = undefined;
    if (redis !== undefined) {
      await redis.start();
      await redis.inspect().flushall();
    }
  });
  afterAll(async () => {
    await redis?.stop();
    if (figures.length === 0) return;
    const report = { tokenTtlSeconds: TOKEN_TTL_SECONDS, oneProcessBound: oneProcessBound(RUN_SECONDS), runs: figures };
    await mkdir(fileURLToPath(new URL("../../bench/", import.meta.url)), { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
    const lines = figures.map(
      (figure) =>
        `  ${figure.scenario.padEnd(14)} ${figure.store.padEnd(6)} ${figure.workers} processes, ${figure.seconds} s: ` +
        `${figure.tokenRequests} token requests, ${figure.requests} requests, ${figure.failedRequests} failed`,
    );
    console.log(`fleet runs, tokens live ${TOKEN_TTL_SECONDS} s:\n${lines.join("\n")}`);
  });

  it(`8 processes on one Redis make no more token requests than one process would (≤ ${oneProcessBound(RUN_SECONDS)})`, async () => {
    const shared = await run("shared", { store: "redis", workers: FLEET_SIZE }, RUN_SECONDS);
    expect(shared.failedRequests).toBe(0);
    expect(shared.requests).toBeGreaterThan(0);
    expect(shared.tokenRequests).toBeLessThanOrEqual(oneProcessBound(RUN_SECONDS));
    for (const worker of fleet?.workers ?? []) expect(worker.warnings).not.toContain("lock-wait-exceeded");
  }, 90_000);

  it("the same fleet on memory stores makes many more (reported beside it)", async () => {
    const separate = await run("separate", { store: "memory", workers: FLEET_SIZE }, RUN_SECONDS);
    expect(separate.failedRequests).toBe(0);
    const shared = figures.find((figure) => figure.scenario === "shared");
    if (shared !== undefined) expect(separate.tokenRequests).toBeGreaterThan(shared.tokenRequests);
  }, 90_000);

  it("a lock holder killed mid-refresh: another process takes over once the lock lapses, no request fails", async () => {
    let atKill = 0;
    const killed = await run(
      "killed-holder",
      { store: "redis", workers: 3, victims: 1, lockTtlMs: 2_000 },
      8,
      async (fleet, server) => {
        const [victim] = fleet.victims;
        await victim?.refreshing;
        // It holds the Redis lock and its token request has started: kill it there.
        victim?.child.kill("SIGKILL");
        atKill = server.stats().tokenRequests;
      },
    );
    expect(killed.failedRequests).toBe(0);
    // Tokens live 3 s and the run goes on ~6 s after the kill: someone took the lock over and refreshed.
    expect(killed.tokenRequests).toBeGreaterThan(atKill);
    expect(killed.tokenRequests).toBeLessThanOrEqual(oneProcessBound(8));
    for (const worker of fleet?.workers ?? []) expect(worker.warnings).not.toContain("lock-wait-exceeded");
  }, 90_000);

  it("Redis stopped mid-run: no request fails, and sharing resumes once it is back", async () => {
    let resumed = { at: 0, tokenRequests: 0 };
    const outage = await run("redis-outage", { store: "redis", workers: 4 }, 10, async (_fleet, server) => {
      await sleep(2_500);
      await redis.stop();
      await sleep(2_500);
      await redis.start();
      // Reconnection takes up to a second; from then on the fleet shares again.
      await sleep(1_500);
      resumed = { at: Date.now(), tokenRequests: server.stats().tokenRequests };
    });
    const resumedSeconds = (Date.now() - resumed.at) / 1000;
    expect(outage.failedRequests).toBe(0);
    for (const worker of fleet?.workers ?? []) {
      const availability = worker.warnings.filter((code) => code.startsWith("redis-"));
      expect(availability).toContain("redis-unavailable");
      expect(availability.at(-1)).toBe("redis-recovered");
    }
    expect(outage.tokenRequests - resumed.tokenRequests).toBeLessThanOrEqual(oneProcessBound(resumedSeconds));
  }, 90_000);
});
