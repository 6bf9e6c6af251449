/**
 * Issue 18, finding 4: the netrc file is opened, checked on the opened handle
 * (a regular file of at most 1 MiB) and only then read, so `NETRC=/dev/zero`,
 * a FIFO, a directory or a huge file fail with NetrcError instead of hanging
 * the request or exhausting memory. Finding 3 (netrc part): a read that does
 * not finish never holds a request past its own signal.
 */
import { execFile, execFileSync } from "node:child_process";
import { once } from "node:events";
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NetrcError } from "../../src/errors.js";
import { Client, MissingCredentialsError, NetrcAuth, withAuth } from "../../src/index.js";
import { MAX_NETRC_BYTES } from "../../src/schemes/netrc.js";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { authInterceptor } from "../../src/undici/index.js";

const CANARY = "CANARY-netrc-files-5e1d";
let server: TestServer;
let directory: string;
let fifo: string;

beforeAll(async () => {
  server = await startTestServer();
  directory = mkdtempSync(join(tmpdir(), "authflow-netrc-files-"));
  fifo = join(directory, "fifo");
  execFileSync("mkfifo", [fifo]);
});

afterAll(async () => {
  // Should a reader ever block on the FIFO (the bug this file guards against), a writer releases it.
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {}
  await server.close();
  rmSync(directory, { recursive: true, force: true });
});

/** What NetrcAuth(path) does to one request through Client: the error, and how many requests reached the server. */
async function failureFor(path: string): Promise<{ error: unknown; reached: number }> {
  const before = server.stats().requests;
  const error = await new Client({ auth: new NetrcAuth(path) })
    .get(`${server.url}/basic-auth/u/p`)
    .catch((caught: unknown) => caught);
  return { error, reached: server.stats().requests - before };
}

function expectNetrcError(error: unknown, path: string, reason: RegExp): void {
  expect(error).toBeInstanceOf(NetrcError);
  expect((error as NetrcError).code).toBe("ERR_NETRC");
  expect((error as NetrcError).path).toBe(path);
  expect((error as Error).message).toContain(path);
  expect((error as Error).message).toMatch(reason);
}

describe("NetrcAuth refuses a netrc that is not a small regular file (NetrcError)", () => {
  it("/dev/zero: not a regular file, nothing sent", async () => {
    const { error, reached } = await failureFor("/dev/zero");
    expectNetrcError(error, "/dev/zero", /not a regular file \(a character device\)/);
    expect(reached).toBe(0);
  });

  it("$NETRC=/dev/zero, through Client, withAuth and the undici interceptor", async () => {
    const previous = process.env.NETRC;
    process.env.NETRC = "/dev/zero";
    try {
      const viaClient = await new Client({ auth: new NetrcAuth() }).get(`${server.url}/x`).catch((e: unknown) => e);
      const viaFetch = await withAuth(fetch, new NetrcAuth())(`${server.url}/x`).catch((e: unknown) => e);
      const agent = new Agent().compose(authInterceptor(new NetrcAuth()));
      const viaUndici = await request(`${server.url}/x`, { dispatcher: agent }).catch((e: unknown) => e);
      await agent.close();
      for (const error of [viaClient, viaFetch, viaUndici]) expectNetrcError(error, "/dev/zero", /not a regular file/);
    } finally {
      if (previous === undefined) delete process.env.NETRC;
      else process.env.NETRC = previous;
    }
  });

  it("a FIFO: refused at once, the open does not wait for a writer", async () => {
    const { error, reached } = await failureFor(fifo);
    expectNetrcError(error, fifo, /not a regular file \(a FIFO\)/);
    expect(reached).toBe(0);
  });

  it("a directory", async () => {
    const folder = join(directory, "folder");
    mkdirSync(folder);
    expectNetrcError((await failureFor(folder)).error, folder, /not a regular file \(a directory\)/);
  });

  it("a symbolic link to /dev/zero: the opened file is checked, not the link", async () => {
    const link = join(directory, "link-to-zero");
    symlinkSync("/dev/zero", link);
    expectNetrcError((await failureFor(link)).error, link, /not a regular file \(a character device\)/);
  });

  it("a file one byte over the 1 MiB cap, and a sparse 256 MiB one: refused without quoting the content", async () => {
    const over = join(directory, "over");
    const entry = `machine 127.0.0.1 login u password ${CANARY}\n`;
    writeFileSync(over, `${"#".repeat(MAX_NETRC_BYTES - entry.length)}\n${entry}`);
    const huge = join(directory, "huge");
    writeFileSync(huge, entry);
    truncateSync(huge, 256 * 1024 * 1024);
    for (const path of [over, huge]) {
      const { error, reached } = await failureFor(path);
      expectNetrcError(error, path, /larger than 1048576 bytes/);
      expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(CANARY);
      expect(reached).toBe(0);
    }
  });

  // fstat says 0 bytes, the read finds 5 MB: the cap holds on what is read, not on what fstat said.
  it.skipIf(!existsSync("/proc/kallsyms"))("a file that is larger than its size says (/proc/kallsyms)", async () => {
    expectNetrcError((await failureFor("/proc/kallsyms")).error, "/proc/kallsyms", /larger than 1048576 bytes/);
  });

  it("a Unix socket", async () => {
    const path = join(directory, "socket");
    const listener = createServer().listen(path);
    await once(listener, "listening");
    try {
      expectNetrcError((await failureFor(path)).error, path, /ENXIO|not a regular file/);
    } finally {
      listener.close();
    }
  });

  it("a file of exactly 1 MiB is read, and its entry used", async () => {
    const exact = join(directory, "exact");
    const entry = "machine 127.0.0.1 login u password p\n";
    writeFileSync(exact, `${"#".repeat(MAX_NETRC_BYTES - entry.length - 1)}\n${entry}`);
    expect((await new Client({ auth: new NetrcAuth(exact) }).get(`${server.url}/basic-auth/u/p`)).status).toBe(200);
  });

  it("a file that cannot be opened (a symbolic link loop): NetrcError with the reason", async () => {
    const loop = join(directory, "loop");
    symlinkSync(loop, loop);
    expectNetrcError((await failureFor(loop)).error, loop, /ELOOP/);
  });

  it.skipIf(process.getuid?.() === 0)("a file without read permission: NetrcError with EACCES", async () => {
    const locked = join(directory, "locked");
    writeFileSync(locked, `machine 127.0.0.1 login u password ${CANARY}\n`, { mode: 0o000 });
    chmodSync(locked, 0o000);
    expectNetrcError((await failureFor(locked)).error, locked, /EACCES/);
  });

  it("a missing file is still MissingCredentialsError, and a fixed file is read on the next request", async () => {
    const later = join(directory, "later");
    expect((await failureFor(later)).error).toBeInstanceOf(MissingCredentialsError);
    const auth = new NetrcAuth(later);
    const client = new Client({ auth });
    mkdirSync(later);
    expect(await client.get(`${server.url}/basic-auth/u/p`).catch((e: unknown) => e)).toBeInstanceOf(NetrcError);
    rmSync(later, { recursive: true });
    writeFileSync(later, "machine 127.0.0.1 login u password p\n");
    expect((await client.get(`${server.url}/basic-auth/u/p`)).status).toBe(200);
  });
});

