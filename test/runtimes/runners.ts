import { type ChildProcess, execFile, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";

/** One case's outcome, as the scenario reports it. */
export interface CaseResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
}

/** What a runtime reported: its version and each case's result. */
export interface Outcome {
  readonly version: string;
  readonly results: readonly CaseResult[];
}

/** Where a run finds its inputs: the test server, a closed port, the built bundles and a scratch folder. */
export interface RunContext {
  readonly serverURL: string;
  readonly closedURL: string;
  /** The esbuild bundle of src/index.ts (platform neutral). */
  readonly bundle: string;
  /** src/index.ts and src/undici/index.ts in one bundle (platform node). */
  readonly undiciBundle: string;
  /** A scratch folder of this run, removed afterwards. */
  readonly scratch: string;
}

/** This folder: the scenario, the runners, and node_modules with the runtimes. */
export const HERE = fileURLToPath(new URL(".", import.meta.url));
export const MODULES = join(HERE, "node_modules");

/** A child's whole run must end within this (a hang is a failure, not a stuck suite). */
const RUN_LIMIT_MS = 90_000;

/** Runs `binary args…` and reads the `RESULTS <JSON>` line it prints. */
export function runCommand(binary: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const options = { cwd: HERE, env: { ...process.env, NO_COLOR: "1", ...env }, timeout: RUN_LIMIT_MS };
    execFile(binary, args, options, (error, stdout, stderr) => {
      const line = stdout.split("\n").find((text) => text.startsWith("RESULTS "));
      if (line !== undefined) resolve(JSON.parse(line.slice("RESULTS ".length)) as Outcome);
      else reject(new Error(`${binary} printed no results (${error?.message ?? "exit 0"}): ${stderr.slice(-2000)}`));
    });
  });
}

/** The scenario's config for the command-line runners, as run.mjs takes it. */
export function scenarioArgs(context: RunContext): string[] {
  const config = { baseURL: context.serverURL, closedURL: context.closedURL };
  return ["run.mjs", pathToFileURL(context.bundle).href, JSON.stringify(config)];
}

/** Deno with the network limited to loopback and reads to the scenario and the bundle. */
export function denoArgs(context: RunContext): string[] {
  return [
    "run",
    "--no-prompt",
    "--allow-net=127.0.0.1",
    `--allow-read=${HERE},${context.scratch}`,
    ...scenarioArgs(context),
  ];
}

export function denoEnv(context: RunContext): NodeJS.ProcessEnv {
  return { DENO_DIR: join(context.scratch, "deno"), DENO_NO_UPDATE_CHECK: "1" };
}

/** A running workerd serving worker.mjs on a loopback port it picked itself. */
export interface Workerd {
  readonly url: string;
  /** Everything workerd wrote to stderr and stdout so far (uncaught errors, warnings). */
  log(): string;
  stop(): Promise<void>;
}

export const WORKERD = join(MODULES, "@cloudflare", "workerd-linux-64", "bin", "workerd");

/** The workerd package's version (the binary calls itself by its compatibility date). */
export function workerdVersion(): string {
  return (JSON.parse(readFileSync(join(MODULES, "workerd", "package.json"), "utf8")) as { version: string }).version;
}

/**
 * Starts workerd with the scenario as a Worker. The server's URL reaches the
 * Worker as the SERVER_URL binding; its fetches may reach loopback only
 * through a network service that allows "local" (the default allows public
 * addresses only). Port 0 and `--control-fd` tell us the port it got.
 */
