// Issue 13.1 (the OAuth part): MemoryTokenStore sweeps expired tokens and keeps at most maxEntries; the other
// caches of src/oauth2 are bounded too. Heap is measured after a full GC in a child `node --expose-gc`.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discover } from "../../src/oauth2/discovery.js";
import { MemoryTokenStore } from "../../src/stores/memory.js";
import type { Token } from "../../src/stores/store.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";
import { fakeClock } from "./helpers.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/memory-heap.ts", import.meta.url));
const MB = 1024 * 1024;

interface Phase {
  largest?: number;
  count?: number;
  filled: number;
  after: number;
  left: number;
  ms: number;
}

function measure(mode: "capped" | "uncapped"): Promise<Record<string, Phase>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--expose-gc", "--import", "tsx", FIXTURE, mode],
      { timeout: 60_000 },
      (error, stdout) => (error === null ? resolve(JSON.parse(stdout.trim())) : reject(error)),
    );
  });
}

const token = (accessToken: string): Token => ({ accessToken, tokenType: "Bearer", raw: {} });

describe("MemoryTokenStore stays bounded (13.1)", () => {
  it("100,000 scope sets with short-lived tokens: ≤ 10,000 held at once, ≤ 20 MB of heap once they expire", async () => {
    const [capped, uncapped] = await Promise.all([measure("capped"), measure("uncapped")]);
    const figures = { ...capped, ...uncapped } as Record<"capped" | "uncapped" | "clients", Phase>;
    console.info(
      Object.entries(figures)
        .map(
          ([name, phase]) =>
            `${name}: filled ${(phase.filled / MB).toFixed(1)} MB, after expiry ${(phase.after / MB).toFixed(1)} MB`,
        )
        .join("; "),
    );
    // The default store: the cap holds while filling, the sweep empties it after.
    expect(figures.capped.largest).toBe(10_000);
    expect(figures.capped.left).toBe(0);
    expect(figures.capped.after).toBeLessThanOrEqual(20 * MB);
    // Without the cap in the way: the sweep alone gives every lapsed entry back.
    expect(figures.uncapped.largest).toBe(100_000);
    expect(figures.uncapped.left).toBe(0);
    expect(figures.uncapped.after).toBeLessThanOrEqual(20 * MB);
    // Through ClientCredentialsAuth and real token requests: nothing per scope set outlives its token.
    expect(figures.clients.left).toBe(0);
    expect(figures.clients.after).toBeLessThanOrEqual(20 * MB);
  }, 60_000);

  it("evicts the least recently used entry past maxEntries; a read counts as a use", async () => {
    const store = new MemoryTokenStore({ maxEntries: 2 });
    await store.set("a", token("1"), 60_000);
    await store.set("b", token("2"), 60_000);
    expect((await store.get("a"))?.accessToken).toBe("1");
    await store.set("c", token("3"), 60_000);
    expect(store.size).toBe(2);
    expect(await store.get("b")).toBeUndefined();
    expect((await store.get("a"))?.accessToken).toBe("1");
    expect((await store.get("c"))?.accessToken).toBe("3");
  });

  it("lapsed entries go on writes too, not only when read", async () => {
    const clock = fakeClock(0);
    const store = new MemoryTokenStore({ now: clock.now, maxEntries: 3 });
    for (const key of ["a", "b", "c"]) await store.set(key, token(key), 1_000);
    clock.advance(5_000);
    await store.set("d", token("d"), 60_000);
    expect(store.size).toBe(1);
  });
});

describe("the discovery cache is bounded per fetch function", () => {
  let issuers: Recorder;
  beforeAll(async () => {
    issuers = await startRecorder((request, response) => {
      // RFC 8414 §3.1: /.well-known/oauth-authorization-server/<issuer path>
      const path = (request.url ?? "").replace("/.well-known/oauth-authorization-server", "");
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ issuer: `${issuers.url}${path}`, token_endpoint: `${issuers.url}${path}/token` }));
    });
  });
  afterAll(() => issuers.close());

  it("200 issuers through one fetch: the oldest are forgotten (and discovered again), the newest kept", async () => {
    const fetchFunction = (request: Request) => fetch(request);
    for (let index = 0; index < 200; index++) await discover(`${issuers.url}/tenant/${index}`, fetchFunction);
    expect(issuers.requests).toHaveLength(200);
    await discover(`${issuers.url}/tenant/199`, fetchFunction);
    expect(issuers.requests).toHaveLength(200);
    await discover(`${issuers.url}/tenant/0`, fetchFunction);
    expect(issuers.requests).toHaveLength(201);
  });
});
