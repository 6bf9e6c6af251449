import { Redis } from "ioredis";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { RedisTokenStore } from "../../src/redis/index.js";
import { eventually, makeToken, sleep, storeWithWarnings } from "./helpers.js";
import { freePort, type RedisServer, redisAvailable, startRedisServer } from "./redis-server.js";

describe.skipIf(!redisAvailable())("RedisTokenStore: Redis away", () => {
  let redis: RedisServer;
  const stores: RedisTokenStore[] = [];
  const clients: Redis[] = [];
  const open = (url: string, options: Parameters<typeof storeWithWarnings>[1] = {}) => {
    const opened = storeWithWarnings(url, options);
    stores.push(opened.store);
    return opened;
  };
  const codes = (warnings: { code: string }[]) => warnings.map((warning) => warning.code);

  beforeEach(async () => {
    redis = await startRedisServer();
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    for (const client of clients.splice(0)) client.disconnect();
    await redis.stop();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("works in this process when Redis is unreachable from the start, with one warning", async () => {
    const { store, warnings } = open(`redis://127.0.0.1:${await freePort()}`);
    expect(await store.get("k")).toBeUndefined();
    await store.set("k", makeToken("local-only"), 60_000);
    expect((await store.get("k"))?.accessToken).toBe("local-only");
    expect(await store.withLock("k", async () => "ran")).toBe("ran");
    await store.delete("k");
    expect(await store.get("k")).toBeUndefined();
    expect(store.shared).toBe(false);
    expect(codes(warnings)).toEqual(["redis-unavailable"]);
  });

  it("serialises in this process while Redis is away", async () => {
    const { store } = open(`redis://127.0.0.1:${await freePort()}`);
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        store.withLock("k", async () => {
          inside += 1;
          most = Math.max(most, inside);
          await sleep(2);
          inside -= 1;
        }),
      ),
    );
    expect(most).toBe(1);
  });

  it("keeps serving when Redis stops mid-run, then shares again once it is back", async () => {
    const { store: first, warnings: firstWarnings } = open(redis.url);
    const { store: second, warnings: secondWarnings } = open(redis.url);
    await first.set("k", makeToken("before-outage"), 60_000);
    expect((await second.get("k"))?.accessToken).toBe("before-outage");

    await redis.stop();
    // Each process goes on with its own copy, and its own lock.
    expect((await first.get("k"))?.accessToken).toBe("before-outage");
    expect((await second.get("k"))?.accessToken).toBe("before-outage");
    await first.set("k", makeToken("during-outage"), 60_000);
    expect((await first.get("k"))?.accessToken).toBe("during-outage");
    expect(await second.withLock("k", async () => "locked locally")).toBe("locked locally");
    expect(codes(firstWarnings)).toEqual(["redis-unavailable"]);
    expect(codes(secondWarnings)).toEqual(["redis-unavailable"]);

    await redis.start();
    await eventually(async () => {
      await first.set("k", makeToken("after-outage"), 60_000);
      return first.shared;
    });
    expect((await second.get("k"))?.accessToken).toBe("after-outage");
    expect(second.shared).toBe(true);
    expect(codes(firstWarnings)).toEqual(["redis-unavailable", "redis-recovered"]);
    expect(codes(secondWarnings)).toEqual(["redis-unavailable", "redis-recovered"]);
  });

  it("lets a holder finish when Redis stops while it holds the lock", async () => {
    const { store } = open(redis.url);
    const result = await store.withLock("k", async () => {
      await redis.stop();
      return "finished";
    });
    expect(result).toBe("finished");
    expect(await store.withLock("k", async () => "again")).toBe("again");
  });

  it("does not hang on a client of the caller's that queues commands while offline", async () => {
    const client = new Redis(redis.port, "127.0.0.1");
    client.on("error", () => {});
    clients.push(client);
    const warnings: string[] = [];
    const store = new RedisTokenStore({ client, onWarning: (warning) => warnings.push(warning.code) });
    stores.push(store);
    await store.set("k", makeToken("kept"), 60_000);
    await redis.stop();
    expect((await store.get("k"))?.accessToken).toBe("kept");
    expect(await store.withLock("k", async () => "ran")).toBe("ran");
    expect(warnings).toEqual(["redis-unavailable"]);
    await store.close();
    // The caller's client stays theirs.
    expect(client.status).not.toBe("end");
  });
});
