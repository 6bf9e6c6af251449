import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisTokenStore } from "../../src/redis/index.js";
import { makeToken, redisName, storeWithWarnings } from "./helpers.js";
import { type RedisServer, redisAvailable, startRedisServer } from "./redis-server.js";

const KEY_HEX = "a1".repeat(32);

describe.skipIf(!redisAvailable())("RedisTokenStore: encryption at rest", () => {
  let redis: RedisServer;
  const stores: RedisTokenStore[] = [];
  const open = (options: Parameters<typeof storeWithWarnings>[1] = {}) => {
    const opened = storeWithWarnings(redis.url, options);
    stores.push(opened.store);
    return opened;
  };
  const storedValues = async () => {
    const names = await redis.inspect().keys("authflow:token:*");
    return Promise.all(names.map(async (name) => ({ name, value: (await redis.inspect().get(name)) as string })));
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

  it("keeps nothing usable in Redis: no token, no JSON", async () => {
    const { store } = open({ encryptionKey: KEY_HEX });
    const token = makeToken("eyJ-very-secret-access-token");
    await store.set("k", token, 60_000);
    const [stored] = await storedValues();
    expect(stored?.value).toMatch(/^aesgcm1:/);
    expect(stored?.value).not.toContain("secret");
    expect(stored?.value).not.toContain("Bearer");
    expect(Buffer.from(stored?.value ?? "", "latin1").toString("base64")).not.toContain("c2VjcmV0");
    expect(await store.get("k")).toEqual(token);
  });

  it("seals each value with a fresh IV", async () => {
    const { store } = open({ encryptionKey: KEY_HEX });
    const token = makeToken("same-token");
    await store.set("k", token, 60_000);
    const [first] = await storedValues();
    await store.set("k", token, 60_000);
    const [second] = await storedValues();
    expect(first?.value).not.toBe(second?.value);
  });

  it("reads across processes that share the key, in every accepted form", async () => {
    const bytes = Buffer.from(KEY_HEX, "hex");
    const { store: writer } = open({ encryptionKey: KEY_HEX });
    await writer.set("k", makeToken("shared-sealed"), 60_000);
    const cryptoKey = await crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]);
    for (const encryptionKey of [
      new Uint8Array(bytes),
      bytes.toString("base64"),
      bytes.toString("base64url"),
      cryptoKey,
    ]) {
      const { store: reader } = open({ encryptionKey });
      expect((await reader.get("k"))?.accessToken).toBe("shared-sealed");
    }
  });

  it("treats a token sealed under another key as a miss, with one warning, not a crash", async () => {
    const { store: writer } = open({ encryptionKey: KEY_HEX });
    await writer.set("k", makeToken("sealed-elsewhere"), 60_000);
    const { store: reader, warnings } = open({ encryptionKey: randomBytes(32) });
    expect(await reader.get("k")).toBeUndefined();
    expect(await reader.get("k")).toBeUndefined();
    expect(warnings.map((warning) => warning.code)).toEqual(["undecryptable"]);
    // The reader's own token replaces it, and the reader reads it back.
    await reader.set("k", makeToken("sealed-here"), 60_000);
    expect((await reader.get("k"))?.accessToken).toBe("sealed-here");
  });

  it("binds the key name: a sealed value copied under another key does not open", async () => {
    const { store } = open({ encryptionKey: KEY_HEX });
    await store.set("victim", makeToken("victim-token"), 60_000);
    await store.set("attacker", makeToken("attacker-token"), 60_000);
    const victimName = redisName("token", "victim");
    const attackerName = redisName("token", "attacker");
    await redis.inspect().copy(victimName, attackerName, "REPLACE");
    expect(await redis.inspect().get(attackerName)).toBe(await redis.inspect().get(victimName));
    expect(await store.get("attacker")).toBeUndefined();
    expect((await store.get("victim"))?.accessToken).toBe("victim-token");
  });

  it("treats a plain token as a miss when a key is set, and a sealed one as a miss when none is", async () => {
    const { store: plain } = open();
    const { store: sealed, warnings } = open({ encryptionKey: KEY_HEX });
    await plain.set("plain", makeToken("plain-token"), 60_000);
    await sealed.set("sealed", makeToken("sealed-token"), 60_000);
    expect(await sealed.get("plain")).toBeUndefined();
    expect(await plain.get("sealed")).toBeUndefined();
    expect(warnings.map((warning) => warning.code)).toEqual(["undecryptable"]);
  });

  it("refuses a key that is not 256 bits, at construction", async () => {
    const key = await crypto.subtle.generateKey({ name: "AES-CBC", length: 256 }, false, ["encrypt", "decrypt"]);
    for (const encryptionKey of [new Uint8Array(16), "abcd", "not base64 at all!", "00".repeat(31), key]) {
      expect(() => new RedisTokenStore({ url: redis.url, encryptionKey })).toThrow(TypeError);
    }
  });
});
