import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { Redis } from "ioredis";

const MISSING =
  "redis-server is not installed. CI installs it from .ci/apt-packages; locally run `apt-get install -y redis-server`.";

/**
 * Whether the Redis tests can run: true when `redis-server` is on the PATH.
 * Under CI (`CI=true`) a missing binary is an error with a clear message, not
 * a silent skip; locally the tests are skipped.
 */
export function redisAvailable(): boolean {
  const found = spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
  if (!found && process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false") {
    throw new Error(MISSING);
  }
  if (!found) console.warn(`skipping the Redis tests: ${MISSING}`);
  return found;
}

/**
 * A redis-server this test started, on loopback and a free port, with no
 * persistence (a restart comes back empty). `stop()` and `start()` let a test
 * take it away and bring it back on the same port.
 */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A plain client for looking at what the store wrote; closed by `stop()`. */
  inspect(): Redis;
}

/** Starts a redis-server for one test file; call `stop()` in afterAll. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let inspector: Redis | undefined;
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child !== undefined) return;
      child = await launch(port);
    },
    async stop() {
      inspector?.disconnect();
      inspector = undefined;
      const running = child;
      child = undefined;
      if (running === undefined || running.exitCode !== null) return;
      const exited = once(running, "exit");
      running.kill("SIGTERM");
      await exited;
    },
    inspect() {
      if (inspector === undefined) {
        inspector = new Redis(port, "127.0.0.1", { maxRetriesPerRequest: 1 });
        inspector.on("error", () => {});
      }
      return inspector;
    },
  };
  await server.start();
  return server;
}

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const address = probe.address();
  probe.close();
  await once(probe, "close");
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) resolve();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
  });
  await ready;
  // Keep draining its log so the pipe never fills.
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}