export async function startWorkerd(context: RunContext): Promise<Workerd> {
  const folder = join(context.scratch, "workerd");
  mkdirSync(folder, { recursive: true });
  copyFileSync(join(HERE, "worker.mjs"), join(folder, "worker.mjs"));
  copyFileSync(join(HERE, "scenario.mjs"), join(folder, "scenario.mjs"));
  copyFileSync(context.bundle, join(folder, "authflow.mjs"));
  writeFileSync(join(folder, "config.capnp"), workerdConfig(context));
  const child = spawn(WORKERD, ["serve", "config.capnp", "--control-fd=3"], {
    cwd: folder,
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  let log = "";
  const collect = (chunk: Buffer) => {
    log += chunk.toString("utf8");
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const port = await listenPort(child, () => log);
  return { url: `http://127.0.0.1:${port}`, log: () => log, stop: () => stopChild(child) };
}

function workerdConfig(context: RunContext): string {
  const text = (value: string) => JSON.stringify(value);
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "scenario.mjs", esModule = embed "scenario.mjs"),
    (name = "authflow.mjs", esModule = embed "authflow.mjs"),
  ],
  compatibilityDate = "2026-11-01",
  globalOutbound = "loopback",
  bindings = [
    (name = "SERVER_URL", text = ${text(context.serverURL)}),
    (name = "CLOSED_URL", text = ${text(context.closedURL)}),
  ],
);
`;
}

/** Reads workerd's `{"event":"listen","port":N}` line from the control pipe (fd 3). */
function listenPort(child: ChildProcess, log: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let control = "";
    const timer = setTimeout(() => fail(new Error("workerd did not start listening within 20 s")), 20_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill();
      reject(new Error(`${error.message}: ${log().slice(-2000)}`));
    };
    (child.stdio[3] as Readable).on("data", (chunk: Buffer) => {
      control += chunk.toString("utf8");
      const match = /"event":"listen"[^}]*"port":(\d+)/.exec(control);
      if (match === null) return;
      clearTimeout(timer);
      resolve(Number(match[1]));
    });
    child.once("exit", (code) => fail(new Error(`workerd exited (${code})`)));
    child.once("error", fail);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill();
  });
}

/** Schemes the concurrency probe sends through a module-level Client, as worker.mjs names them. */
const SHARED_SCHEMES = ["basic", "digest", "client-credentials"] as const;

/**
 * Issue 21 (B): `rounds` times per scheme, 6 concurrent requests to the Worker,
 * each sending one request through the same module-level Client, cold at the
 * start of each round. Resolves to undefined when every answer was a 200, else
 * to what failed (counts, then workerd's first complaints).
 */
export async function concurrencyProbe(workerd: Workerd, rounds: number): Promise<string | undefined> {
  const failures: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const scheme of SHARED_SCHEMES) {
      const answers = await Promise.all(Array.from({ length: 6 }, () => sharedRequest(workerd.url, scheme, round)));
      const failed = answers.filter((answer) => answer !== "200");
      if (failed.length > 0)
        failures.push(`round ${round}, ${scheme}: ${failed.length} of 6 failed (${failed.join(", ")})`);
    }
  }
  if (failures.length === 0) return undefined;
  const complaints = workerd
    .log()
    .split("\n")
    .filter((line) => /hung|different request context|Uncaught/.test(line))
    .map((line) => line.replace(/^.*?(Uncaught exception|Warning)/, "$1").slice(0, 300));
  return `${failures.join("; ")}. workerd said: ${[...new Set(complaints)].slice(0, 3).join(" | ")}`;
}

async function sharedRequest(workerURL: string, scheme: string, round: number): Promise<string> {
  const response = await fetch(`${workerURL}/shared?scheme=${scheme}&generation=${round}`);
  const text = await response.text();
  if (response.status !== 200) return `HTTP ${response.status}`;
  const answer = JSON.parse(text) as { status: number; error?: string };
  return answer.status === 200 ? "200" : (answer.error ?? `upstream ${answer.status}`);
}

/** workerd (B): rounds of 6 concurrent requests per scheme; each round starts from a cold Client. */
const CONCURRENCY_ROUNDS = 4;
export const CONCURRENCY_CASE = "concurrent-cold-client";

/** The scenario in workerd, then the concurrency probe (issue 21 (B)). */
export async function runWorkerd(context: RunContext): Promise<Outcome> {
  const workerd = await startWorkerd(context);
  try {
    const answer = await fetch(`${workerd.url}/scenario`);
    const { results } = (await answer.json()) as Pick<Outcome, "results">;
    const failure = await concurrencyProbe(workerd, CONCURRENCY_ROUNDS);
    const concurrency = { name: CONCURRENCY_CASE, ok: failure === undefined, ...(failure ? { error: failure } : {}) };
    return { version: workerdVersion(), results: [...results, concurrency] };
  } finally {
    await workerd.stop();
  }
}

/** Whether `path` exists, for the "is it installed" checks. */
export const installed = (path: string): boolean => existsSync(path);
