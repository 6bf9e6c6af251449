// Issue 12.1 on Redis: a token is shared by every process with the same configuration and credential, and
// never lent to another credential for the same client id — in one process or across processes.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ClientCredentialsAuth, OAuthError } from "../../src/index.js";
import type { RedisTokenStore } from "../../src/redis/index.js";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { storeWithWarnings } from "./helpers.js";
import { type RedisServer, redisAvailable, startRedisServer } from "./redis-server.js";

const WORKER = fileURLToPath(new URL("./credential-worker.ts", import.meta.url));

/** Runs one credential worker; resolves to what it printed. */
function runWorker(args: string[]): Promise<{ accessToken?: string; error?: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--import", "tsx", WORKER, ...args], { timeout: 20_000 }, (error, stdout) => {
      if (error !== null) reject(error);
      else resolve(JSON.parse(stdout.trim()) as { accessToken?: string; error?: string });
    });
  });
}

describe.skipIf(!redisAvailable())("RedisTokenStore: tokens follow the credential (12.1)", () => {
  let redis: RedisServer;
  let server: TestServer;
  const stores: RedisTokenStore[] = [];
  const openStore = () => {
    const { store } = storeWithWarnings(redis.url, { connectTimeoutMs: 10_000 });
    stores.push(store);
    return store;
  };
  const tokenUrl = () => `${server.url}/oauth/token`;

  beforeAll(async () => {
    [redis, server] = await Promise.all([startRedisServer(), startTestServer()]);
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await redis.inspect().flushall();
    server.reset();
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), server?.close()]);
  });

  it("in one process: a wrong secret on the same Redis gets invalid_client, and no key name holds a secret", async () => {
    const store = openStore();
    const make = (clientSecret: string) =>
      new ClientCredentialsAuth({ tokenUrl: tokenUrl(), clientId: "basic-client", clientSecret, store });
    const good = await make("basic-secret").getToken();
    const error = await make("redis-wrong-secret")
      .getToken()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OAuthError);
    expect(server.stats().tokenRequests).toBe(2);
    const names = await redis.inspect().keys("*");
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      for (const secret of ["basic-secret", "redis-wrong-secret", "basic-client", good.accessToken]) {
        expect(name).not.toContain(secret);
      }
    }
  });

  it("across processes: two processes with the same configuration share one token; a third with another secret does not get it", async () => {
    const args = (secret: string) => [tokenUrl(), redis.url, "basic-client", secret];
    const shared = await Promise.all([1, 2].map(() => runWorker(args("basic-secret"))));
    const tokens = new Set(shared.map((result) => result.accessToken));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).toMatch(/.+/);
    expect(server.stats().tokenRequests).toBe(1);
    const intruder = await runWorker(args("not-basic-secret"));
    expect(intruder).toEqual({ error: "invalid_client" });
    expect(server.stats().tokenRequests).toBe(2);
  }, 60_000);
});
