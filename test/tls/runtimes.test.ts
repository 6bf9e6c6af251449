/**
 * Issue 14 outside Node: Bun (its fetch's `tls` option) and Deno
 * (`Deno.createHttpClient`) run `Client({ tls })` and RFC 8705 mutual TLS
 * from the portable core, bundled as the runtime suite bundles it. Skipped
 * when a runtime is not installed (test/runtimes: .ci/install-runtimes.sh).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestCertificates,
  defaultClients,
  mtlsTestClients,
  startTestServer,
  type TestCertificates,
  type TestServer,
} from "../../src/server/index.js";

const MODULES = fileURLToPath(new URL("../runtimes/node_modules/", import.meta.url));
const RUNTIMES = {
  bun: join(MODULES, "@oven", "bun-linux-x64", "bin", "bun"),
  deno: join(MODULES, "@deno", "linux-x64-glibc", "deno"),
};

const SCRIPT = `
const [bundle, config] = [process.argv[2] ?? Deno.args[0], JSON.parse(process.argv[3] ?? Deno.args[1])];
const { Client, ClientCredentialsAuth } = await import(bundle);
const { url, ca, cert, key } = config;
const results = {};
const run = async (name, body) => {
  try { results[name] = await body(); } catch (error) { results[name] = \`\${error.name} \${error.reason ?? ""} \${error.message}\`; }
};
await run("ca", async () => (await new Client({ tls: { ca } }).get(url + "/anything")).status);
await run("no-ca", async () => (await new Client().get(url + "/anything")).status);
await run("mtls", async () => {
  const auth = new ClientCredentialsAuth({ tokenUrl: url + "/oauth/token", clientId: "mtls-client", clientAuth: "tls_client_auth", tls: { ca, cert, key } });
  const response = await new Client({ auth }).get(url + "/oauth/mtls-protected");
  return (await response.json()).cnf?.["x5t#S256"] ?? response.status;
});
console.log("RESULTS " + JSON.stringify(results));
`;

let certificates: TestCertificates;
let server: TestServer;
let scratch: string;
let bundle: string;

beforeAll(async () => {
  certificates = await createTestCertificates();
  const { ca, server: pair } = certificates;
  server = await startTestServer({
    tls: { cert: pair.cert, key: pair.key, ca: ca.cert, requestCert: true },
    clients: [...defaultClients(), ...mtlsTestClients(certificates)],
  });
  scratch = mkdtempSync(join(tmpdir(), "authflow-tls-runtimes-"));
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
  writeFileSync(join(scratch, "script.mjs"), SCRIPT);
});

afterAll(async () => {
  await server?.close();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

function runIn(runtime: keyof typeof RUNTIMES): Promise<Record<string, unknown>> {
  const config = JSON.stringify({
    url: server.url,
    ca: certificates.ca.cert,
    cert: certificates.client.cert,
    key: certificates.client.key,
  });
  const script = join(scratch, "script.mjs");
  const args =
    runtime === "bun"
      ? [script, pathToFileURL(bundle).href, config]
      : [
          "run",
          "--no-prompt",
          "--allow-net=127.0.0.1",
          `--allow-read=${scratch}`,
          script,
          pathToFileURL(bundle).href,
          config,
        ];
  const env = { ...process.env, NO_COLOR: "1", DENO_DIR: join(scratch, "deno"), DENO_NO_UPDATE_CHECK: "1" };
  return new Promise((resolve, reject) => {
    execFile(RUNTIMES[runtime], args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const line = stdout.split("\n").find((text) => text.startsWith("RESULTS "));
      if (line === undefined) reject(new Error(`${runtime}: no results (${error?.message}): ${stderr.slice(-1500)}`));
      else resolve(JSON.parse(line.slice("RESULTS ".length)) as Record<string, unknown>);
    });
  });
}

describe.each(["bun", "deno"] as const)("Client({ tls }) in %s", (runtime) => {
  it.skipIf(!existsSync(RUNTIMES[runtime]))("private CA, TlsError without it, and RFC 8705 mutual TLS", async () => {
    const results = await runIn(runtime);
    expect(results.ca).toBe(200);
    expect(results["no-ca"]).toMatch(/^TlsError unknown-ca .*tls\.ca/);
    expect(results.mtls).toBe(certificates.client.thumbprint);
  });
});

describe("a runtime whose fetch cannot be configured", () => {
  it("gets a TlsError unsupported-runtime at construction, not a silent ignore", async () => {
    // A web-standard runtime (workerd, a browser worker): Node with its process object hidden.
    const script = `
      Object.defineProperty(globalThis, "process", { value: undefined });
      const { Client, TlsError } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
      try { new Client({ tls: { ca: ${JSON.stringify(certificates.ca.cert)} } }); console.log("RESULTS constructed"); }
      catch (error) { console.log("RESULTS " + (error instanceof TlsError) + " " + error.reason + " " + error.message); }
    `;
    const output = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ["--input-type=module", "-e", script], (error, stdout) =>
        error === null ? resolve(stdout) : reject(error),
      );
    });
    expect(output).toMatch(
      /^RESULTS true unsupported-runtime TLS options \(tls\) need a runtime whose fetch can be configured/m,
    );
  });
});
