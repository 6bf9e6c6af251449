/**
 * The fleet bench (issue 13.4): 1, 8, 32 and 64 fleet members on one Redis
 * and on a three-node Redis Cluster, tokens living 3 s (one refresh window
 * per 1.5 s). For each: token requests, lock attempts and acquisitions and
 * Redis commands per refresh window, failed requests, latency under
 * continuous traffic, and p50/p99 of the first request after the token
 * expired (every member sends one at once). Then 1,000 waiters on an expired
 * token in one process (bench/fleet-waiters.ts) and the memory table
 * (bench/fleet-memory.ts).
 *
 * `node --import tsx bench/fleet.ts` (the proposed
 * `npm run bench:fleet`). Environment: `FLEET_SIZES=1,8,32,64`,
 * `FLEET_SECONDS=6` (traffic per run), `FLEET_PROCESSES=8` (members share
 * processes beyond that: each member keeps its own store and connections),
 * `FLEET_TOPOLOGIES=single,cluster`, `FLEET_PARTS=fleet,waiters,memory`,
 * `FLEET_WAITER_ROUNDS=9`, `FLEET_OUT=file.json` (the figures as JSON); the
 * memory table runs in a child with `--expose-gc`. A 2-core machine runs 64
 * members, so windows are short and every figure is a count per window.
 */
import { writeFile } from "node:fs/promises";
import type { Redis } from "ioredis";
import { startTestServer } from "../src/server/index.js";
import { type Fleet, percentile, startFleet } from "../test/redis/fleet.js";
import type { WorkerConfig } from "../test/redis/fleet-worker.js";
import { clusterSupported, type RedisCluster, startRedisCluster } from "../test/redis/redis-cluster.js";
import { type RedisServer, startRedisServer } from "../test/redis/redis-server.js";
import { measureMemory, memoryTable } from "./fleet-memory.js";
import { measureWaiters, waitersTable } from "./fleet-waiters.js";

const TOKEN_TTL_SECONDS = 3;
const WINDOW_SECONDS = TOKEN_TTL_SECONDS / 2;
const sizes = (process.env.FLEET_SIZES ?? "1,8,32,64").split(",").map(Number);
const seconds = Number(process.env.FLEET_SECONDS ?? 6);
const processCap = Number(process.env.FLEET_PROCESSES ?? 8);
const topologies = (process.env.FLEET_TOPOLOGIES ?? "single,cluster").split(",");
const parts = (process.env.FLEET_PARTS ?? "fleet,waiters,memory").split(",");
const EXPIRY_ROUNDS = 2;

/** One run's figures. */
export interface FleetFigures {
  topology: string;
  members: number;
  processes: number;
  seconds: number;
  windows: number;
  tokenRequests: number;
  requests: number;
  failed: number;
  lockAttemptsPerWindow: number;
  lockAcquisitionsPerWindow: number;
  commandsPerWindow: number;
  commandsPerMemberPerWindow: number;
  /** The client library's own commands per window (connection set-up, ready checks, slot maps). */
  upkeepPerWindow: number;
  /** Commands Redis counted (INFO commandstats), script steps included, per window. */
  serverCallsPerWindow: number;
  /** Commands per window by name (scripts as `eval`). */
  byNamePerWindow: Record<string, number>;
  p50: number;
  p99: number;
  expiry: { p50: number; p99: number; tokenRequests: number; lockAcquisitions: number; commands: number };
}

interface Topology {
  readonly name: string;
  readonly redis: WorkerConfig["redis"];
  readonly nodes: () => Redis[];
  readonly flush: () => Promise<void>;
  readonly stop: () => Promise<void>;
}

async function single(): Promise<Topology> {
  const server: RedisServer = await startRedisServer();
  return {
    name: "one Redis",
    redis: { url: server.url },
    nodes: () => [server.inspect()],
    flush: async () => void (await server.inspect().flushall()),
    stop: () => server.stop(),
  };
}

async function cluster(): Promise<Topology> {
  const started: RedisCluster = await startRedisCluster();
  return {
    name: "3-node cluster",
    redis: { clusterPorts: started.ports },
    nodes: () => started.nodes(),
    flush: () => started.flush(),
    stop: () => started.stop(),
  };
}

