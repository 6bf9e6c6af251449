/**
 * `npm run bench`: authflow against the raw transports and the peers, on
 * loopback, 64 requests in flight, interleaved over rounds so that a noisy
 * moment hits every contender alike. The test server runs in a process of its
 * own. Writes bench/results.json, bench/chart.svg and the results section of
 * BENCHMARKS.md. `BENCH_QUICK=1` for a short run; `BENCH_ROUNDS=n` for more rounds;
 * `BENCH_SCHEMES=basic,digest` to measure some schemes only; `BENCH_PIN=0` not
 * to pin the server and the client to cores of their own.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { closeStatsAgent, gcAccounted, type Measurement, measure, type Phase } from "./measure.js";
import { evaluateTargets, markdownTables, markdownTargets, type Summary, summarise, svgChart } from "./report.js";
import { availableSchemes, buildScenarios, type Core, closeAgents, type Scenario, type Scheme } from "./scenarios.js";
import { type CoreSize, coreSize } from "./size.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const quick = process.env.BENCH_QUICK === "1";
const rounds = Math.max(3, Number(process.env.BENCH_ROUNDS ?? (quick ? 3 : 7)));
// Short phases and more rounds beat long phases on a shared machine: ratios are taken round by round.
const phase: Phase = quick
  ? { concurrency: 64, warmupMs: 100, durationMs: 300 }
  : { concurrency: 64, warmupMs: 200, durationMs: 900 };
const SIZE_NAMES = ["BasicAuth", "DigestAuth", "BearerAuth", "withAuth"];
const SIZE_TARGET_BYTES = 8 * 1024;

/** Whether the server and this process run on cores of their own (see pinning()). */
let pinned = false;

