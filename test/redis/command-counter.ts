/**
 * Counts, in this process, every command ioredis sends to Redis — no MONITOR,
 * nothing on the server — by wrapping `Redis.prototype.sendCommand` (a
 * Cluster sends through its nodes' Redis objects, so each command counts
 * once). Lock attempts and acquisitions are told apart by their script.
 * Test and bench instrumentation only.
 */
import { Redis } from "ioredis";

/**
 * What the client library sends on its own to set up and keep up a
 * connection (ready checks, its name, a cluster's slot map): counted apart
 * from the store's commands.
 */
const UPKEEP = new Set(["client", "cluster", "info", "select", "ping", "auth", "hello", "readonly", "quit"]);

/** What this process sent since the last `reset()`. */
export interface CommandCounts {
  /** Every command the store wrote to a Redis connection (a script is one), upkeep aside. */
  commands: number;
  /** The client library's own: connection set-up, ready checks, a cluster's slot map. */
  upkeep: number;
  /** Scripts that try to take a refresh lock (SET NX); a compare-and-lock that only looks is not one. */
  lockAttempts: number;
  /** Compare-and-lock scripts that only looked (a background refresh watching another holder). */
  lockLooks: number;
  /** READ scripts: a token read with its TTL. */
  reads: number;
  /** Of those, the ones that took it. */
  lockAcquisitions: number;
  /** Commands by name (scripts as `eval`). */
  byName: Record<string, number>;
}

const counts: CommandCounts = {
  commands: 0,
  upkeep: 0,
  lockAttempts: 0,
  lockLooks: 0,
  reads: 0,
  lockAcquisitions: 0,
  byName: {},
};

interface SentCommand {
  readonly name: string;
  readonly args: unknown[];
  readonly promise: Promise<unknown>;
}

/** Starts counting (once per process). */
export function countCommands(): void {
  const prototype = Redis.prototype as unknown as {
    sendCommand: (command: SentCommand, ...rest: unknown[]) => unknown;
  };
  const marked = prototype as unknown as { counting?: boolean };
  if (marked.counting === true) return;
  marked.counting = true;
  const original = prototype.sendCommand;
  prototype.sendCommand = function (this: unknown, command: SentCommand, ...rest: unknown[]) {
    if (UPKEEP.has(command.name)) counts.upkeep += 1;
    else counts.commands += 1;
    counts.byName[command.name] = (counts.byName[command.name] ?? 0) + 1;
    const script = command.name === "eval" ? String(command.args[0]) : "";
    // A compare-and-lock's last argument says whether it takes the lock ('1') or only looks ('0').
    if (script.includes("'NX'") && command.args.at(-1) === "0" && script.includes("sha1hex")) counts.lockLooks += 1;
    else if (script.includes("'NX'")) {
      counts.lockAttempts += 1;
      command.promise.then((reply) => {
        if (tookLock(reply)) counts.lockAcquisitions += 1;
      }, ignore);
    }
    if (script.startsWith("return { redis.call('get'")) counts.reads += 1;
    return original.call(this, command, ...rest);
  };
}

/** A lock script's reply that says the lock was taken (old: -3; claim: [1]). */
function tookLock(reply: unknown): boolean {
  if (reply === -3) return true;
  return Array.isArray(reply) && reply[0] === 1;
}

/** A copy of the counts so far. */
export function commandCounts(): CommandCounts {
  return { ...counts, byName: { ...counts.byName } };
}

/** Starts the counts afresh. */
export function resetCommandCounts(): void {
  counts.commands = 0;
  counts.upkeep = 0;
  counts.lockAttempts = 0;
  counts.lockLooks = 0;
  counts.reads = 0;
  counts.lockAcquisitions = 0;
  counts.byName = {};
}

function ignore(): void {}
