import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { ParentMessage, WorkerMessage } from "./fleet-worker.js";

const WORKER = fileURLToPath(new URL("./fleet-worker.ts", import.meta.url));

type DoneMessage = Extract<WorkerMessage, { type: "done" }>;

/** One process of a fleet, seen from the parent. */
export interface FleetWorker {
  readonly child: ChildProcess;
  /** Warning codes its store reported, in order. */
  readonly warnings: string[];
  /** Resolves when a victim's token request has started (it holds the lock). */
  readonly refreshing: Promise<void>;
  /** Its tally, once its run is over. */
  readonly done: Promise<DoneMessage>;
}

/**
 * What to start: `workers` processes on `store`, against the test server at
 * `serverUrl`, plus `victims` that will be killed while holding the lock.
 */
export interface FleetOptions {
  readonly serverUrl: string;
  readonly store: "redis" | "memory";
  readonly redisUrl: string;
  readonly workers: number;
  readonly victims?: number;
  readonly lockTtlMs?: number;
}

/** A started fleet: every process is ready; `go()` starts the clock in all of them at once. */
export interface Fleet {
  readonly workers: readonly FleetWorker[];
  readonly victims: readonly FleetWorker[];
  go(durationMs: number, armAfterMs?: number): void;
  /** The tallies of the workers (not the victims) once they finish. */
  results(): Promise<DoneMessage[]>;
  /** Kills whatever still runs; safe to call twice. */
  stop(): Promise<void>;
}

/** Spawns the fleet and waits until every process is ready. */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const spawnOne = (role: "worker" | "victim") =>
    startWorker([options.serverUrl, options.store, options.redisUrl, String(options.lockTtlMs ?? 10_000), role]);
  const workers = Array.from({ length: options.workers }, () => spawnOne("worker"));
  const victims = Array.from({ length: options.victims ?? 0 }, () => spawnOne("victim"));
  const everyone = [...workers, ...victims];
  const fleet: Fleet = {
    workers: workers.map(({ worker }) => worker),
    victims: victims.map(({ worker }) => worker),
    go(durationMs, armAfterMs) {
      const message: ParentMessage = { type: "go", durationMs, ...(armAfterMs === undefined ? {} : { armAfterMs }) };
      for (const { worker } of everyone) worker.child.send(message);
    },
    results: () => Promise.all(workers.map(({ worker }) => worker.done)),
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

function startWorker(args: string[]): { worker: FleetWorker; ready: Promise<void> } {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER, ...args], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const warnings: string[] = [];
  const exited = once(child, "exit").then(([code, signal]) => {
    throw new Error(`a fleet worker exited early (code ${code}, signal ${signal})`);
  });
  exited.catch(() => {});
  const awaitMessage = <K extends WorkerMessage["type"]>(type: K): Promise<Extract<WorkerMessage, { type: K }>> => {
    const found = new Promise<Extract<WorkerMessage, { type: K }>>((resolve) => {
      child.on("message", (message: WorkerMessage) => {
        if (message.type === type) resolve(message as Extract<WorkerMessage, { type: K }>);
      });
    });
    return Promise.race([found, exited]);
  };
  child.on("message", (message: WorkerMessage) => {
    if (message.type === "warning") warnings.push(message.code);
  });
  const worker: FleetWorker = {
    child,
    warnings,
    refreshing: awaitMessage("refreshing").then(() => {}),
    done: awaitMessage("done"),
  };
  const ready = awaitMessage("ready").then(() => {});
  // A victim never reports done; a worker never reports refreshing: neither is an unhandled rejection.
  for (const promise of [worker.refreshing, worker.done]) promise.catch(() => {});
  return { worker, ready };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}
