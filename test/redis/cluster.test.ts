// Issue 13.3: RedisTokenStore on a real three-node Redis Cluster started on loopback — an ioredis Cluster as
// `client`, a token and its lock in one hash slot, release notices heard on every node, and the fleet test.
import type { Cluster } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisTokenStore } from "../../src/redis/index.js";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { type Fleet, startFleet } from "./fleet.js";
import { makeToken, redisName } from "./helpers.js";
import { clusterSupported, type RedisCluster, startRedisCluster } from "./redis-cluster.js";
import { redisAvailable } from "./redis-server.js";

const TOKEN_TTL_SECONDS = 3;
const REFRESH_WINDOW_SECONDS = TOKEN_TTL_SECONDS / 2;
const MEMBERS = 16;
const RUN_SECONDS = 9;

describe.skipIf(!redisAvailable() || !clusterSupported())("RedisTokenStore on a Redis Cluster (13.3)", () => {
  let cluster: RedisCluster;
  let server: TestServer | undefined;
  let fleet: Fleet | undefined;
  const clients: Cluster[] = [];
  const stores: RedisTokenStore[] = [];
  const open = () => {
    const client = cluster.client();
    clients.push(client);
    const store = new RedisTokenStore({
      client,
      connectTimeoutMs: 10_000,
      commandTimeoutMs: 5_000,
      onWarning: () => {},
    });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    cluster = await startRedisCluster();
  });
  afterEach(async () => {
    await fleet?.stop();
    fleet = undefined;
    await server?.close();
    server = undefined;
    await Promise.all(stores.splice(0).map((store) => store.close()));
    for (const client of clients.splice(0)) client.disconnect();
    await cluster.flush();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("accepts an ioredis Cluster as client: tokens are shared through it, and spread over the nodes", async () => {
    const first = open();
    const second = open();
    for (let index = 0; index < 12; index++) await first.set(`key-${index}`, makeToken(`token-${index}`), 60_000);
    for (let index = 0; index < 12; index++) {
      expect((await second.get(`key-${index}`))?.accessToken).toBe(`token-${index}`);
    }
    const perNode = await Promise.all(cluster.nodes().map((node) => node.dbsize()));
    expect(perNode.reduce((sum, count) => sum + count, 0)).toBe(12);
    expect(perNode.filter((count) => count > 0).length).toBeGreaterThan(1);
    expect(first.shared).toBe(true);
  });

  it("keeps a token and its lock in one hash slot (the names the store uses, found on the nodes)", async () => {
    const store = open();
    for (const key of ["a", "authflow:oauth2:cc:3f0c", "zzz"]) {
      await store.set(key, makeToken(`token-${key}`), 60_000);
      await store.withLock(key, async () => {
        const found: { name: string; node: number }[] = [];
        for (const [node, client] of cluster.nodes().entries()) {
          for (const name of await client.keys("authflow:*")) found.push({ name, node });
        }
        const token = found.find(({ name }) => name.startsWith("authflow:token:"));
        const lock = found.find(({ name }) => name.startsWith("authflow:lock:"));
        expect(token?.node).toBe(lock?.node);
        const [first] = cluster.nodes();
        expect(await first?.cluster("KEYSLOT", token?.name ?? "")).toBe(
          await first?.cluster("KEYSLOT", lock?.name ?? ""),
        );
      });
      await store.delete(key);
    }
  });

  it("announces a release to subscribers on every node, with the token it left", async () => {
    const listeners = cluster.nodes().map((node) => node.duplicate());
    try {
      const lock = redisName("lock", "announced");
      // Notices of earlier tests may still be crossing the cluster bus: wait for this lock's.
      const heard = listeners.map(
        (listener) =>
          new Promise<string>((resolve) => {
            listener.on("message", (_channel: string, message: string) => {
              if (message.includes(lock)) resolve(message);
            });
          }),
      );
      await Promise.all(listeners.map((listener) => listener.subscribe("authflow:unlock")));
      const store = open();
      await store.withLock("announced", () => store.set("announced", makeToken("left-behind"), 60_000));
      const messages = await Promise.all(heard);
      for (const message of messages) {
        expect(message.startsWith(`${lock.length}:${lock}`)).toBe(true);
        expect(message).toContain("left-behind");
      }
    } finally {
      for (const listener of listeners) listener.disconnect();
    }
  });

  it(`a fleet of ${MEMBERS} on the cluster: token requests as one process, at most 2 lock acquisitions and 4 × ${MEMBERS} commands per window`, async () => {
    server = await startTestServer({ tokenTtlSeconds: TOKEN_TTL_SECONDS });
    fleet = await startFleet({
      serverUrl: server.url,
      store: "redis",
      redis: { clusterPorts: cluster.ports },
      members: MEMBERS,
      processes: 4,
    });
    const result = await fleet.run(RUN_SECONDS * 1000);
    const windows = RUN_SECONDS / REFRESH_WINDOW_SECONDS;
    const tokenRequests = server.stats().tokenRequests;
    console.log(
      `cluster fleet, ${MEMBERS} members in 4 processes, ${RUN_SECONDS} s: ${tokenRequests} token requests, ` +
        `${result.ok + result.failed} requests, ${result.failed} failed; per window ` +
        `${(result.counts.lockAcquisitions / windows).toFixed(1)} lock acquisitions, ` +
        `${(result.counts.commands / windows).toFixed(1)} Redis commands (and ${(result.counts.upkeep / windows).toFixed(1)} ` +
        "of the clients' own upkeep: connection set-up, slot maps)",
    );
    expect(result.errors).toEqual([]);
    expect(result.failed).toBe(0);
    expect(tokenRequests).toBeLessThanOrEqual(Math.floor(RUN_SECONDS / REFRESH_WINDOW_SECONDS) + 2);
    expect(result.counts.lockAcquisitions / windows).toBeLessThanOrEqual(2);
    expect(result.counts.commands / windows).toBeLessThanOrEqual(4 * MEMBERS);
    for (const worker of fleet.workers) expect(worker.warnings).toEqual([]);
  }, 60_000);
});
