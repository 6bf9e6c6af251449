// Issue 19.3: a TokenStore in a file, so scripts and the CLI (--session) reuse tokens across runs.
// Safe under concurrency across processes (lock files with O_EXCL, stale-lock recovery, whole-file
// atomic replacement), never holding a refresh token, refusing files it should not trust.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientCredentialsAuth, InvalidArgumentError, type Token, withAuth } from "../../src/index.js";
import { FileTokenStore, type FileTokenStoreWarning } from "../../src/node/file-store.js";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { builtCli } from "../cli/helpers.js";

const directory = mkdtempSync(join(tmpdir(), "authflow-file-store-"));
let count = 0;
const newPath = () => join(directory, `store-${++count}`, "tokens.json");
const token = (accessToken: string, extra: Partial<Token> = {}): Token => ({
  accessToken,
  tokenType: "Bearer",
  raw: { access_token: accessToken, token_type: "Bearer" },
  ...extra,
});
const lockOf = (path: string, key: string) =>
  `${path}.lock-${createHash("sha256").update(key).digest("hex").slice(0, 16)}`;

let server: TestServer;
beforeAll(async () => {
  builtCli();
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
  rmSync(directory, { recursive: true, force: true });
});

describe("FileTokenStore", () => {
  it("keeps tokens across instances until their time is up, then forgets them", async () => {
    let now = 1_000_000;
    const path = newPath();
    const store = new FileTokenStore({ path, now: () => now });
    await store.set("k", token("t1", { expiresAt: now + 60_000 }), 60_000);
    const other = new FileTokenStore({ path, now: () => now });
    expect(await other.get("k")).toMatchObject({ accessToken: "t1", expiresAt: now + 60_000 });
    now += 60_000;
    expect(await other.get("k")).toBeUndefined();
    await store.set("k2", token("t2"), 1000);
    await store.delete("k2");
    expect(await other.get("k2")).toBeUndefined();
  });

  it("writes mode 0600 in a 0700 directory, and never a refresh token or an ID token", async () => {
    const path = newPath();
    const store = new FileTokenStore({ path });
    const raw = {
      access_token: "at",
      token_type: "Bearer",
      expires_in: 60,
      refresh_token: "CANARY-rt",
      id_token: "CANARY-id",
    };
    await store.set("k", { accessToken: "at", tokenType: "Bearer", raw }, 60_000);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    expect(readFileSync(path, "utf8")).not.toContain("CANARY");
    expect((await store.get("k"))?.raw).toEqual({ access_token: "at", token_type: "Bearer", expires_in: 60 });
  });

  it("does not read a symbolic link or a file that is not JSON; says so, and the next write replaces it", async () => {
    const warnings: FileTokenStoreWarning[] = [];
    const target = join(directory, "elsewhere.json");
    writeFileSync(
      target,
      JSON.stringify({ tokens: { k: { token: token("planted"), lapsesAt: Date.now() + 60_000 } } }),
    );
    const path = newPath();
    mkdirSync(dirname(path), { recursive: true });
    symlinkSync(target, path);
    const store = new FileTokenStore({ path, onWarning: (warning) => warnings.push(warning) });
    expect(await store.get("k")).toBeUndefined();
    expect(warnings.map((warning) => warning.code)).toContain("unsafe-file");
    await store.set("k", token("mine"), 60_000);
    expect(readFileSync(target, "utf8")).toContain("planted"); // the link was replaced, not followed
    const broken = newPath();
    mkdirSync(dirname(broken), { recursive: true });
    writeFileSync(broken, "{not json");
    const reader = new FileTokenStore({ path: broken, onWarning: (warning) => warnings.push(warning) });
    expect(await reader.get("k")).toBeUndefined();
    expect(warnings.map((warning) => warning.code)).toContain("unreadable-file");
    await reader.set("k", token("fixed"), 60_000);
    expect((await reader.get("k"))?.accessToken).toBe("fixed");
  });

  it("readOnly: reads the file, keeps what it learns in memory, never writes", async () => {
    const path = newPath();
    await new FileTokenStore({ path }).set("k", token("on-disk"), 60_000);
    const before = readFileSync(path, "utf8");
    const store = new FileTokenStore({ path, readOnly: true });
    expect((await store.get("k"))?.accessToken).toBe("on-disk");
    await store.set("k", token("in-memory"), 60_000);
    expect((await store.get("k"))?.accessToken).toBe("in-memory");
    await store.withLock("k", async () => {});
    expect(readFileSync(path, "utf8")).toBe(before);
    expect(existsSync(lockOf(path, "k"))).toBe(false);
  });

  it("withLock: holders in several processes take turns (no lost update in 4 × 15 increments)", async () => {
    const path = newPath();
    const module = join(dirname(builtCli()), "..", "node", "file-store.js");
    const script = `
      const { FileTokenStore } = await import(${JSON.stringify(module)});
      const store = new FileTokenStore({ path: ${JSON.stringify(path)} });
      for (let i = 0; i < 15; i++) {
        await store.withLock("counter", async () => {
          const current = Number((await store.get("counter"))?.accessToken ?? "0");
          await store.set("counter", { accessToken: String(current + 1), tokenType: "Bearer", raw: {} }, 60_000);
        });
      }`;
    const children = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "pipe" });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      return new Promise<[number | null, string]>((resolve) => child.on("close", (code) => resolve([code, stderr])));
    });
    expect(await Promise.all(children)).toEqual(Array.from({ length: 4 }, () => [0, ""]));
    expect((await new FileTokenStore({ path }).get("counter"))?.accessToken).toBe("60");
    expect(JSON.parse(readFileSync(path, "utf8"))).toMatchObject({ format: "authflow-token-store", version: 1 });
  });

  it("recovers a lock whose holder is gone: a dead process, or one that stopped refreshing it", async () => {
    const warnings: FileTokenStoreWarning[] = [];
    const path = newPath();
    const store = new FileTokenStore({
      path,
      lockStaleMs: 1_000,
      lockWaitTimeoutMs: 60_000,
      onWarning: (w) => warnings.push(w),
    });
    await store.set("k", token("t"), 60_000);
    const deadPid = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString();
    writeFileSync(lockOf(path, "k"), JSON.stringify({ id: "dead", pid: Number(deadPid), host: hostname() }));
    expect(await store.withLock("k", async () => "ran")).toBe("ran");
    writeFileSync(lockOf(path, "k"), JSON.stringify({ id: "stuck", pid: process.pid, host: hostname() }));
    const past = new Date(Date.now() - 3_600_000);
    utimesSync(lockOf(path, "k"), past, past);
    expect(await store.withLock("k", async () => "ran again")).toBe("ran again");
    expect(warnings).toEqual([]);
    expect(existsSync(lockOf(path, "k"))).toBe(false);
  });

  it("a live holder that does not let go costs at most lockWaitTimeoutMs, then a warning", async () => {
    const warnings: FileTokenStoreWarning[] = [];
    const path = newPath();
    const store = new FileTokenStore({ path, lockWaitTimeoutMs: 100, onWarning: (w) => warnings.push(w) });
    await store.set("k", token("t"), 60_000);
    writeFileSync(lockOf(path, "k"), JSON.stringify({ id: "busy", pid: process.pid, host: hostname() }));
    expect(await store.withLock("k", async () => "ran")).toBe("ran");
    expect(warnings.map((warning) => warning.code)).toEqual(["lock-wait-exceeded"]);
    expect(readFileSync(lockOf(path, "k"), "utf8")).toContain("busy"); // not ours to remove
  });

  it("two ClientCredentialsAuth on the same file share one token request", async () => {
    server.reset();
    const path = newPath();
    const options = { tokenUrl: `${server.url}/oauth/token`, clientId: "basic-client", clientSecret: "basic-secret" };
    for (const instance of [1, 2]) {
      const auth = new ClientCredentialsAuth({ ...options, store: new FileTokenStore({ path }) });
      const response = await withAuth(fetch, auth)(`${server.url}/oauth/protected`);
      expect({ instance, status: response.status }).toEqual({ instance, status: 200 });
    }
    expect(server.stats().tokenRequests).toBe(1);
    expect(readFileSync(path, "utf8")).not.toContain("basic-secret");
  });

  it("checks its options with coded errors", () => {
    for (const options of [undefined, {}, { path: "" }, { path: "x", maxEntries: 0 }, { path: "x", now: 5 }]) {
      expect(() => new FileTokenStore(options as never)).toThrow(InvalidArgumentError);
    }
  });
});
