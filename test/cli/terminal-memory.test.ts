// Issue 18.8: on a terminal the CLI read the whole body into memory before printing it
// (400 MB → 2.2 GB resident). It now streams in bounded memory: text chunk by chunk, JSON
// pretty-printed only up to PRETTY_JSON_LIMIT, larger JSON streamed as it came with a note.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PRETTY_JSON_LIMIT } from "../../src/cli/body.js";
import { builtCli, hasScript, peakMemoryPreload, runInTerminal } from "./helpers.js";

const MiB = 1024 * 1024;
const BODY_MiB = 32;
// Node's own footprint (~50 MiB) plus buffers: the CLI before the fix peaked at 327 MiB for 32 MiB of text.
const PEAK_BOUND_MiB = 160;

let server: Server;
let base = "";
const directory = mkdtempSync(join(tmpdir(), "authflow-cli-memory-"));

/**
 * Writes about `total` bytes in blocks of 1,000 lines made by `line(index)`, waiting for the
 * socket to drain: the server holds one block at a time.
 */
async function stream(response: ServerResponse, total: number, line: (index: number) => string): Promise<void> {
  let sent = 0;
  for (let block = 0; sent < total; block++) {
    const text = Array.from({ length: 1000 }, (_, index) => line(block * 1000 + index)).join("");
    sent += Buffer.byteLength(text);
    if (!response.write(text)) await new Promise((resolve) => response.once("drain", resolve));
  }
}

beforeAll(async () => {
  builtCli();
  server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const size = Number(url.searchParams.get("bytes"));
    if (url.pathname === "/text") {
      response.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      // Each line has a multi-byte character and an escape sequence, so chunks split both somewhere.
      void stream(response, size, (index) => `line ${index} — zoë \u001b[31mred\u001b[0m ${"x".repeat(40)}\r\n`).then(
        () => response.end("last line without a break"),
      );
    } else {
      response.writeHead(200, { "content-type": "application/json" });
      response.write("[");
      void stream(response, size, (index) => `${index === 0 ? "" : ","}{"id":${index},"name":"item ${index}"}`).then(
        () => response.end("]"),
      );
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(directory, { recursive: true, force: true });
});

/** Runs the CLI on a pseudo-terminal and returns what it showed and its peak resident memory in MiB. */
async function runMeasured(args: readonly string[], name: string) {
  const preload = peakMemoryPreload(directory);
  const peakFile = join(directory, `${name}.peak`);
  const result = await runInTerminal(args, {
    env: { NO_COLOR: "1", AUTHFLOW_TEST_PEAK_FILE: peakFile },
    nodeArgs: preload === undefined ? [] : ["--require", preload],
    screenEnds: 4096,
  });
  const peakMiB = preload === undefined ? undefined : Number(readFileSync(peakFile, "utf8")) / 1024;
  return { ...result, peakMiB };
}

describe.skipIf(!hasScript())("a large body on a terminal, in bounded memory", () => {
  it(`streams ${BODY_MiB} MiB of text, escaped, with a peak resident memory under ${PEAK_BOUND_MiB} MiB`, async () => {
    const result = await runMeasured([`${base}/text?bytes=${BODY_MiB * MiB}`], "text");
    expect(result.code).toBe(0);
    // Escapes lengthen the text: more than the body reached the screen, so it was all shown.
    expect(result.screenBytes).toBeGreaterThan(BODY_MiB * MiB);
    expect(result.screen).toContain("line 0 — zoë \\x1b[31mred\\x1b[0m");
    expect(result.screen).not.toContain("\u001b");
    expect(result.screen).not.toContain("\ufffd"); // no multi-byte character was cut in two
    expect(result.screen).toMatch(/last line without a break\r\n$/);
    if (result.peakMiB !== undefined) {
      console.info(`terminal, ${BODY_MiB} MiB of text: peak resident memory ${result.peakMiB.toFixed(0)} MiB`);
      expect(result.peakMiB).toBeLessThan(PEAK_BOUND_MiB);
    }
  });

  it("shows JSON over the pretty-printing limit as it came, with a note, in bounded memory", async () => {
    const bytes = 2 * PRETTY_JSON_LIMIT;
    const result = await runMeasured([`${base}/json?bytes=${bytes}`], "json");
    expect(result.code).toBe(0);
    expect(result.screen).toContain(
      `(JSON body over ${PRETTY_JSON_LIMIT / MiB} MiB: shown as it came, not pretty-printed)`,
    );
    expect(result.screen).toContain('[{"id":0,"name":"item 0"},{"id":1,');
    expect(result.screenBytes).toBeGreaterThan(bytes);
    if (result.peakMiB !== undefined) expect(result.peakMiB).toBeLessThan(PEAK_BOUND_MiB);
  });

  it("still pretty-prints JSON under the limit", async () => {
    const result = await runMeasured([`${base}/json?bytes=${64 * 1024}`], "small-json");
    expect(result.code).toBe(0);
    expect(result.screen).toMatch(/\[\r\n {2}\{\r\n {4}"id": 0,\r\n {4}"name": "item 0"\r\n {2}\},/);
    expect(result.screen).not.toContain("not pretty-printed");
  });
});