/** Calls Redis counted on every node since the last reset (script steps included). */
async function serverCalls(nodes: Redis[]): Promise<number> {
  let total = 0;
  for (const node of nodes) {
    const stats = await node.info("commandstats");
    for (const match of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      if (!/^(info|config)/.test(match[1] as string)) total += Number(match[2]);
    }
  }
  return total;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runOne(topology: Topology, members: number): Promise<FleetFigures> {
  const server = await startTestServer({ tokenTtlSeconds: TOKEN_TTL_SECONDS });
  const processes = Math.min(members, processCap);
  let fleet: Fleet | undefined;
  try {
    fleet = await startFleet({ serverUrl: server.url, store: "redis", redis: topology.redis, members, processes });
    // Warm-up: first tokens, subscriptions, JIT.
    await fleet.run(2_000);
    // Counters are read before and after (server.reset() would also forget the tokens it issued).
    const tokensBefore = server.stats().tokenRequests;
    await Promise.all(topology.nodes().map((node) => node.config("RESETSTAT")));
    const steady = await fleet.run(seconds * 1000);
    const calls = await serverCalls(topology.nodes());
    const tokenRequests = server.stats().tokenRequests - tokensBefore;
    const windows = seconds / WINDOW_SECONDS;
    const expiry = { latencies: [] as number[], tokenRequests: 0, lockAcquisitions: 0, commands: 0 };
    for (let round = 0; round < EXPIRY_ROUNDS; round++) {
      await sleep(TOKEN_TTL_SECONDS * 1000 + 300);
      const before = server.stats().tokenRequests;
      const burst = await fleet.burst();
      expiry.latencies.push(...burst.latencies);
      expiry.tokenRequests += server.stats().tokenRequests - before;
      expiry.lockAcquisitions += burst.counts.lockAcquisitions;
      expiry.commands += burst.counts.commands;
      steady.failed += burst.failed;
      steady.errors.push(...burst.errors);
    }
    if (steady.errors.length > 0) console.warn(`  errors: ${steady.errors.slice(0, 3).join("; ")}`);
    return {
      topology: topology.name,
      members,
      processes,
      seconds,
      windows,
      tokenRequests,
      requests: steady.ok + steady.failed,
      failed: steady.failed,
      lockAttemptsPerWindow: round1(steady.counts.lockAttempts / windows),
      lockAcquisitionsPerWindow: round1(steady.counts.lockAcquisitions / windows),
      commandsPerWindow: round1(steady.counts.commands / windows),
      commandsPerMemberPerWindow: round1(steady.counts.commands / windows / members),
      upkeepPerWindow: round1(steady.counts.upkeep / windows),
      serverCallsPerWindow: round1(calls / windows),
      byNamePerWindow: Object.fromEntries(
        Object.entries(steady.counts.byName).map(([name, count]) => [name, round1(count / windows)]),
      ),
      p50: round1(percentile(steady.latencies, 0.5)),
      p99: round1(percentile(steady.latencies, 0.99)),
      expiry: {
        p50: round1(percentile(expiry.latencies, 0.5)),
        p99: round1(percentile(expiry.latencies, 0.99)),
        tokenRequests: expiry.tokenRequests / EXPIRY_ROUNDS,
        lockAcquisitions: expiry.lockAcquisitions / EXPIRY_ROUNDS,
        commands: expiry.commands / EXPIRY_ROUNDS,
      },
    };
  } finally {
    await fleet?.stop();
    await server.close();
    await topology.flush();
  }
}

const round1 = (value: number) => Math.round(value * 10) / 10;

function fleetTable(rows: FleetFigures[]): string {
  const header =
    "| Redis | members (processes) | token requests | failed | lock attempts / window | lock acquisitions / window | " +
    "commands / window (per member) | client upkeep / window | Redis calls / window | p50 / p99 ms | first after expiry p50 / p99 ms |\n" +
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |";
  const lines = rows.map(
    (row) =>
      `| ${row.topology} | ${row.members} (${row.processes}) | ${row.tokenRequests} | ${row.failed} | ` +
      `${row.lockAttemptsPerWindow} | ${row.lockAcquisitionsPerWindow} | ` +
      `${row.commandsPerWindow} (${row.commandsPerMemberPerWindow}) | ${row.upkeepPerWindow} | ${row.serverCallsPerWindow} | ` +
      `${row.p50} / ${row.p99} | ${row.expiry.p50} / ${row.expiry.p99} |`,
  );
  return [header, ...lines].join("\n");
}

const results: Record<string, unknown> = { tokenTtlSeconds: TOKEN_TTL_SECONDS, seconds, processCap };
if (parts.includes("fleet")) {
  const rows: FleetFigures[] = [];
  for (const name of topologies) {
    if (name === "cluster" && !clusterSupported()) continue;
    const topology = name === "cluster" ? await cluster() : await single();
    try {
      for (const members of sizes) {
        const row = await runOne(topology, members);
        rows.push(row);
        console.log(fleetTable([row]).split("\n").at(-1));
      }
    } finally {
      await topology.stop();
    }
  }
  results.fleet = rows;
  console.log(`\nfleet, tokens live ${TOKEN_TTL_SECONDS} s, ${seconds} s of traffic per run:\n${fleetTable(rows)}`);
}
if (parts.includes("waiters")) {
  const waiters = await measureWaiters();
  results.waiters = waiters;
  console.log(`\n1,000 waiters on an expired token, one process:\n${waitersTable(waiters)}`);
}
if (parts.includes("memory")) {
  const memory = await measureMemory();
  results.memory = memory;
  console.log(`\nmemory per cached entry:\n${memoryTable(memory)}`);
}
if (process.env.FLEET_OUT !== undefined)
  await writeFile(process.env.FLEET_OUT, `${JSON.stringify(results, null, 2)}\n`);
