/**
 * The DPoP bench (issue 16): the same GET of a protected resource with a
 * cached token, Bearer and DPoP, through Client, withAuth(fetch) and
 * authInterceptor, and through oauth4webapi's DPoP — in the same run, rounds
 * interleaved, the server in a process of its own. Reports requests per
 * second, p50, the client's CPU per request (all its threads: WebCrypto signs
 * on the thread pool) and round trips per request; a DPoP row's extra CPU
 * over its Bearer row is the proof's cost per request. Then a server with
 * one-time nonces (RFC 9449 §8): round trips per request, sequential and
 * concurrent. First, the proof alone (`DpopSigner.proof`, ES256).
 *
 * `npm run bench:dpop`. Environment: `DPOP_CONCURRENCY=1,16`,
 * `DPOP_SECONDS=3`, `DPOP_ROUNDS=3`, `DPOP_OUT=file.json`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { DpopSigner } from "../src/oauth2/dpop.js";
import { generateDpopKey } from "../src/oauth2/dpop-key.js";
import { CHECKING, CONTENDERS, type Contender, ECHO, NONCE_CONTENDERS, type Paths } from "./dpop-contenders.js";
import { closeStatsAgent, type Measurement, measure, median } from "./measure.js";

const concurrencies = (process.env.DPOP_CONCURRENCY ?? "1,16").split(",").map(Number);
const seconds = Number(process.env.DPOP_SECONDS ?? 3);
const rounds = Number(process.env.DPOP_ROUNDS ?? 3);
const compiled = import.meta.url.endsWith(".mjs");

interface ServerProcess {
  readonly url: string;
  stop(): Promise<void>;
}

async function startServer(options: object): Promise<ServerProcess> {
  const script = compiled
    ? [fileURLToPath(new URL("./server.mjs", import.meta.url))]
    : ["--import", "tsx", "bench/server.ts"];
  const child: ChildProcess = spawn(process.execPath, script, {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, BENCH_SERVER_OPTIONS: JSON.stringify(options) },
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the bench server exited early (${code})`)));
    lines.once("line", (line) => resolve((JSON.parse(line) as { url: string }).url));
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.stdin?.end();
    });
  return { url, stop };
}

/** The proof alone: latency of one awaited proof, CPU of every thread, and the event loop's share. */
async function proofCost(): Promise<Record<string, number>> {
  const signer = new DpopSigner(generateDpopKey());
  const url = "https://api.example.com/orders?page=1";
  const proof = () => signer.proof("GET", url, { accessToken: "a-cached-access-token" });
  for (let index = 0; index < 2_000; index++) await proof();
  const count = 10_000;
  const loop = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let index = 0; index < count; index++) await proof();
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const busy = performance.eventLoopUtilization(loop);
  return {
    latencyMicros: (wall * 1000) / count,
    cpuMicros: (used.user + used.system) / count,
    eventLoopMicros: (busy.active * 1000) / count,
  };
}

type Row = { name: string; concurrency: number } & Pick<
  Measurement,
  "throughput" | "p50" | "cpuMicros" | "roundTrips" | "errors"
>;

async function runRows(
  contenders: readonly Contender[],
  url: string,
  paths: Paths,
  concurrency: number,
): Promise<Row[]> {
  const ready = [];
  for (const contender of contenders) ready.push({ contender, ...(await contender.setup(url, paths)) });
  const results = new Map<string, Measurement[]>();
  for (let round = 0; round < rounds; round++) {
    for (const { contender, operation } of ready) {
      const measured = await measure(operation, { concurrency, warmupMs: 500, durationMs: seconds * 1000 }, url);
      results.set(contender.name, [...(results.get(contender.name) ?? []), measured]);
    }
  }
  await Promise.all(ready.map((entry) => entry.close()));
  return contenders.map((contender) => {
    const runs = results.get(contender.name) ?? [];
    const of = (pick: (run: Measurement) => number) => median(runs.map(pick));
    return {
      name: contender.name,
      concurrency,
      throughput: of((run) => run.throughput),
      p50: of((run) => run.p50),
      cpuMicros: of((run) => run.cpuMicros),
      roundTrips: of((run) => run.roundTrips),
      errors: runs.reduce((sum, run) => sum + run.errors, 0),
    };
  });
}

