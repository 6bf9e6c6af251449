import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RedisTokenStore } from "../../src/redis/index.js";
import { redisName, sleep, storeWithWarnings } from "./helpers.js";
import { type RedisServer, redisAvailable, startRedisServer } from "./redis-server.js";

const WORKER = fileURLToPath(new URL("./lock-worker.ts", import.meta.url));
const lockName = (key: string) => redisName("lock", key);

/** Runs `fn` in the critical section and records the most holders ever inside at once. */
function exclusionProbe() {
  let inside = 0;
  let most = 0;
  let runs = 0;
  return {
    async enter(ms: number) {
      inside += 1;
      runs += 1;
      most = Math.max(most, inside);
      await sleep(ms);
      inside -= 1;
    },
    get most() {
      return most;
    },
    get runs() {
      return runs;
    },
  };
}

describe.skipIf(!redisAvailable())("RedisTokenStore: the refresh lock", () => {
  let redis: RedisServer;
  const stores: RedisTokenStore[] = [];
  const children: ChildProcess[] = [];
  const open = (options: Parameters<typeof storeWithWarnings>[1] = {}) => {
    const opened = storeWithWarnings(redis.url, options);
    stores.push(opened.store);
    return opened;
  };
  const worker = (...args: string[]) => {
    const child = spawn(process.execPath, ["--import", "tsx", WORKER, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterEach(async () => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await redis.inspect().flushall();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("is mutually exclusive across two stores on separate connections", async () => {
    const { store: first } = open();
    const { store: second } = open();
    const probe = exclusionProbe();
    const runs = Array.from({ length: 20 }, (_, index) =>
      (index % 2 === 0 ? first : second).withLock("refresh", () => probe.enter(3)),
    );
    await Promise.all(runs);
    expect(probe.runs).toBe(20);
    expect(probe.most).toBe(1);
    expect(await redis.inspect().exists(lockName("refresh"))).toBe(0);
  });

  it("does not make different keys wait for each other", async () => {
    const { store } = open();
    const probe = exclusionProbe();
    await store.withLock("outer", () => store.withLock("inner", () => probe.enter(1)));
    expect(probe.runs).toBe(1);
  });

  it("resolves to what fn returns and rethrows what it throws, releasing the lock either way", async () => {
    const { store } = open();
    expect(await store.withLock("value", async () => 42)).toBe(42);
    await expect(
      store.withLock("value", async () => {
        throw new Error("refresh failed");
      }),
    ).rejects.toThrow("refresh failed");
    expect(await redis.inspect().exists(lockName("value"))).toBe(0);
  });

  it("is released only by its holder (compare-and-delete)", async () => {
    const { store } = open();
    await store.withLock("stolen", async () => {
      // As if the lock had lapsed and another process had taken it.
      await redis.inspect().set(lockName("stolen"), "someone-else", "PX", 60_000);
    });
    expect(await redis.inspect().get(lockName("stolen"))).toBe("someone-else");
  });

  it("keeps the lock alive while a holder runs past its TTL", async () => {
    // Extended every 333 ms: a loaded machine would have to stall the event loop for 0.7 s to lose it.
    const { store: first, warnings } = open({ lockTtlMs: 1_000 });
    const { store: second } = open({ lockTtlMs: 1_000 });
    const order: string[] = [];
    let entered!: () => void;
    const holding = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const long = first.withLock("slow", async () => {
      order.push("first in");
      entered();
      await sleep(2_500);
      order.push("first out");
    });
    await holding;
    await second.withLock("slow", async () => {
      order.push("second in");
    });
    await long;
    expect(order).toEqual(["first in", "first out", "second in"]);
    expect(warnings).toEqual([]);
  });

  it("wakes a waiter with the release notice rather than by polling", async () => {
    const { store: first } = open();
    const { store: second } = open();
    await first.withLock("warm-up", async () => {});
    await second.withLock("warm-up", async () => {});
    await redis.inspect().config("RESETSTAT");
    let entered!: () => void;
    const holding = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const held = first.withLock("notice", async () => {
      entered();
      await sleep(600);
    });
    await holding;
    await second.withLock("notice", async () => {});
    await held;
    const stats = await redis.inspect().info("commandstats");
    const evals = Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1] ?? "0");
    // Holder: take + release; waiter: try, subscribe and try again, try when told, release. Polling: ~6 more.
    expect(evals).toBeLessThanOrEqual(6);
    // Only the store that had to wait listens for release notices.
    expect(await redis.inspect().pubsub("NUMSUB", "authflow:unlock")).toEqual(["authflow:unlock", 1]);
  });

  it("is mutually exclusive across processes", async () => {
    const exits = ["a", "b", "c"].map((id) => once(worker("exclusive", redis.url, id, "5"), "exit"));
    const codes = await Promise.all(exits);
    expect(codes.map(([code]) => code)).toEqual([0, 0, 0]);
    const log = await redis.inspect().lrange("lock-log", 0, -1);
    expect(log).toHaveLength(30);
    for (let index = 0; index < log.length; index += 2) {
      const id = (log[index] as string).split(":")[1];
      expect([log[index], log[index + 1]]).toEqual([`enter:${id}`, `exit:${id}`]);
    }
  });

  it("goes to another holder once a holder killed mid-lock (SIGKILL) has let it lapse", async () => {
    const holder = worker("hold", redis.url, "500");
    const [line] = await once(holder.stdout as NodeJS.ReadableStream, "data");
    expect(String(line)).toContain("locked");
    expect(await redis.inspect().pttl(lockName("held"))).toBeGreaterThan(0);
    holder.kill("SIGKILL");
    await once(holder, "exit");
    const { store, warnings } = open();
    const probe = exclusionProbe();
    await store.withLock("held", () => probe.enter(0));
    expect(probe.runs).toBe(1);
    expect(warnings).toEqual([]);
  });
});
