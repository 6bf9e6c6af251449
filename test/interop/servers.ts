import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Dispatcher, request } from "undici";
import { type Auth, Client, withAuth } from "../../src/index.js";
import { authInterceptor } from "../../src/undici/index.js";
import { authAgent } from "../helpers/undici.js";

/**
 * Starts and stops real third-party Digest servers (Apache httpd's
 * mod_auth_digest, lighttpd's mod_auth) on a free loopback port, each in a
 * temporary directory of its own. CI installs them from `.ci/apt-packages`.
 */

/** The first of `candidates` that exists, or undefined. */
export function findBinary(...candidates: string[]): string | undefined {
  for (const candidate of candidates) {
    if (candidate.includes("/")) {
      if (existsSync(candidate)) return candidate;
      continue;
    }
    try {
      return execFileSync("sh", ["-c", `command -v ${candidate}`], { encoding: "utf8" }).trim() || undefined;
    } catch {
      // not on PATH
    }
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** One line of an htdigest file: `user:realm:H(user:realm:password)[:H(user:realm)]` (lighttpd reads the userhash field). */
export function htdigestLine(
  algorithm: string,
  user: string,
  realm: string,
  password: string,
  userhash = false,
): string {
  const hash = (data: string) => createHash(algorithm).update(data).digest("hex");
  const line = `${user}:${realm}:${hash(`${user}:${realm}:${password}`)}`;
  return userhash ? `${line}:${hash(`${user}:${realm}`)}` : line;
}

/** A running third-party server. */
export interface ExternalServer {
  readonly url: string;
  readonly directory: string;
  /** Lines of the access log so far. */
  accessLog(): string[];
  /**
   * The access log once it has at least `lines` lines (or after 3 s), read
   * again 50 ms later: a server writes a request's line after it sent the
   * response, so the client can be a step ahead of the log.
   */
  settledAccessLog(lines: number): Promise<string[]>;
  stop(): Promise<void>;
}

interface Launch {
  command: string;
  args: (directory: string, port: number) => string[];
  /** Writes the configuration and content into `directory`. */
  prepare: (directory: string, port: number) => void;
  accessLog: string;
}

export async function launch({ command, args, prepare, accessLog }: Launch): Promise<ExternalServer> {
  const directory = mkdtempSync(join(tmpdir(), "authflow-interop-"));
  // The server may drop root for www-data: it must be able to read its files.
  chmodSync(directory, 0o755);
  const port = await freePort();
  prepare(directory, port);
  const child: ChildProcess = spawn(command, args(directory, port), { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 15_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${command} did not start on port ${port}: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const readLog = (): string[] => {
    const path = join(directory, accessLog);
    return existsSync(path)
      ? readFileSync(path, "utf8")
          .split("\n")
          .filter((line) => line.length > 0)
      : [];
  };
  return {
    url: `http://127.0.0.1:${port}`,
    directory,
    accessLog: readLog,
    async settledAccessLog(lines) {
      const deadline = Date.now() + 3_000;
      while (readLog().length < lines && Date.now() < deadline) await delay(20);
      await delay(50);
      return readLog();
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Writes `files` (relative path → content) under `directory`, readable by everyone. */
export function writeFiles(directory: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    const full = join(directory, path);
    mkdirSync(join(full, ".."), { recursive: true, mode: 0o755 });
    writeFileSync(full, content, { mode: 0o644 });
  }
}

/** Records the Authorization header of every request a flow sends. */
export function recordingFetch(log: (string | null)[]) {
  return (request: Request): Promise<Response> => {
    log.push(request.headers.get("authorization"));
    return fetch(request);
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sends a GET with an auth through one of authflow's front doors; resolves to the status, the body read. */
export type FrontDoor = (auth: Auth) => (url: string) => Promise<number>;

/**
 * authflow's front doors on their fast paths, where the header is computed
 * without a Request object, from the URL as the transport sends it:
 * withAuth(global fetch), Client, and authInterceptor under undici.request
 * (with `beneath`, if given, composed between it and the Agent).
 */
export function fastPathDoors(beneath?: Dispatcher.DispatcherComposeInterceptor): [string, FrontDoor][] {
  return [
    ["withAuth(global fetch)", (auth) => async (url) => drained(await withAuth(fetch, auth)(url))],
    [
      "Client",
      (auth) => {
        const client = new Client({ auth });
        return async (url) => drained(await client.get(url));
      },
    ],
    [
      "authInterceptor with undici.request",
      (auth) => {
        const dispatcher =
          beneath === undefined ? authAgent(authInterceptor(auth)) : authAgent(beneath, authInterceptor(auth));
        return async (url) => {
          const { statusCode, body } = await request(url, { dispatcher });
          await body.dump();
          return statusCode;
        };
      },
    ],
  ];
}

/** The status, with the body read so the connection is reused. */
async function drained(response: Response): Promise<number> {
  await response.arrayBuffer();
  return response.status;
}
