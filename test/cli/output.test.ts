// Issue 19.4: no -o, no --download with a progress bar, no headers-only view, no way to force
// colours into a pager. Now: -o FILE, --download (a safe name from Content-Disposition or the URL,
// never outside the current directory, never over an existing file), a progress bar on a terminal,
// --print/-p with httpie's letters, -i, -I, --pretty and FORCE_COLOR.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtCli, hasScript, peakMemoryPreload, runCli, runInTerminal } from "./helpers.js";

const root = mkdtempSync(join(tmpdir(), "authflow-cli-output-"));
let server: Server;
let base = "";
let count = 0;
const MiB = 1024 * 1024;

/** A fresh working directory inside a parent that must stay empty of anything else. */
function workspace(): { parent: string; cwd: string } {
  const parent = join(root, `run-${++count}`);
  const cwd = join(parent, "cwd");
  mkdirSync(cwd, { recursive: true });
  return { parent, cwd };
}

/** /file?bytes=N&type=T&cd=D: N bytes (in 64 KiB writes, waiting for drain); /json; /status/N. */
function handle(url: URL, response: import("node:http").ServerResponse): void {
  if (url.pathname.startsWith("/status/")) {
    response.writeHead(Number(url.pathname.slice(8)), { "content-type": "text/plain" });
    response.end("not here");
    return;
  }
  if (url.pathname === "/json") {
    response.writeHead(200, { "content-type": "application/json", "x-note": "n\u009b2J" });
    response.end('{"a":[1,2],"b":"x"}');
    return;
  }
  const bytes = Number(url.searchParams.get("bytes") ?? 5);
  const headers: Record<string, string | number> = {
    "content-length": bytes,
    "content-type": url.searchParams.get("type") ?? "application/octet-stream",
  };
  const disposition = url.searchParams.get("cd");
  if (disposition !== null) headers["content-disposition"] = disposition;
  response.writeHead(200, headers);
  const block = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  const pump = () => {
    while (sent < bytes) {
      const piece = block.subarray(0, Math.min(block.length, bytes - sent));
      sent += piece.length;
      if (!response.write(piece)) return void response.once("drain", pump);
    }
    response.end();
  };
  pump();
}

