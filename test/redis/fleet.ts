import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { CommandCounts } from "./command-counter.js";
import type { ParentMessage, Tally, WorkerConfig, WorkerMessage } from "./fleet-worker.js";

const WORKER = fileURLToPath(new URL("./fleet-worker.ts", import.meta.url));

type Report = Tally & { counts: CommandCounts };

/** One process of a fleet, seen from the parent. */
export interface FleetWorker {
  readonly child: ChildProcess;
  /** Warning codes its stores reported, in order. */
  readonly warnings: string[];
  /** Resolves when a victim's token request has started (it holds the lock). */
  readonly refreshing: Promise<void>;
}

/**
 * What to start: `members` fleet members (each its own store and Redis
 * connections) spread over at most `processes` processes, on `store`,
 * against the test server at `serverUrl`; plus `victims` processes that will
 * be killed while holding the lock.
 */
export interface FleetOptions {
  readonly serverUrl: string;
  readonly store: "redis" | "memory";
  readonly redis: WorkerConfig["redis"];
  readonly members: number;
  /** Processes to host the members (default: one per member). */
  readonly processes?: number;
  readonly victims?: number;
  readonly lockTtlMs?: number;
}

/** What every worker reported for one phase, summed. */
export interface PhaseResult extends Tally {
  readonly counts: CommandCounts;
}

/** A started fleet: every process is ready; phases run in all of them at once. */
export interface Fleet {
  readonly workers: readonly FleetWorker[];
  readonly victims: readonly FleetWorker[];
  /** Continuous traffic for `durationMs` in every member; resolves to the sum of the tallies. */
  run(durationMs: number, armAfterMs?: number): Promise<PhaseResult>;
  /** One request from every member at once. */
  burst(): Promise<PhaseResult>;
  /** Kills whatever still runs; safe to call twice. */
  stop(): Promise<void>;
}

interface Started {
  readonly worker: FleetWorker;
  readonly ready: Promise<void>;
  next<K extends WorkerMessage["type"]>(type: K): Promise<Extract<WorkerMessage, { type: K }>>;
}

/** Spawns the fleet and waits until every process is ready. */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const processes = Math.min(options.members, options.processes ?? options.members);
  const spawnOne = (role: WorkerConfig["role"], members: number) =>
    startWorker({
      serverUrl: options.serverUrl,
      store: options.store,
      redis: options.redis,
      lockTtlMs: options.lockTtlMs ?? 10_000,
      role,
      members,
    });
  // Members spread evenly: 32 over 8 processes is 4 each.
  const workers = Array.from({ length: processes }, (_, index) =>
    spawnOne("worker", Math.floor((options.members + index) / processes)),
  );
  const victims = Array.from({ length: options.victims ?? 0 }, () => spawnOne("victim", 1));
  const everyone = [...workers, ...victims];
  const phase = async (message: ParentMessage, reply: "done" | "burst-done") => {
    const replies = workers.map((started) => started.next(reply));
    for (const { worker } of everyone) worker.child.send(message);
    return sum(await Promise.all(replies));
  };
  const fleet: Fleet = {
    workers: workers.map(({ worker }) => worker),
    victims: victims.map(({ worker }) => worker),
    run: (durationMs, armAfterMs) =>
      phase({ type: "go", durationMs, ...(armAfterMs === undefined ? {} : { armAfterMs }) }, "done"),
    burst: () => phase({ type: "burst" }, "burst-done"),
    async stop() {
      await Promise.all(everyone.map(({ worker }) => kill(worker.child)));
    },
  };
  try {
    await Promise.all(everyone.map(({ ready }) => ready));
  } catch (error) {
    await fleet.stop();
    throw error;
  }
  return fleet;
}

function sum(reports: Report[]): PhaseResult {
  const counts: CommandCounts = {
    commands: 0,
    upkeep: 0,
    lockAttempts: 0,
    lockLooks: 0,
    reads: 0,
    lockAcquisitions: 0,
    byName: {},
  };
  const total: PhaseResult = { ok: 0, failed: 0, errors: [], latencies: [], counts };
  for (const report of reports) {
    total.ok += report.ok;
    total.failed += report.failed;
    total.errors.push(...report.errors);
    total.latencies.push(...report.latencies);
    counts.commands += report.counts.commands;
    counts.upkeep += report.counts.upkeep;
    counts.lockAttempts += report.counts.lockAttempts;
    counts.lockLooks += report.counts.lockLooks;
    counts.reads += report.counts.reads;
    counts.lockAcquisitions += report.counts.lockAcquisitions;
    for (const [name, calls] of Object.entries(report.counts.byName)) {
      counts.byName[name] = (counts.byName[name] ?? 0) + calls;
    }
  }
  return total;
}

function startWorker(config: WorkerConfig): Started {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER, JSON.stringify(config)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const warnings: string[] = [];
  const exited = once(child, "exit").then(([code, signal]) => {
    throw new Error(`a fleet worker exited early (code ${code}, signal ${signal})`);
  });
  exited.catch(() => {});
  const next = <K extends WorkerMessage["type"]>(type: K): Promise<Extract<WorkerMessage, { type: K }>> => {
    const found = new Promise<Extract<WorkerMessage, { type: K }>>((resolve) => {
      const listener = (message: WorkerMessage) => {
        if (message.type !== type) return;
        child.off("message", listener);
        resolve(message as Extract<WorkerMessage, { type: K }>);
      };
      child.on("message", listener);
    });
    return Promise.race([found, exited]);
  };
  child.on("message", (message: WorkerMessage) => {
    if (message.type === "warning") warnings.push(message.code);
  });
  const refreshing = next("refreshing").then(() => {});
  // A worker never reports refreshing: not an unhandled rejection when it exits.
  refreshing.catch(() => {});
  return { worker: { child, warnings, refreshing }, ready: next("ready").then(() => {}), next };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

/**
 * The `fraction` percentile of `values` (nearest rank), in their unit.
 *
 * @example
 * ```ts
 * percentile([1, 2, 3, 4], 0.5); // 2
 * ```
 */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] as number;
}
