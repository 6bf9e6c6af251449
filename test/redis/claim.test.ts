// Issue 13.2: the fleet's refresh lock is taken only for work still to do. Several RedisTokenStore objects on
// one Redis stand for several processes (each has its own connections and local copy); every command they
// send is counted in this process (command-counter.ts), so the assertions are counts, never timings.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ClientCredentialsAuth } from "../../src/index.js";
import type { RedisTokenStore } from "../../src/redis/index.js";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import type { Token } from "../../src/stores/store.js";
import { commandCounts, countCommands, resetCommandCounts } from "./command-counter.js";
import { makeToken, redisName, storeWithWarnings } from "./helpers.js";
import { type RedisServer, redisAvailable, startRedisServer } from "./redis-server.js";

/** A promise and the function that settles it. */
function gate<T = void>() {
  let open!: (value: T) => void;
  const opened = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/** Satisfied by any usable token other than `old`. */
const newerThan = (old: Token | undefined) => (token: Token | undefined) =>
  token !== undefined && token.accessToken !== old?.accessToken;

describe.skipIf(!redisAvailable())("RedisTokenStore: a refresh lock that stays O(1) per refresh (13.2)", () => {
  let redis: RedisServer;
  let server: TestServer;
  const stores: RedisTokenStore[] = [];
  const open = () => {
    const { store, warnings } = storeWithWarnings(redis.url, { connectTimeoutMs: 10_000 });
    stores.push(store);
    return { store, warnings };
  };
  /** A store that has waited once already, so it listens for release notices (as a process does after its first wait). */
  const listening = async () => {
    const opened = open();
    const { store: holder } = open();
    const held = gate();
    const release = gate();
    const holding = holder.withLock("warm-up", async () => {
      held.open();
      await release.opened;
    });
    await held.opened;
    const waiting = opened.store.withLock("warm-up", async () => {});
    setTimeout(release.open, 50);
    await Promise.all([holding, waiting]);
    return opened;
  };

  beforeAll(async () => {
    countCommands();
    [redis, server] = await Promise.all([startRedisServer(), startTestServer({ tokenTtlSeconds: 60 })]);
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await redis.inspect().flushall();
    server.reset();
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), server?.close()]);
  });

  it("a waiter woken by the release takes the new token from the notice instead of the lock", async () => {
    const { store: holder } = open();
    const { store: waiter, warnings } = await listening();
    const old = makeToken("old");
    await holder.set("k", old, 60_000);
    const seen = await waiter.get("k");
    const entered = gate();
    const finish = gate();
    let works = 0;
    const holding = holder.refresh("k", { seen: old, satisfies: newerThan(old), wait: true }, async () => {
      works += 1;
      entered.open();
      await finish.opened;
      const fresh = makeToken("fresh");
      await holder.set("k", fresh, 60_000);
      return fresh;
    });
    await entered.opened;
    resetCommandCounts();
    const waiting = waiter.refresh("k", { seen, satisfies: newerThan(old), wait: true }, async () => {
      works += 1;
      return makeToken("never");
    });
    setTimeout(finish.open, 100);
    expect((await holding)?.accessToken).toBe("fresh");
    expect((await waiting)?.accessToken).toBe("fresh");
    expect(works).toBe(1);
    const counts = commandCounts();
    // The waiter: one compare-and-lock (held), no read, no lock. The holder: its token write and the release.
    // (One more look is allowed: on a machine stalled for a second, the waiter's timer may beat the notice.)
    expect(counts.lockAcquisitions).toBe(0);
    expect(counts.reads).toBe(0);
    expect(counts.lockAttempts).toBeLessThanOrEqual(2);
    expect(counts.commands).toBeLessThanOrEqual(4);
    expect(warnings).toEqual([]);
  });

  it("a background refresh tries the lock once, then only watches the holder, and takes its token", async () => {
    const { store: holder } = open();
    const { store: background } = await listening();
    const old = makeToken("current");
    await holder.set("k", old, 60_000);
    const seen = await background.get("k");
    const entered = gate();
    const finish = gate();
    const holding = holder.refresh("k", { seen: old, satisfies: newerThan(old), wait: true }, async () => {
      entered.open();
      await finish.opened;
      const fresh = makeToken("refreshed");
      await holder.set("k", fresh, 60_000);
      return fresh;
    });
    await entered.opened;
    resetCommandCounts();
    let ran = false;
    const watching = background.refresh("k", { seen, satisfies: newerThan(old), wait: false }, async () => {
      ran = true;
      return makeToken("never");
    });
    // Meanwhile the current token is what this process has: the store still serves it.
    expect((await background.get("k"))?.accessToken).toBe("current");
    setTimeout(finish.open, 100);
    await holding;
    expect((await watching)?.accessToken).toBe("refreshed");
    expect(ran).toBe(false);
    // Tried once; after that it only looked (if at all), never took the lock.
    expect(commandCounts().lockAttempts).toBe(1);
    expect(commandCounts().lockAcquisitions).toBe(0);
  });

  it("a background refresh whose holder leaves no new token resolves to nothing and does not take the lock", async () => {
    const { store: holder } = open();
    const { store: background } = await listening();
    const old = makeToken("kept");
    await holder.set("k", old, 60_000);
    const entered = gate();
    const finish = gate();
    const holding = holder.refresh("k", { seen: old, satisfies: newerThan(old), wait: true }, async () => {
      entered.open();
      await finish.opened;
      throw new Error("the token endpoint is down");
    });
    holding.catch(() => {});
    await entered.opened;
    resetCommandCounts();
    const watching = background.refresh(
      "k",
      { seen: await background.get("k"), satisfies: newerThan(old), wait: false },
      () => Promise.resolve(makeToken("never")),
    );
    setTimeout(finish.open, 100);
    await expect(holding).rejects.toThrow("down");
    expect(await watching).toBeUndefined();
    expect(commandCounts().lockAcquisitions).toBe(0);
    expect(await redis.inspect().exists(redisName("lock", "k"))).toBe(0);
  });

  it("still wakes on an older version's bare release notice, and reads the token itself", async () => {
    const { store: waiter } = await listening();
    const { store: writer } = open();
    const lock = redisName("lock", "k");
    await redis.inspect().set(lock, "an-older-process", "PX", 60_000);
    const waiting = waiter.refresh(
      "k",
      { seen: undefined, satisfies: (token) => token !== undefined, wait: true },
      () => Promise.resolve(makeToken("never")),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    await writer.set("k", makeToken("from-the-old-process"), 60_000);
    await redis.inspect().del(lock);
    await redis.inspect().publish("authflow:unlock", lock);
    expect((await waiting)?.accessToken).toBe("from-the-old-process");
  });

  it("10 processes × 20 requests on a cold cache: one token request, one lock acquisition, O(N) commands", async () => {
    const config = { tokenUrl: `${server.url}/oauth/token`, clientId: "basic-client", clientSecret: "basic-secret" };
    const fleet = Array.from({ length: 10 }, () => new ClientCredentialsAuth({ ...config, store: open().store }));
    // Connections and credential digests first: what is counted is the refresh.
    await Promise.all(fleet.map((auth) => auth.reset()));
    for (const store of stores) await store.get("warm-up");
    resetCommandCounts();
    const tokens = await Promise.all(fleet.flatMap((auth) => Array.from({ length: 20 }, () => auth.getToken())));
    expect(new Set(tokens.map((token) => token.accessToken)).size).toBe(1);
    expect(server.stats().tokenRequests).toBe(1);
    const counts = commandCounts();
    expect(counts.lockAcquisitions).toBe(1);
    // Each process: one read for its burst, one compare-and-lock, and on its first wait ever a SUBSCRIBE and
    // one more look; the holder adds its token write and the release. (Before 13.2: 10 acquisitions, each
    // release waking every waiter to try again.)
    expect(counts.reads).toBe(10);
    expect(counts.lockAttempts).toBeLessThanOrEqual(20);
    expect(counts.commands).toBeLessThanOrEqual(4 * 10 + 2);
  });
});
