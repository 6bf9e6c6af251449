/**
 * The measuring loop: `concurrency` requests in flight at all times (a closed
 * loop), a warm-up that is thrown away, then a measured phase whose requests
 * all finish before the server's counters are read again — so round trips per
 * request are exact, not off by the requests in flight at the edges.
 */
import { Agent, request } from "undici";

/** One request of a scenario; throws unless the server accepted it. */
export type Operation = () => Promise<void>;

export interface Measurement {
  readonly completed: number;
  readonly errors: number;
  readonly seconds: number;
  /** Requests per second. */
  readonly throughput: number;
  /** Milliseconds. */
  readonly p50: number;
  readonly p99: number;
  /** Requests the server counted per completed request. */
  readonly roundTrips: number;
  /** CPU time of this (client) process per request, in microseconds: steadier than req/s on a busy machine. */
  readonly cpuMicros: number;
  /** The first error, for the report. */
  readonly firstError: string | undefined;
}

export interface Phase {
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

const statsAgent = new Agent({ connections: 1 });

/**
 * A full garbage collection before each contender's warm-up, when node runs
 * with `--expose-gc` (as `npm run bench` does; mitata does the same between
 * benchmarks). Without it a phase inherits the heap the phases before it
 * left, and pays for collecting their garbage: with the contenders in a fixed
 * cyclic order, that favoured the ones that follow a light one — global
 * fetch follows raw undici.request, authflow's rows follow fetch-based ones.
 * In two A/B pairs of Basic-only runs, Client ÷ fetch with a timeout read
 * 0.923 and 0.925 without it and 0.982 and 0.980 with it; withAuth ÷ fetch
 * 0.903 and 0.893 against 1.021 and 0.977. The collection comes before the
 * warm-up, not after it: a heap freshly shrunk by a full collection makes the
 * first second of allocation dearer for everyone (axios's CPU per request
 * rose by 40 % when the measured phase followed it directly). Each phase
 * still pays for the collections its own allocation triggers.
 */
const collect = (globalThis as { gc?: () => void }).gc;

/** Whether each phase starts on a collected heap (see `collect`). */
export const gcAccounted = collect !== undefined;

/** The number of requests the server has answered, read over a connection of its own. */
export async function serverRequests(url: string): Promise<number> {
  const { body } = await request(`${url}/_stats`, { dispatcher: statsAgent });
  const stats = (await body.json()) as { requests: number };
  return stats.requests;
}

export async function closeStatsAgent(): Promise<void> {
  await statsAgent.close();
}

interface Tally {
  completed: number;
  errors: number;
  firstError: string | undefined;
  latencies: number[];
}

/** Runs `operation` from `concurrency` loops for `ms`, then waits for every loop to finish its request. */
async function drive(operation: Operation, concurrency: number, ms: number, tally: Tally | undefined): Promise<number> {
  const started = performance.now();
  const end = started + ms;
  let last = started;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const before = performance.now();
      try {
        await operation();
        last = performance.now();
        if (tally !== undefined) {
          tally.completed += 1;
          tally.latencies.push(last - before);
        }
      } catch (error) {
        last = performance.now();
        if (tally !== undefined) {
          tally.errors += 1;
          tally.firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return (last - started) / 1000;
}

export async function measure(operation: Operation, phase: Phase, serverUrl: string): Promise<Measurement> {
  // A collected heap, then the contender's own warm-up: the measured phase pays neither for the garbage
  // earlier phases left behind nor for a heap freshly shrunk by the collection.
  collect?.();
  await drive(operation, phase.concurrency, phase.warmupMs, undefined);
  const before = await serverRequests(serverUrl);
  const tally: Tally = { completed: 0, errors: 0, firstError: undefined, latencies: [] };
  const cpu = process.cpuUsage();
  const seconds = await drive(operation, phase.concurrency, phase.durationMs, tally);
  const used = process.cpuUsage(cpu);
  // The second read of /_stats counts itself.
  const served = (await serverRequests(serverUrl)) - before - 1;
  const sorted = Float64Array.from(tally.latencies).sort();
  return {
    completed: tally.completed,
    errors: tally.errors,
    seconds,
    throughput: tally.completed / seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    roundTrips: tally.completed === 0 ? Number.NaN : served / (tally.completed + tally.errors),
    cpuMicros: (used.user + used.system) / Math.max(1, tally.completed + tally.errors),
    firstError: tally.firstError,
  };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] as number;
}

/** The median of a few numbers (one per round). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
