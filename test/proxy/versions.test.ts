/**
 * The Node transport (tls, proxy) on every Node of the runtime suite
 * (test/runtimes: 22, 24, 26 besides the machine's): each bundles its own
 * undici for fetch, which hands authflow's dispatcher handlers of its own
 * style. Node 26's carried a proxy's final 407 past authflow's marker header,
 * so the 407 came back as the carrier status; the status line now carries it.
 * A Node that is not installed is skipped.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
// Under node_modules so that the bundle finds undici and the other packages from there.
const scratch = join(root, "node_modules", ".cache", `authflow-proxy-versions-${process.pid}`);
const script = join(scratch, "versions.mjs");
const nodes: [string, string][] = [
  ["the machine's", process.execPath],
  ...["node22", "node24", "node26"].map((name): [string, string] => [
    name,
    join(root, "test/runtimes/node_modules", name, "bin/node"),
  ]),
];

beforeAll(async () => {
  mkdirSync(scratch, { recursive: true });
  await build({
    entryPoints: [join(root, "test/proxy/fixtures/versions-script.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    outfile: script,
    logLevel: "silent",
  });
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.each(nodes)("Node (%s)", (_name, binary) => {
  it.skipIf(!existsSync(binary))(
    "Client({ proxy, tls }): Digest, CONNECT, the final 407 as a response, TlsError",
    async () => {
      const output = await new Promise<string>((resolve, reject) => {
        execFile(binary, [script], { timeout: 60_000 }, (error, stdout, stderr) =>
          error === null ? resolve(stdout) : reject(new Error(`${error.message}\n${stderr}`)),
        );
      });
      const line = output.split("\n").find((text) => text.startsWith("RESULT ")) ?? "RESULT []";
      expect(JSON.parse(line.slice(7))).toEqual(["ok /a0", "ok /a1", "ok /b", "407", "TlsError unknown-ca"]);
    },
  );
});