/**
 * A read that never finishes, made real: a child process with one libuv
 * thread, held by a blocking open of a FIFO, so NetrcAuth's own open waits
 * behind it. The child prints what each request ended with: the bare flow
 * (NetrcAuth's own wait), then Client and withAuth (the driver's too).
 */
const STUCK_READ = `
import { closeSync, constants, openSync } from "node:fs";
import { open } from "node:fs/promises";
const [url, fifo, netrc, source] = process.argv.slice(-4);
const { Client, NetrcAuth, withAuth } = await import(source);
const blocker = open(fifo, "r");
const outcome = (promise) => promise.then((response) => String(response.status), (error) => error?.name ?? "error");
const auth = new NetrcAuth(netrc);
// The flow on its own, with no driver around it: NetrcAuth itself ends the wait at the request's signal.
const step = new NetrcAuth(netrc).authFlow(new Request(url + "/x", { signal: AbortSignal.timeout(300) })).next();
const results = [
  await outcome(step.then(() => ({ status: "yielded" }))),
  await outcome(new Client({ auth, timeout: 300 }).get(url + "/basic-auth/u/p")),
  await outcome(new Client({ auth }).get(url + "/basic-auth/u/p", { signal: AbortSignal.timeout(300) })),
  await outcome(withAuth(fetch, auth)(url + "/basic-auth/u/p", { signal: AbortSignal.timeout(300) })),
];
closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
await (await blocker).close();
results.push(await outcome(new Client({ auth }).get(url + "/basic-auth/u/p")));
console.log(results.join(" "));
`;

describe("a netrc read that does not finish (issue 18, finding 3)", () => {
  it("ends each request at its timeout or signal; once the read completes, the entry is used", async () => {
    const netrc = join(directory, "netrc-slow");
    writeFileSync(netrc, "machine 127.0.0.1 login u password p\n");
    const slowFifo = join(directory, "fifo-slow");
    execFileSync("mkfifo", [slowFifo]);
    const source = fileURLToPath(new URL("../../src/index.ts", import.meta.url));
    const args = ["--import", "tsx", "--input-type=module", "-e", STUCK_READ, server.url, slowFifo, netrc, source];
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = execFile(
        process.execPath,
        args,
        { timeout: 15_000, env: { ...process.env, UV_THREADPOOL_SIZE: "1" } },
        (error, out, err) => (error === null ? resolve(out) : reject(new Error(`${error.message}\n${err}`))),
      );
      child.stdin?.end();
    });
    expect(stdout.trim()).toBe("TimeoutError TimeoutError TimeoutError TimeoutError 200");
  }, 20_000);
});