function table(rows: readonly Row[], contenders: readonly Contender[]): string {
  const byName = new Map(rows.map((row) => [`${row.concurrency} ${row.name}`, row]));
  const lines = [
    "| concurrency | contender | req/s | p50 ms | client CPU µs/req | round trips/req | vs its Bearer row: CPU +µs, req/s ratio |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    const baseline = contenders.find((contender) => contender.name === row.name)?.baseline;
    const base = baseline === undefined ? undefined : byName.get(`${row.concurrency} ${baseline}`);
    const versus =
      base === undefined
        ? ""
        : `+${(row.cpuMicros - base.cpuMicros).toFixed(0)} µs, ×${(row.throughput / base.throughput).toFixed(2)}`;
    lines.push(
      `| ${row.concurrency} | ${row.name} | ${row.throughput.toFixed(0)} | ${row.p50.toFixed(2)} | ${row.cpuMicros.toFixed(0)} | ${row.roundTrips.toFixed(2)} | ${versus} |${row.errors > 0 ? ` ${row.errors} errors` : ""}`,
    );
  }
  return lines.join("\n");
}

const proof = await proofCost();
console.log(
  `DPoP proof (ES256, WebCrypto): ${proof.latencyMicros?.toFixed(0)} µs per awaited proof, ` +
    `${proof.cpuMicros?.toFixed(0)} µs CPU (all threads), ${proof.eventLoopMicros?.toFixed(0)} µs on the event loop\n`,
);
const plain = await startServer({});
const echoRows: Row[] = [];
const rows: Row[] = [];
for (const concurrency of concurrencies) echoRows.push(...(await runRows(CONTENDERS, plain.url, ECHO, concurrency)));
for (const concurrency of concurrencies) rows.push(...(await runRows(CONTENDERS, plain.url, CHECKING, concurrency)));
await plain.stop();
console.log("The client's cost: every row requests httpbin's /anything (the server checks nothing):\n");
console.log(table(echoRows, CONTENDERS));
console.log("\nEnd to end: the server checks the token, and for DPoP verifies the proof (/oauth/dpop-protected):\n");
console.log(table(rows, CONTENDERS));
const oneTime = await startServer({ dpop: { requireNonce: true, nonceMode: "one-time" } });
const nonceRows: Row[] = [];
for (const concurrency of [1, 8]) {
  nonceRows.push(...(await runRows(NONCE_CONTENDERS, oneTime.url, CHECKING, concurrency)));
}
await oneTime.stop();
console.log("\nOne-time nonces (every answer carries the next nonce; a nonce is good for one proof):\n");
console.log(table(nonceRows, NONCE_CONTENDERS));
const ratios = concurrencies.map((concurrency) => {
  const ratio = (set: readonly Row[]) => {
    const find = (name: string) => set.find((row) => row.concurrency === concurrency && row.name === name);
    return (find("withAuth(fetch) · DPoP")?.throughput ?? 0) / (find("oauth4webapi · DPoP")?.throughput ?? 1);
  };
  return { concurrency, echo: ratio(echoRows), checking: ratio(rows) };
});
console.log(
  `\nwithAuth(fetch) DPoP ÷ oauth4webapi DPoP (req/s): ${ratios
    .map(
      (ratio) =>
        `×${ratio.echo.toFixed(2)} (client cost) and ×${ratio.checking.toFixed(2)} (end to end) at ${ratio.concurrency}`,
    )
    .join("; ")}`,
);
await closeStatsAgent();
if (process.env.DPOP_OUT !== undefined) {
  await writeFile(process.env.DPOP_OUT, `${JSON.stringify({ proof, echoRows, rows, nonceRows, ratios }, null, 2)}\n`);
}