beforeAll(async () => {
  builtCli();
  server = createServer((request, response) => handle(new URL(request.url ?? "/", "http://x"), response));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

const withDisposition = (value: string, bytes = 5) => `${base}/file?bytes=${bytes}&cd=${encodeURIComponent(value)}`;

describe("-o FILE and --download", () => {
  it("-o writes the body to the file (overwriting it, as curl -o), nothing on stdout", async () => {
    const { cwd } = workspace();
    const target = join(cwd, "out.bin");
    writeFileSync(target, "old contents, longer than the new ones");
    const result = await runCli([`${base}/file?bytes=7`, "-o", target], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    expect(readFileSync(target, "utf8")).toBe("aaaaaaa");
    expect(result.stderr).toContain(`saved 7 B to ${target}`);
  });

  it("--download names the file by Content-Disposition, else the URL (with an extension from the type)", async () => {
    const { cwd } = workspace();
    await runCli(
      ["--download", withDisposition(`attachment; filename="q3.csv"; filename*=UTF-8''r%C3%A9sum%C3%A9.csv`)],
      { cwd },
    );
    await runCli(["--download", `${base}/file/report?type=application%2Fjson`], { cwd });
    expect(readdirSync(cwd).sort()).toEqual(["report.json", "résumé.csv"]);
  });

  it("never writes outside the current directory, a hidden file or a device name, whatever the server says", async () => {
    for (const hostile of [
      'attachment; filename="../../escaped.txt"',
      'attachment; filename="/tmp/absolute.txt"',
      'attachment; filename="..\\\\..\\\\windows.txt"',
      'attachment; filename=".bashrc"',
      'attachment; filename="CON"',
      "attachment; filename*=UTF-8''..%2F..%2Fencoded.txt",
      "attachment; filename*=UTF-8''evil%00%1B%5B31m.txt",
    ]) {
      const { parent, cwd } = workspace();
      const result = await runCli(["--download", withDisposition(hostile)], { cwd });
      expect({ hostile, code: result.code }).toEqual({ hostile, code: 0 });
      expect(readdirSync(parent)).toEqual(["cwd"]);
      const [saved, ...others] = readdirSync(cwd);
      expect(others).toEqual([]);
      expect(saved).toMatch(/^(escaped|absolute|windows|bashrc|_CON|encoded|evil__\[31m)(\.txt)?$/);
    }
    expect(existsSync("/tmp/absolute.txt") && lstatSync("/tmp/absolute.txt").mtimeMs > Date.now() - 60_000).toBe(false);
  });

  it("never replaces a file, nor follows a link planted under the name: -1, -2… instead", async () => {
    const { parent, cwd } = workspace();
    writeFileSync(join(cwd, "data.bin"), "mine");
    symlinkSync(join(parent, "victim"), join(cwd, "data-1.bin"));
    const url = withDisposition('attachment; filename="data.bin"');
    expect((await runCli(["--download", url], { cwd })).code).toBe(0);
    expect(readFileSync(join(cwd, "data.bin"), "utf8")).toBe("mine");
    expect(existsSync(join(parent, "victim"))).toBe(false);
    expect(readFileSync(join(cwd, "data-2.bin"), "utf8")).toBe("aaaaa");
  });

  it("keeps nothing from an answer that is not 2xx, and says so (exit 1)", async () => {
    const { cwd } = workspace();
    const result = await runCli(["--download", `${base}/status/404`], { cwd });
    expect(result.code).toBe(1);
    expect(readdirSync(cwd)).toEqual([]);
    expect(result.stderr).toContain("nothing saved: --download keeps 2xx answers only (got 404)");
  });
});

describe("--print, -i, -I, --pretty, FORCE_COLOR", () => {
  it("-p picks request headers (credentials redacted), response headers and bodies; -I and -i as curl's", async () => {
    const headersOnly = await runCli([`${base}/json`, "-p", "h"]);
    expect(headersOnly.stdout).toMatch(/^HTTP\/1\.1 200 OK\n[\s\S]*^content-type: application\/json$[\s\S]*\n\n$/m);
    expect(headersOnly.stdout).not.toContain('"a"');
    expect(headersOnly.stderr).toBe("");
    const request = await runCli([`${base}/json`, "-p", "H", "-a", "u:CANARY-pw-1234"]);
    expect(request.stdout).toMatch(/^GET \/json HTTP\/1\.1\nhost: 127\.0\.0\.1:\d+\n/);
    expect(request.stdout).toContain("authorization: Basic [redacted]");
    expect(request.stdout).not.toContain(btoa("u:CANARY-pw-1234"));
    const head = await runCli(["-I", `${base}/json`]);
    expect(head.stdout).toMatch(/^HTTP\/1\.1 200 OK\n[\s\S]*\n\n$/);
    const include = await runCli(["-i", `${base}/json`]);
    expect(include.stdout).toMatch(/^HTTP\/1\.1 200 OK\n[\s\S]*\n\n\{"a":\[1,2\],"b":"x"\}$/);
  });

  it("piped output is the bytes as received, unless --pretty or FORCE_COLOR ask for the terminal's treatment", async () => {
    expect((await runCli([`${base}/json`])).stdout).toBe('{"a":[1,2],"b":"x"}');
    expect((await runCli([`${base}/json`, "--pretty=format"])).stdout).toBe(
      '{\n  "a": [\n    1,\n    2\n  ],\n  "b": "x"\n}\n',
    );
    const coloured = await runCli([`${base}/json`, "--pretty=colors"]);
    expect(coloured.stdout).toContain('\u001b[34;1m"a"\u001b[0m:[');
    const forced = await runCli([`${base}/json`, "-i"], { env: { FORCE_COLOR: "1" } });
    expect(forced.stdout).toContain("\u001b[36mx-note\u001b[0m: n\\x9b2J");
    expect(forced.stdout).toContain('\u001b[34;1m"a"\u001b[0m: [');
  });
});

describe.skipIf(!hasScript())("the progress bar (a pseudo-terminal)", () => {
  it("shows size, rate and time left on a terminal, a summary line when done; none with --quiet", async () => {
    const { cwd } = workspace();
    const url = `${base}/file/big.bin?bytes=${8 * MiB}`;
    const shown = await runInTerminal(["--download", url], { cwd });
    expect(shown.code).toBe(0);
    expect(shown.screen).toMatch(
      /\d+% \[[#-]+\] +[\d.]+ (KiB|MiB) \/ 8\.0 MiB +[\d.]+ (B|KiB|MiB|GiB)\/s +ETA \d+:\d\d/,
    );
    expect(shown.screen).toMatch(/saved 8\.0 MiB to big\.bin \([\d.]+ [KMG]?i?B\/s\)/);
    const quiet = await runInTerminal(["--download", "-q", url], { cwd });
    expect(quiet.code).toBe(0);
    expect(quiet.screen).not.toMatch(/ETA|saved/);
    expect(readdirSync(cwd).sort()).toEqual(["big-1.bin", "big.bin"]);
  });

  it("none when stderr is piped: the summary only", async () => {
    const { cwd } = workspace();
    const result = await runCli(["--download", `${base}/file/x.bin?bytes=${MiB}`], { cwd });
    expect(result.stderr).not.toMatch(/\r|ETA/);
    expect(result.stderr).toContain("saved 1.0 MiB to x.bin");
  });

  it("a large download stays in bounded memory (64 MiB to disk, peak resident memory under 160 MiB)", async () => {
    const { cwd } = workspace();
    const preload = peakMemoryPreload(root);
    const peakFile = join(root, "download.peak");
    const result = await runInTerminal(["--download", `${base}/file/large.bin?bytes=${64 * MiB}`], {
      cwd,
      env: { AUTHFLOW_TEST_PEAK_FILE: peakFile },
      nodeArgs: preload === undefined ? [] : ["--require", preload],
      screenEnds: 4096,
    });
    expect(result.code).toBe(0);
    expect(lstatSync(join(cwd, "large.bin")).size).toBe(64 * MiB);
    if (preload !== undefined) {
      const peakMiB = Number(readFileSync(peakFile, "utf8")) / 1024;
      console.log(`--download of 64 MiB: peak resident memory ${Math.round(peakMiB)} MiB`);
      // Node, undici and the library take about 100 MiB before a byte arrives; 64 MiB held would pass 160.
      expect(peakMiB).toBeLessThan(160);
    }
  });
});
