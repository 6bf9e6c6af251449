// Issue 13.1: 100,000 origins through one Client with one DigestAuth grow the heap by at most 10 MB
// (measured after full collections, in a child node --expose-gc: see memory-worker.ts for how the
// origins are reached: 300 over real loopback sockets, the rest through the guard and the Digest flow
// with a server's answers, as the send path drives them).
import { expect, it } from "vitest";
import { ORDINARY_ENTRIES } from "../../src/guard/store.js";
import { MAX_SPACES } from "../../src/schemes/digest-spaces.js";
import { runMemoryWorker } from "./run-worker.js";

const MB = 1024 * 1024;

it("100,000 origins through one Client with one DigestAuth: heap growth <= 10 MB, every cache at its bound", async () => {
  const real = 300;
  const result = await runMemoryWorker<{
    real: number;
    direct: number;
    store: { ordinary: number; protected: number };
    spaces: number;
    accepted: number;
  }>("digest", real, 100_000 - real);
  console.log(
    `DigestAuth, 100,000 origins: +${(result.real / MB).toFixed(2)} MB after ${real} over sockets, +${(result.direct / MB).toFixed(2)} MB after all`,
  );
  expect(result.direct).toBeLessThanOrEqual(10 * MB);
  expect(result.accepted).toBe(300 + real);
  expect(result.spaces).toBe(MAX_SPACES);
  expect(result.store).toEqual({ ordinary: ORDINARY_ENTRIES, protected: 0 });
}, 120_000);