interface ServerProcess {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * `npm run bench` runs this file compiled (.bench/run.mjs, by esbuild) with
 * plain node, as applications run authflow: under tsx's loader every promise
 * costs more, which taxes the contenders with more promise layers and skews
 * the ratios. Run from the sources (tsx bench/run.ts), it still works.
 */
const compiled = import.meta.url.endsWith(".mjs");

/** Starts the bench server in a child process and waits for the URL it prints. */
async function startServer(): Promise<ServerProcess> {
  const command = compiled
    ? [fileURLToPath(new URL("./server.mjs", import.meta.url))]
    : ["--import", "tsx", "bench/server.ts"];
  pinned = pinning();
  const child: ChildProcess = spawn(
    pinned ? "taskset" : process.execPath,
    pinned ? ["-c", "0", process.execPath, ...command] : command,
    {
      cwd: root,
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the bench server exited early (${code})`)));
    lines.once("line", (line) => resolve((JSON.parse(line) as { url: string }).url));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.stdin?.end();
      }),
  };
}

/**
 * Where `taskset` exists and there are two cores or more: the server on core
 * 0, this process on core 1, so the scheduler does not put them on one core
 * mid-phase. On a 2-core VM this narrowed the rounds' spread of the Basic
 * ratios (e.g. withAuth ÷ fetch 0.86–1.12 pinned against 0.83–1.27 not, two
 * runs each). `BENCH_PIN=0` turns it off.
 */
function pinning(): boolean {
  if (process.env.BENCH_PIN === "0" || os.cpus().length < 2) return false;
  try {
    execFileSync("taskset", ["-p", "-c", "1", String(process.pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Rounds × scenarios, interleaved: each round visits every scheme, and every row of it, starting elsewhere. */
async function runRounds(scenarios: readonly Scenario[], url: string): Promise<Map<Scenario, Measurement[]>> {
  const results = new Map<Scenario, Measurement[]>(scenarios.map((scenario) => [scenario, []]));
  const schemes = [...new Set(scenarios.map((scenario) => scenario.scheme))];
  for (let round = 0; round < rounds; round++) {
    for (const scheme of rotate(schemes, round)) {
      for (const scenario of rotate(
        scenarios.filter((each) => each.scheme === scheme),
        round,
      )) {
        const measured = await measure(scenario.operation, phase, url);
        results.get(scenario)?.push(measured);
        const errors = measured.errors > 0 ? `  ${measured.errors} errors (${measured.firstError})` : "";
        console.log(
          `round ${round + 1}/${rounds}  ${scheme.padEnd(9)} ${scenario.name.padEnd(30)} ` +
            `${Math.round(measured.throughput).toString().padStart(7)} req/s  ${measured.roundTrips.toFixed(2)} rt/req${errors}`,
        );
      }
    }
  }
  return results;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

function versions(): Record<string, string> {
  const version = (name: string): string => {
    try {
      // Read from the file: some packages' export maps do not expose package.json.
      return (JSON.parse(readFileSync(`${root}/node_modules/${name}/package.json`, "utf8")) as { version: string })
        .version;
    } catch {
      return "not installed";
    }
  };
  const own = JSON.parse(readFileSync(`${root}/package.json`, "utf8")) as { version: string };
  return {
    authflow: own.version,
    node: process.versions.node,
    "undici (authflow/undici, undici.request)": version("undici"),
    "undici in Node (global fetch)": process.versions.undici ?? "unknown",
    axios: version("axios"),
    got: version("got"),
    "digest-fetch": version("digest-fetch"),
    "@badgateway/oauth2-client": version("@badgateway/oauth2-client"),
    esbuild: version("esbuild"),
  };
}

function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverageAtStart: os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(" "),
  };
}

function writeOutputs(summaries: Summary[], missing: Scheme[], size: CoreSize, started: Date): string {
  const targets = evaluateTargets(summaries);
  const info = { machine: machine(), versions: versions() };
  const settings = { rounds, ...phase, quick, compiled, startedAt: started.toISOString() };
  const results = { settings, ...info, core: size, sizeTargetBytes: SIZE_TARGET_BYTES, summaries, targets, missing };
  writeFileSync(`${root}/bench/results.json`, `${JSON.stringify(results, null, 2)}\n`);
  const caption = `req/s, 64 in flight, loopback, median of ${rounds} rounds — ${info.machine.cpu} × ${info.machine.cores}`;
  writeFileSync(`${root}/bench/chart.svg`, svgChart(summaries, caption));
  const sizeLine =
    `Core size (${size.names.join(" + ")}, esbuild, minified + gzip -9): **${(size.gzippedBytes / 1024).toFixed(1)} KB** ` +
    `(${(size.minifiedBytes / 1024).toFixed(1)} KB minified); target < ${SIZE_TARGET_BYTES / 1024} KB: ` +
    `${size.gzippedBytes < SIZE_TARGET_BYTES ? "met" : "**missed**"}. Alone, gzipped: ` +
    `${Object.entries(size.alone)
      .map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(1)} KB`)
      .join(", ")}.\n\n` +
    "| part of the core | minified KB | share |\n| --- | ---: | ---: |\n" +
    Object.entries(size.parts)
      .sort((a, b) => b[1] - a[1])
      .map(
        ([part, bytes]) =>
          `| ${part} | ${(bytes / 1024).toFixed(1)} | ${Math.round((100 * bytes) / size.minifiedBytes)} % |`,
      )
      .join("\n");
  const section = [
    `Run of ${started.toISOString()}${quick ? " (BENCH_QUICK: short phases, figures are rough)" : ""}: ` +
      `${rounds} rounds, ${phase.durationMs} ms measured per scenario and round after ${phase.warmupMs} ms of warm-up; ` +
      `${compiled ? "compiled by esbuild, run by plain node" : "run from the sources through tsx"}` +
      `${pinned ? "; the server pinned to core 0 and the client to core 1 (taskset)" : ""}` +
      `${gcAccounted ? "; a full GC before each contender's warm-up" : "; without --expose-gc, so a phase may pay for the garbage of the one before"}.`,
    "",
    `Machine: ${info.machine.cpu}, ${info.machine.cores} cores, ${info.machine.memoryGiB} GiB, ${info.machine.os}; ` +
      `load average at start ${info.machine.loadAverageAtStart}.`,
    "",
    `Versions: ${Object.entries(info.versions)
      .map(([name, value]) => `${name} ${value}`)
      .join(", ")}.`,
    "",
    "![req/s per scheme and contender](bench/chart.svg)",
    "",
    markdownTables(summaries, missing),
    "### Targets",
    "",
    markdownTargets(targets),
    "",
    sizeLine,
  ].join("\n");
  updateBenchmarks(section);
  return section;
}

/** Replaces the generated part of BENCHMARKS.md (between its markers). */
function updateBenchmarks(section: string): void {
  const path = `${root}/BENCHMARKS.md`;
  const start = "<!-- bench:results:start -->";
  const end = "<!-- bench:results:end -->";
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    text = `# Benchmarks\n\n${start}\n${end}\n`;
  }
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) text = `${text.trimEnd()}\n\n${start}\n${end}\n`;
  const head = text.slice(0, text.indexOf(start) + start.length);
  const tail = text.slice(text.indexOf(end));
  writeFileSync(path, `${head}\n${section}\n${tail}`);
}

async function main(): Promise<void> {
  const started = new Date();
  const server = await startServer();
  try {
    const build = "../dist/index.js"; // what `npm run build` wrote: the code users run
    const core = (await import(build)) as Core;
    const present = availableSchemes(core, server.url);
    const missing = (["Digest", "OAuth 2.0"] as const).filter((scheme) => !present.has(scheme));
    for (const scheme of missing) console.log(`${scheme}: not available (not exported by dist/index.js)`);
    const only = process.env.BENCH_SCHEMES?.split(",").map((name) => name.trim().toLowerCase());
    const scenarios = (await buildScenarios(core, server.url)).filter(
      (scenario) => only === undefined || only.some((name) => scenario.scheme.toLowerCase().startsWith(name)),
    );
    const results = await runRounds(scenarios, server.url);
    const summaries = scenarios.map((scenario) => summarise(scenario, results.get(scenario) ?? []));
    const size = await coreSize(SIZE_NAMES.filter((name) => typeof core[name] === "function"));
    console.log(`\n${writeOutputs(summaries, [...missing], size, started)}`);
  } finally {
    await closeAgents();
    await closeStatsAgent();
    await server.stop();
  }
}

await main();
