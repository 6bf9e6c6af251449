// Issue 12.4: a server that names a new realm in every challenge cannot grow a DigestAuth's cache, nor
// slow its lookups (they scan at most MAX_SPACES_PER_ORIGIN spaces). Measured after full collections in a
// child node --expose-gc (memory-worker.ts): 500 requests over real sockets against a node:http server
// that issues a fresh realm per challenge (each a preemptive attempt refused with a new realm, then its
// answer), then 19,500 more new realms handed to the same DigestAuth's flow as a server's answers.
import { expect, it } from "vitest";
import { Client } from "../../src/index.js";
import { cachedSpaces, DigestAuth } from "../../src/schemes/digest.js";
import { MAX_CACHED_CHALLENGE, MAX_SPACES_PER_ORIGIN } from "../../src/schemes/digest-spaces.js";
import { startRealmServer } from "../bounds/realm-server.js";
import { runMemoryWorker } from "../bounds/run-worker.js";

const MB = 1024 * 1024;

it("20,000 new realms from one origin: heap growth <= 10 MB, at most 8 spaces kept", async () => {
  const real = 500;
  const result = await runMemoryWorker<{
    real: number;
    direct: number;
    realSpaces: number;
    spaces: number;
    challenges: number;
    firstMs: number;
    lastMs: number;
  }>("realms", real, 20_000 - real);
  // Recorded, never asserted: the time of the first and the last 1,000 new realms.
  console.log(
    `20,000 realms: +${(result.direct / MB).toFixed(2)} MB; first 1,000 in ${result.firstMs.toFixed(0)} ms, last 1,000 in ${result.lastMs.toFixed(0)} ms`,
  );
  expect(result.direct).toBeLessThanOrEqual(10 * MB);
  expect(result.challenges).toBeGreaterThanOrEqual(100 + real);
  expect(result.realSpaces).toBe(MAX_SPACES_PER_ORIGIN);
  expect(result.spaces).toBe(MAX_SPACES_PER_ORIGIN);
}, 120_000);

it("answers a challenge too long to keep, and keeps none of it", async () => {
  const server = await startRealmServer("user", "passwd", { fixedRealm: "r".repeat(MAX_CACHED_CHALLENGE + 1) });
  try {
    const auth = new DigestAuth("user", "passwd");
    const client = new Client({ auth });
    for (let call = 0; call < 3; call++) expect((await client.get(`${server.url}/data`)).status).toBe(200);
    expect(auth[cachedSpaces]).toBe(0);
    expect(server.challenges()).toBe(3);
  } finally {
    await server.close();
  }
});
