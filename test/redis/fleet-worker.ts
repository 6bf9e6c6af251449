/**
 * One process of the fleet test and bench, talking to its parent over IPC.
 *
 * `node --import tsx fleet-worker.ts '<WorkerConfig as JSON>'`
 *
 * It hosts `members` members of the fleet — each a ClientCredentialsAuth for
 * the test server's `basic-client` on a RedisTokenStore of its own (its own
 * connections, its own local copy: to Redis, a process) or a MemoryTokenStore
 * — counts every Redis command it sends (command-counter.ts), and says
 * `ready`. Then, on:
 * - `go`: every member sends `GET /oauth/protected` continuously for
 *   `durationMs`; reports `done` with the tally, latencies and counts;
 * - `burst`: every member sends one request at once; reports `burst-done`.
 * A `victim` instead forces a refresh after `armAfterMs`, says `refreshing`
 * once it holds the lock and its token request has started — and never
 * finishes it: the parent kills it there.
 */
import { Cluster } from "ioredis";
import { ClientCredentialsAuth, MemoryTokenStore, type TokenStore, withAuth } from "../../src/index.js";
import { RedisTokenStore } from "../../src/redis/index.js";
import { type CommandCounts, commandCounts, countCommands, resetCommandCounts } from "./command-counter.js";

/** What a worker is started with (argv[2], JSON). */
export interface WorkerConfig {
  readonly serverUrl: string;
  readonly store: "redis" | "memory";
  /** A Redis URL, or the ports of a cluster's nodes on 127.0.0.1. */
  readonly redis: { readonly url: string } | { readonly clusterPorts: readonly number[] };
  readonly lockTtlMs: number;
  readonly role: "worker" | "victim";
  readonly members: number;
}

export type ParentMessage =
  | { type: "go"; durationMs: number; armAfterMs?: number }
  | { type: "burst" }
  | { type: "close" };

/** A tally of application requests. */
export interface Tally {
  ok: number;
  failed: number;
  errors: string[];
  /** Milliseconds per request, in the order they ended. */
  latencies: number[];
}

export type WorkerMessage =
  | { type: "ready" }
  | { type: "warning"; code: string }
  | { type: "refreshing" }
  | ({ type: "done"; counts: CommandCounts } & Tally)
  | ({ type: "burst-done"; counts: CommandCounts } & Tally)
  | { type: "closed" };

/** The pause between one request of a member and its next. */
const PAUSE_MS = 10;

const config = JSON.parse(process.argv[2] as string) as WorkerConfig;
const send = (message: WorkerMessage) => process.send?.(message);
if (config.store === "redis") countCommands();

interface Member {
  readonly auth: ClientCredentialsAuth;
  readonly api: (url: string, init?: RequestInit) => Promise<Response>;
  readonly store: TokenStore & { close?: () => Promise<void> };
  readonly cluster: Cluster | undefined;
}

function makeMember(): Member {
  const redis = config.redis;
  const cluster =
    config.store === "redis" && "clusterPorts" in redis
      ? new Cluster(
          redis.clusterPorts.map((port) => ({ host: "127.0.0.1", port })),
          { enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 0 } },
        )
      : undefined;
  const onWarning = (warning: { code: string }) => send({ type: "warning", code: warning.code });
  const common = { lockTtlMs: config.lockTtlMs, connectTimeoutMs: 10_000, commandTimeoutMs: 5_000, onWarning };
  const store =
    config.store === "memory"
      ? new MemoryTokenStore()
      : cluster !== undefined
        ? new RedisTokenStore({ client: cluster, ...common })
        : new RedisTokenStore({ url: (redis as { url: string }).url, ...common });
  const auth = new ClientCredentialsAuth({
    tokenUrl: `${config.serverUrl}/oauth/token`,
    clientId: "basic-client",
    clientSecret: "basic-secret",
    store,
    // The victim's token request starts and never ends, as if the process froze there.
    ...(config.role === "victim"
      ? {
          fetch: () => {
            send({ type: "refreshing" });
            return new Promise<Response>(() => {});
          },
        }
      : {}),
  });
  return { auth, api: withAuth(fetch, auth), store, cluster };
}

const members = Array.from({ length: config.members }, makeMember);
const protectedUrl = `${config.serverUrl}/oauth/protected`;

async function once(member: Member, tally: Tally): Promise<void> {
  const started = performance.now();
  try {
    const response = await member.api(protectedUrl, { signal: AbortSignal.timeout(20_000) });
    await response.arrayBuffer();
    if (response.status === 200) tally.ok += 1;
    else fail(tally, `status ${response.status}`);
  } catch (error) {
    fail(tally, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  }
  tally.latencies.push(performance.now() - started);
}

async function loop(member: Member, until: number, tally: Tally): Promise<void> {
  while (Date.now() < until) {
    await once(member, tally);
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
}

function fail(tally: Tally, reason: string): void {
  tally.failed += 1;
  if (tally.errors.length < 5) tally.errors.push(reason);
}

const newTally = (): Tally => ({ ok: 0, failed: 0, errors: [], latencies: [] });

async function close(): Promise<void> {
  for (const member of members) {
    await member.store.close?.();
    member.cluster?.disconnect();
  }
}

process.on("message", async (message: ParentMessage) => {
  if (message.type === "go" && config.role === "victim") {
    await new Promise((resolve) => setTimeout(resolve, message.armAfterMs ?? 0));
    // A forced refresh is satisfied without a token request when another process refreshed while this
    // one waited for the lock (a newer token than the one it had): force again until this process is
    // the one that asks, which then never returns.
    for (;;) await members[0]?.auth.getToken({ forceRefresh: true });
  }
  if (message.type === "go") {
    resetCommandCounts();
    const tally = newTally();
    const until = Date.now() + message.durationMs;
    await Promise.all(members.map((member) => loop(member, until, tally)));
    send({ type: "done", counts: commandCounts(), ...tally });
  } else if (message.type === "burst") {
    resetCommandCounts();
    const tally = newTally();
    await Promise.all(members.map((member) => once(member, tally)));
    send({ type: "burst-done", counts: commandCounts(), ...tally });
  } else if (message.type === "close") {
    await close();
    send({ type: "closed" });
    process.disconnect?.();
  }
});

send({ type: "ready" });
