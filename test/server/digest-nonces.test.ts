import { describe, expect, it } from "vitest";
import { type NonceRecord, NonceTable, ReplayWindow } from "../../src/server/digest-nonces.js";

describe("ReplayWindow", () => {
  it("accepts each nc once, in any order within the window, and refuses what is older", () => {
    const window = new ReplayWindow();
    for (const count of [3, 1, 2, 10, 5]) {
      expect(window.replayed(count)).toBe(false);
      window.add(count);
      expect(window.replayed(count)).toBe(true);
    }
    expect(window.replayed(4)).toBe(false);
    window.add(10_000);
    expect(window.replayed(10)).toBe(true); // too old to tell: refused
    expect(window.replayed(9_999)).toBe(false);
    expect(window.replayed(10_000)).toBe(true);
  });
});

describe("NonceTable", () => {
  const record = (): NonceRecord => ({
    algorithm: "MD5",
    opaque: "o",
    uses: 0,
    counts: new ReplayWindow(),
    sessionCnonce: undefined,
  });

  it("keeps nonces in use and forgets unused ones beyond its capacity", () => {
    const table = new NonceTable(10);
    const used = record();
    table.set("used", used);
    for (let index = 0; index < 100; index++) {
      table.set(`unused-${index}`, record());
      expect(table.get("used")).toBe(used);
    }
    expect(table.get("unused-0")).toBeUndefined();
    expect(table.get("unused-99")).toBeDefined();
  });
});
