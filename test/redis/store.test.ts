import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisTokenStore } from "../../src/redis/index.js";
import { eventually, makeToken, sleep, storeWithWarnings } from "./helpers.js";
import { type RedisServer, redisAvailable, startRedisServer } from "./redis-server.js";

describe.skipIf(!redisAvailable())("RedisTokenStore: tokens", () => {
  let redis: RedisServer;
  const stores: RedisTokenStore[] = [];
  const open = (options: Parameters<typeof storeWithWarnings>[1] = {}) => {
    const opened = storeWithWarnings(redis.url, options);
    stores.push(opened.store);
    return opened;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await redis.inspect().flushall();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("gets what it set, and a miss for a key never set", async () => {
    const { store, warnings } = open();
    const token = makeToken("token-one");
    await store.set("client-a", token, 60_000);
    expect(await store.get("client-a")).toEqual(token);
    expect(await store.get("client-b")).toBeUndefined();
    expect(store.shared).toBe(true);
    expect(warnings).toEqual([]);
  });

  it("shares tokens between stores on separate connections", async () => {
    const { store: first } = open();
    const { store: second } = open();
    await first.set("shared-key", makeToken("shared-token"), 60_000);
    expect((await second.get("shared-key"))?.accessToken).toBe("shared-token");
    await second.delete("shared-key");
    expect(await first.get("shared-key")).toBeUndefined();
  });

  it("keeps a token in Redis with a TTL equal to its remaining lifetime", async () => {
    const { store } = open();
    await store.set("ttl-key", makeToken("ttl-token"), 30_000);
    const [name] = await redis.inspect().keys("authflow:token:*");
    const remaining = await redis.inspect().pttl(name as string);
    expect(remaining).toBeGreaterThan(20_000);
    expect(remaining).toBeLessThanOrEqual(30_000);
  });

  it("forgets a token once its TTL has passed", async () => {
    const { store } = open();
    await store.set("short", makeToken("short-lived", 150), 150);
    await eventually(async () => (await redis.inspect().keys("authflow:token:*")).length === 0);
    expect(await store.get("short")).toBeUndefined();
  });

  it("deletes instead of storing when the TTL is not positive", async () => {
    const { store } = open();
    await store.set("gone", makeToken("first"), 60_000);
    await store.set("gone", makeToken("expired", 0), 0);
    expect(await store.get("gone")).toBeUndefined();
    expect(await redis.inspect().keys("*")).toEqual([]);
  });

  it("hashes key names under the prefix: no client id or scope in clear", async () => {
    const { store } = open({ prefix: "fleet-a:" });
    const key = "authflow:oauth2:cc:https://as.example/token|my-client-id|orders:read";
    await store.set(key, makeToken("hashed"), 60_000);
    const keys = await redis.inspect().keys("*");
    expect(keys).toHaveLength(1);
    // The SHA-256 in a hash tag: a token and its lock share one slot of a Redis Cluster.
    expect(keys[0]).toMatch(/^fleet-a:token:\{[0-9a-f]{64}\}$/);
    expect(keys[0]).not.toContain("my-client-id");
  });

  it("keeps stores with different prefixes apart", async () => {
    const { store: first } = open({ prefix: "one:" });
    const { store: second } = open({ prefix: "two:" });
    await first.set("same-key", makeToken("only-in-one"), 60_000);
    expect(await second.get("same-key")).toBeUndefined();
  });

  it("treats a value that is not a token as a miss, with a warning", async () => {
    const { store, warnings } = open();
    await store.set("corrupt", makeToken("fine"), 60_000);
    const [name] = await redis.inspect().keys("authflow:token:*");
    await redis.inspect().set(name as string, "{not json", "PX", 60_000);
    expect(await store.get("corrupt")).toBeUndefined();
    expect(warnings.map((warning) => warning.code)).toEqual(["undecryptable"]);
  });

  it("sees a delete made by another process, not a stale local copy", async () => {
    const { store: first } = open();
    const { store: second } = open();
    await first.set("revoked", makeToken("revoked-token"), 60_000);
    expect(await first.get("revoked")).toBeDefined();
    await second.delete("revoked");
    expect(await first.get("revoked")).toBeUndefined();
  });

  it("needs exactly one of client or url, and sane durations", () => {
    expect(() => new RedisTokenStore({})).toThrow(TypeError);
    expect(() => new RedisTokenStore({ url: redis.url, lockTtlMs: 0 })).toThrow(/lockTtlMs/);
  });

  it("shows no secret when printed", async () => {
    const { store } = open({ encryptionKey: "11".repeat(32) });
    const printed = `${String(store)} ${JSON.stringify(store)}`;
    expect(printed).toContain("RedisTokenStore");
    expect(printed).not.toContain("1111");
    await sleep(0);
  });
});
