// Issue 13.1: 100,000 origins through one Client with one BasicAuth grow the heap by at most 5 MB
// (measured after full collections, in a child node --expose-gc: see memory-worker.ts for how the
// origins are reached: 2,500 over real loopback sockets, the rest through the guard as the send path uses it).
import { expect, it } from "vitest";
import { ORDINARY_ENTRIES } from "../../src/guard/store.js";
import { runMemoryWorker } from "./run-worker.js";

const MB = 1024 * 1024;

it("100,000 origins through one Client with one BasicAuth: heap growth <= 5 MB, the guard's store at its bound", async () => {
  const real = 2_500;
  const result = await runMemoryWorker<{
    real: number;
    direct: number;
    store: { ordinary: number; protected: number };
    requests: number;
  }>("basic", real, 100_000 - real);
  console.log(
    `BasicAuth, 100,000 origins: +${(result.real / MB).toFixed(2)} MB after ${real} over sockets, +${(result.direct / MB).toFixed(2)} MB after all`,
  );
  expect(result.direct).toBeLessThanOrEqual(5 * MB);
  expect(result.requests).toBe(500 + real);
  expect(result.store).toEqual({ ordinary: ORDINARY_ENTRIES, protected: 0 });
}, 120_000);
