/**
 * A real squid (Debian's `squid`, .ci/apt-packages) for the proxy tests
 * (issue 15): each call starts its own instance on a free loopback port in a
 * temporary directory, with a generated configuration — Basic
 * (`basic_ncsa_auth`, an htpasswd file of apr1 hashes made by `openssl
 * passwd`), Digest (`digest_file_auth`, `check_nonce_count on`), either or
 * both — and an access log of one tab-separated line per request (method,
 * URL, status, user, the Proxy-Authorization it carried), to count round
 * trips.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, connect, createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

/** squid, when installed (self-contained: bench/proxy.ts starts it too, outside vitest). */
export const SQUID = ["/usr/sbin/squid", "/usr/local/sbin/squid"].find((path) => existsSync(path));
const HELPERS = "/usr/lib/squid";

/** One request as squid logged it. */
export interface SquidLine {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  /** The authenticated user, or "-". */
  readonly user: string;
  /** The Proxy-Authorization the request carried, or "-". */
  readonly proxyAuthorization: string;
}

/** A running squid. */
export interface Squid {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The requests logged so far. */
  log(): SquidLine[];
  /** The log once it holds at least `count` lines (squid writes a line after answering), or after 3 s. */
  settledLog(count: number): Promise<SquidLine[]>;
  stop(): Promise<void>;
}

/** What squid asks for: users per scheme; neither for an open proxy. */
export interface SquidOptions {
  readonly basic?: Readonly<Record<string, string>>;
  readonly digest?: Readonly<Record<string, string>>;
  /** Digest nonces: uses before a nonce goes stale (squid's nonce_max_count, default 50). */
  readonly nonceMaxCount?: number;
  /** squid's check_nonce_count (default on): off lets a bench replay one hand-set Digest header. */
  readonly checkNonceCount?: boolean;
}

const REALM = "authflow proxy";

function configuration(directory: string, port: number, options: SquidOptions): string {
  const lines = [
    `http_port 127.0.0.1:${port}`,
    `pid_filename ${directory}/squid.pid`,
    `cache_log ${directory}/cache.log`,
    "logformat counting %rm\t%ru\t%>Hs\t%un\t%{Proxy-Authorization}>h",
    `access_log stdio:${directory}/access.log counting`,
    "cache deny all",
    "cache_mem 4 MB",
    `coredump_dir ${directory}`,
    "visible_hostname authflow-test",
    "shutdown_lifetime 0 seconds",
    "pinger_enable off",
    "buffered_logs off",
  ];
  if (userInfo().uid === 0) lines.push("cache_effective_user proxy");
  // Digest first: squid offers the schemes in this order in one 407.
  if (options.digest !== undefined) {
    lines.push(`auth_param digest program ${HELPERS}/digest_file_auth ${directory}/digest.pw`);
    lines.push(
      `auth_param digest realm ${REALM}`,
      "auth_param digest children 2",
      `auth_param digest check_nonce_count ${options.checkNonceCount === false ? "off" : "on"}`,
    );
    if (options.nonceMaxCount !== undefined) lines.push(`auth_param digest nonce_max_count ${options.nonceMaxCount}`);
  }
  if (options.basic !== undefined) {
    lines.push(`auth_param basic program ${HELPERS}/basic_ncsa_auth ${directory}/htpasswd`);
    lines.push(`auth_param basic realm ${REALM}`, "auth_param basic children 2");
  }
  if (options.basic !== undefined || options.digest !== undefined) {
    lines.push("acl authenticated proxy_auth REQUIRED", "http_access allow authenticated");
  } else {
    lines.push("http_access allow all");
  }
  lines.push("http_access deny all");
  return `${lines.join("\n")}\n`;
}

/** An htpasswd line with an apr1 (MD5) hash, which basic_ncsa_auth reads; the password goes to openssl on stdin. */
function htpasswdLine(user: string, password: string): string {
  const hash = execFileSync("openssl", ["passwd", "-apr1", "-stdin"], { input: password }).toString().trim();
  return `${user}:${hash}`;
}

/** Starts a squid configured by `options`; stop it when done. */
export async function startSquid(options: SquidOptions = {}): Promise<Squid> {
  const directory = mkdtempSync(join(tmpdir(), "authflow-squid-"));
  chmodSync(directory, 0o755);
  const port = await freePort();
  writeFileSync(join(directory, "squid.conf"), configuration(directory, port, options));
  const users = (
    record: Readonly<Record<string, string>> | undefined,
    line: (user: string, password: string) => string,
  ) =>
    `${Object.entries(record ?? {})
      .map(([user, password]) => line(user, password))
      .join("\n")}\n`;
  if (options.basic !== undefined) writeFileSync(join(directory, "htpasswd"), users(options.basic, htpasswdLine));
  if (options.digest !== undefined)
    writeFileSync(
      join(directory, "digest.pw"),
      users(options.digest, (u, p) => `${u}:${p}`),
    );
  if (userInfo().uid === 0) {
    // squid drops to the proxy user: its logs and pid file are written as that user.
    const uid = Number(execFileSync("id", ["-u", "proxy"]).toString());
    const gid = Number(execFileSync("id", ["-g", "proxy"]).toString());
    chownSync(directory, uid, gid);
  }
  const child: ChildProcess = spawn(SQUID as string, ["-N", "-f", join(directory, "squid.conf")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await waitUntilListening(port, child, () => output);
  const read = () => readLog(join(directory, "access.log"));
  return {
    url: `http://127.0.0.1:${port}`,
    log: read,
    async settledLog(count) {
      const deadline = Date.now() + 3_000;
      while (read().length < count && Date.now() < deadline) await delay(20);
      return read();
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function waitUntilListening(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`squid did not start on port ${port}: ${output().slice(-2000)}`);
    }
    if (await canConnect(port)) return;
    await delay(50);
  }
}

/** A free loopback port: bound, then released. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A TCP connection only: a request would be logged and counted. */
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

function readLog(path: string): SquidLine[] {
  if (!existsSync(path)) return [];
  return (
    readFileSync(path, "utf8")
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => {
        const [method = "", url = "", status = "0", user = "-", proxyAuthorization = "-"] = line
          .split("\t")
          .map(unescaped);
        return { method, url, status: Number(status), user, proxyAuthorization };
      })
      // A connection closed before any request (the start-up probe) is logged with status 0: not a request.
      .filter((line) => line.status !== 0)
  );
}

/** squid writes header values and user names URL-escaped (%20, %22…). */
function unescaped(field: string): string {
  try {
    return decodeURIComponent(field);
  } catch {
    return field;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
