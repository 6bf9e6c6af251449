/**
 * A separate process holding a RedisTokenStore, for the lock tests:
 * - `exclusive <url> <id> <rounds>`: takes the lock `rounds` times, logging
 *   `enter:<id>` and `exit:<id>` to the Redis list `lock-log` inside it;
 * - `hold <url> <lockTtlMs>`: takes the lock, prints "locked", and hangs
 *   until killed.
 */
import { Redis } from "ioredis";
import { RedisTokenStore } from "../../src/redis/index.js";

const [mode, url, ...rest] = process.argv.slice(2);
if (url === undefined) throw new Error("usage: lock-worker.ts exclusive|hold <url> …");

if (mode === "exclusive") {
  const [id, rounds] = rest;
  const store = new RedisTokenStore({ url, onWarning: (warning) => console.error(warning.code) });
  const log = new Redis(url);
  for (let round = 0; round < Number(rounds); round++) {
    await store.withLock("cross-process", async () => {
      await log.rpush("lock-log", `enter:${id}`);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
      await log.rpush("lock-log", `exit:${id}`);
    });
  }
  log.disconnect();
  await store.close();
} else if (mode === "hold") {
  const store = new RedisTokenStore({ url, lockTtlMs: Number(rest[0]) });
  await store.withLock("held", async () => {
    process.stdout.write("locked\n");
    await new Promise(() => {
      setInterval(() => {}, 1_000);
    });
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}
