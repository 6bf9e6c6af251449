import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { MemoryTokenStore } from "../../src/stores/memory.js";
import type { Token } from "../../src/stores/store.js";
import { fakeClock } from "./helpers.js";

const token = (accessToken: string): Token => ({ accessToken, tokenType: "Bearer", raw: {} });

describe("MemoryTokenStore", () => {
  it("keeps a token for its ttl, then forgets it", async () => {
    const clock = fakeClock(0);
    const store = new MemoryTokenStore({ now: clock.now });
    await store.set("k", token("a"), 1000);
    expect((await store.get("k"))?.accessToken).toBe("a");
    clock.advance(999);
    expect(await store.get("k")).toBeDefined();
    clock.advance(1);
    expect(await store.get("k")).toBeUndefined();
  });

  it("keys are independent, delete forgets one, a ttl <= 0 stores nothing", async () => {
    const store = new MemoryTokenStore();
    await store.set("a", token("1"), 60_000);
    await store.set("b", token("2"), 60_000);
    await store.delete("a");
    expect(await store.get("a")).toBeUndefined();
    expect((await store.get("b"))?.accessToken).toBe("2");
    await store.set("b", token("3"), 0);
    expect(await store.get("b")).toBeUndefined();
  });

  it("withLock runs holders of one key one at a time, in call order", async () => {
    const store = new MemoryTokenStore();
    const events: string[] = [];
    let inside = 0;
    let most = 0;
    const holder = (name: string) =>
      store.withLock("k", async () => {
        inside += 1;
        most = Math.max(most, inside);
        events.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        events.push(`end ${name}`);
        inside -= 1;
        return name;
      });
    expect(await Promise.all([holder("1"), holder("2"), holder("3")])).toEqual(["1", "2", "3"]);
    expect(most).toBe(1);
    expect(events).toEqual(["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
  });

  it("different keys do not wait for each other", async () => {
    const store = new MemoryTokenStore();
    let release!: () => void;
    const blocked = store.withLock("a", () => new Promise<void>((resolve) => (release = resolve)));
    expect(await store.withLock("b", async () => "b ran")).toBe("b ran");
    release();
    await blocked;
  });

  it("a holder that throws releases the lock", async () => {
    const store = new MemoryTokenStore();
    await expect(store.withLock("k", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await store.withLock("k", async () => "next")).toBe("next");
  });

  it("does not show tokens when printed", async () => {
    const store = new MemoryTokenStore();
    await store.set("k", token("secret-access-token"), 60_000);
    for (const shown of [String(store), JSON.stringify(store), inspect(store, { showHidden: true, depth: 5 })]) {
      expect(shown).not.toContain("secret-access-token");
    }
  });
});
