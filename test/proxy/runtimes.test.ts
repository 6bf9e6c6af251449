/**
 * Issue 15 outside Node: where authflow cannot route a fetch through a proxy
 * (Bun, Deno, a web-standard runtime), `proxy` is a ProxyError at
 * construction — on a Client and on a ClientCredentialsAuth alike, never a
 * token request that silently goes direct. Skipped for a runtime that is
 * not installed (test/runtimes: .ci/install-runtimes.sh).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const MODULES = fileURLToPath(new URL("../runtimes/node_modules/", import.meta.url));
const RUNTIMES = {
  bun: join(MODULES, "@oven", "bun-linux-x64", "bin", "bun"),
  deno: join(MODULES, "@deno", "linux-x64-glibc", "deno"),
};

/** Constructs each case and prints what happened; nothing is sent (the URLs are never contacted). */
const CASES = `
const results = {};
const attempt = (name, make) => {
  try { make(); results[name] = "constructed"; }
  catch (error) { results[name] = \`\${error.name} \${error.code} \${error.message}\`; }
};
const proxy = "http://127.0.0.1:3128";
const options = { tokenUrl: "http://127.0.0.1:1/oauth/token", clientId: "c", clientSecret: "s" };
attempt("client", () => new Client({ proxy }));
attempt("auth", () => new ClientCredentialsAuth({ ...options, proxy: { url: proxy, auth: ["u", "p"] } }));
attempt("auth-false", () => new ClientCredentialsAuth({ ...options, proxy: false }));
console.log("RESULTS " + JSON.stringify(results));
`;

let scratch: string;
let bundle: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "authflow-proxy-runtimes-"));
  bundle = join(scratch, "authflow.mjs");
  await build({
    entryPoints: [fileURLToPath(new URL("../../src/index.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "neutral",
    external: ["node:*"],
    outfile: bundle,
    logLevel: "silent",
  });
  const imports = `const { Client, ClientCredentialsAuth } = await import(${JSON.stringify(pathToFileURL(bundle).href)});`;
  writeFileSync(join(scratch, "script.mjs"), `${imports}\n${CASES}`);
  const hidden = `Object.defineProperty(globalThis, "process", { value: undefined });\n${imports}\n${CASES}`;
  writeFileSync(join(scratch, "hidden.mjs"), hidden);
});

afterAll(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

function run(command: string, args: readonly string[]): Promise<Record<string, string>> {
  const env = { ...process.env, NO_COLOR: "1", DENO_DIR: join(scratch, "deno"), DENO_NO_UPDATE_CHECK: "1" };
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const line = stdout.split("\n").find((text) => text.startsWith("RESULTS "));
      if (line === undefined) reject(new Error(`${command}: no results (${error?.message}): ${stderr.slice(-1500)}`));
      else resolve(JSON.parse(line.slice("RESULTS ".length)) as Record<string, string>);
    });
  });
}

function expectRefusedAtConstruction(results: Record<string, string>): void {
  const refusal = /^ProxyError ERR_AUTHFLOW_PROXY proxies \(the proxy option\) need Node/;
  expect(results.client).toMatch(refusal);
  expect(results.auth).toMatch(refusal);
  expect(results.auth).not.toContain('p"');
  expect(results["auth-false"]).toBe("constructed");
}

describe.each(["bun", "deno"] as const)("proxy in %s", (runtime) => {
  it.skipIf(!existsSync(RUNTIMES[runtime]))("is a ProxyError at construction, Client and auth alike", async () => {
    const script = join(scratch, "script.mjs");
    const args = runtime === "bun" ? [script] : ["run", "--no-prompt", `--allow-read=${scratch}`, script];
    expectRefusedAtConstruction(await run(RUNTIMES[runtime], args));
  });
});

it("a web-standard runtime (no process object): a ProxyError at construction too", async () => {
  expectRefusedAtConstruction(await run(process.execPath, [join(scratch, "hidden.mjs")]));
});
