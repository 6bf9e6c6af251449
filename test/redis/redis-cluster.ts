import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster, type ClusterOptions, Redis } from "ioredis";
import { freePort } from "./redis-server.js";

/**
 * A Redis Cluster this test started: three masters on loopback (no
 * replicas), each with its own port, cluster-bus port and config file in a
 * temporary directory that `stop()` removes.
 */
export interface RedisCluster {
  readonly ports: readonly number[];
  /** A new ioredis Cluster client on the nodes, tuned to fail fast as the store asks; the caller closes it. */
  client(options?: ClusterOptions): Cluster;
  /** A plain client per node, for INFO and FLUSHALL; closed by `stop()`. */
  nodes(): Redis[];
  /** FLUSHALL on every node. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Whether the cluster tests can run: redis-server and redis-cli 7 or later
 * on the PATH. False (with a warning) when not.
 */
export function clusterSupported(): boolean {
  const server = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  const cli = spawnSync("redis-cli", ["--version"], { stdio: "ignore" });
  const major = Number(/v=(\d+)/.exec(server.stdout ?? "")?.[1] ?? "0");
  // cluster-port (a bus port of our choosing, so two runs never collide) arrived in Redis 7.
  const supported = server.status === 0 && cli.status === 0 && major >= 7;
  if (!supported) console.warn("skipping the Redis Cluster tests: they need redis-server and redis-cli 7 or later");
  return supported;
}

/** Starts three cluster nodes, creates the cluster, and waits until every node reports `cluster_state:ok`. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const directory = await mkdtemp(join(tmpdir(), "authflow-cluster-"));
  const children: ChildProcess[] = [];
  const plain: Redis[] = [];
  const ports: number[] = [];
  const stop = async () => {
    for (const client of plain.splice(0)) client.disconnect();
    await Promise.all(children.splice(0).map(terminate));
    await rm(directory, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < 3; index++) {
      const port = await freePort();
      ports.push(port);
      children.push(await launchNode(port, await freePort(), directory));
    }
    await createCluster(ports);
    for (const port of ports) plain.push(nodeClient(port));
    await waitForClusterState(plain);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    ports,
    client: (options = {}) =>
      new Cluster(
        ports.map((port) => ({ host: "127.0.0.1", port })),
        {
          enableOfflineQueue: false,
          redisOptions: { maxRetriesPerRequest: 0 },
          ...options,
        },
      ),
    nodes: () => plain,
    flush: async () => {
      await Promise.all(plain.map((client) => client.flushall()));
    },
    stop,
  };
}

async function launchNode(port: number, busPort: number, directory: string): Promise<ChildProcess> {
  const args = [
    "--port",
    String(port),
    "--cluster-port",
    String(busPort),
    "--bind",
    "127.0.0.1",
    "--cluster-enabled",
    "yes",
    "--cluster-config-file",
    `nodes-${port}.conf`,
    "--dir",
    directory,
    "--save",
    "",
    "--appendonly",
    "no",
  ];
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) resolve();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`redis-server (cluster node) exited (${code}):\n${output}`)));
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

function createCluster(ports: number[]): Promise<void> {
  const nodes = ports.map((port) => `127.0.0.1:${port}`);
  return new Promise((resolve, reject) => {
    execFile(
      "redis-cli",
      ["--cluster", "create", ...nodes, "--cluster-replicas", "0", "--cluster-yes"],
      { timeout: 30_000 },
      (error, stdout, stderr) =>
        error === null ? resolve() : reject(new Error(`${error.message}\n${stdout}${stderr}`)),
    );
  });
}

function nodeClient(port: number): Redis {
  const client = new Redis(port, "127.0.0.1", { maxRetriesPerRequest: 1 });
  client.on("error", () => {});
  return client;
}

async function waitForClusterState(clients: Redis[]): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const states = await Promise.all(clients.map((client) => client.cluster("INFO") as Promise<string>));
    if (states.every((state) => state.includes("cluster_state:ok"))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the Redis Cluster never reported cluster_state:ok");
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}
