/**
 * The proxy bench (issue 15): GETs of an http: origin through a real squid
 * with proxy authentication, in the same run, rounds interleaved —
 *   undici.request + undici's ProxyAgent with a hand-set Proxy-Authorization (Basic)
 *   undici.request + authflow's proxyAgent
 *   fetch + undici's ProxyAgent, hand-set
 *   authflow's Client({ proxy })
 * for Basic and for Digest. The baselines send one header by hand: Basic, or
 * a Digest answer computed once — which squid accepts again and again only
 * with `check_nonce_count off` and a large `nonce_max_count`, so the Digest
 * squid runs so (the tests run it with `check_nonce_count on`); authflow
 * sends a fresh `nc` each time, as it must.
 * Reports requests per second, this process's CPU per request, each
 * authflow row's throughput ratio to the baseline of its API (target ≥
 * 0.90), and proxy round trips per request, from squid's access log (target
 * 1.00 after the first exchange). squid shares the machine: with Digest it
 * verifies a fresh `nc` per authflow request, where the baseline repeats one
 * header, so the CPU column is the fairer measure of authflow's own cost.
 *
 * `npm run bench:proxy` (esbuild-compiled, plain node). Environment:
 * `PROXY_CONCURRENCY=16`, `PROXY_SECONDS=1`, `PROXY_ROUNDS=5`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { Pool, ProxyAgent, request, Client as UndiciClient } from "undici";
import { BasicAuth, Client, DigestAuth } from "../src/index.js";
import { proxyMode } from "../src/schemes/digest-proxy.js";
import { proxyAgent } from "../src/undici/index.js";
import { SQUID, type Squid, startSquid } from "../test/interop/squid.js";

const concurrency = Number(process.env.PROXY_CONCURRENCY ?? 16);
const seconds = Number(process.env.PROXY_SECONDS ?? 1);
const rounds = Number(process.env.PROXY_ROUNDS ?? 7);
const USER = "bench";
const PASSWORD = "bench password";

type Send = () => Promise<void>;
interface Contender {
  readonly name: string;
  /** The baseline this row is compared with (undefined: it is a baseline). */
  readonly against?: string;
  readonly send: Send;
  readonly close: () => Promise<void>;
  /** Whether its proxy hits count towards authflow's round trips. */
  readonly ours: boolean;
}

function contenders(squid: Squid, target: string, scheme: "basic" | "digest", handSet: string): Contender[] {
  const undiciProxy = new ProxyAgent({ uri: squid.url, token: handSet, proxyTunnel: false });
  const extra = scheme === "digest" ? [freshDigest(squid, target)] : [];
  const ours = proxyAgent({
    url: squid.url,
    auth: scheme === "basic" ? new BasicAuth(USER, PASSWORD) : [USER, PASSWORD],
  });
  const client = new Client({ proxy: { url: squid.url, auth: [USER, PASSWORD] }, timeout: false });
  const viaRequest =
    (dispatcher: ProxyAgent | typeof ours): Send =>
    async () => {
      const { body } = await request(target, { dispatcher });
      await body.dump();
    };
  return [
    {
      name: "undici.request + ProxyAgent (hand-set)",
      send: viaRequest(undiciProxy),
      close: () => undiciProxy.close(),
      ours: false,
    },
    ...extra,
    {
      name: "undici.request + proxyAgent",
      against: "undici.request + ProxyAgent (hand-set)",
      send: viaRequest(ours),
      close: () => ours.close(),
      ours: true,
    },
    {
      name: "fetch + ProxyAgent (hand-set)",
      send: async () => {
        await (await fetch(target, { dispatcher: undiciProxy } as RequestInit)).arrayBuffer();
      },
      close: async () => {},
      ours: false,
    },
    {
      name: "Client({ proxy })",
      against: "fetch + ProxyAgent (hand-set)",
      send: async () => {
        await (await client.get(target)).arrayBuffer();
      },
      close: () => client.close(),
      ours: true,
    },
  ];
}

/** Requests per second at `concurrency` for `seconds`, this process's CPU per request (µs), and how many went out. */
async function measure(send: Send): Promise<{ rate: number; cpu: number; requests: number }> {
  const end = performance.now() + seconds * 1000;
  let requests = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await send();
        requests++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  return { rate: requests / ((performance.now() - started) / 1000), cpu: (cpu.user + cpu.system) / requests, requests };
}

async function run(scheme: "basic" | "digest", target: string): Promise<void> {
  const users = { [USER]: PASSWORD };
  const squid = await startSquid(
    scheme === "basic" ? { basic: users } : { digest: users, checkNonceCount: false, nonceMaxCount: 10_000_000 },
  );
  const handSet = scheme === "basic" ? `Basic ${btoa(`${USER}:${PASSWORD}`)}` : await digestAnswer(squid, target);
  const rows = contenders(squid, target, scheme, handSet);
  const rates = new Map<string, number[]>(rows.map((row) => [row.name, []]));
  const cpus = new Map<string, number[]>(rows.map((row) => [row.name, []]));
  let ourRequests = 0;
  let ourHits = 0;
  try {
    for (const row of rows) await measureWarm(row);
    for (let round = 0; round < rounds; round++) {
      for (const row of rows) {
        const before = squid.log().length;
        const { rate, cpu, requests } = await measure(row.send);
        rates.get(row.name)?.push(rate);
        cpus.get(row.name)?.push(cpu);
        if (row.ours) {
          ourRequests += requests;
          ourHits += (await squid.settledLog(before + requests)).length - before;
        }
      }
    }
  } finally {
    await Promise.all(rows.map((row) => row.close()));
    await squid.stop();
  }
  console.log(
    `\n${scheme === "basic" ? "Basic" : "Digest"} proxy auth, ${concurrency} in flight, ${rounds} rounds of ${seconds} s:`,
  );
  for (const row of rows) {
    const own = rates.get(row.name) ?? [];
    const base = row.against === undefined ? undefined : (rates.get(row.against) ?? []);
    // Ratios are taken round by round (both rows ran back to back), then their median: a noisy moment hits both.
    const ratio =
      base === undefined
        ? ""
        : `  ${middle(own.map((rate, round) => rate / (base[round] ?? rate))).toFixed(2)}× (target ≥ 0.90)`;
    const cpu = middle(cpus.get(row.name) ?? []).toFixed(0);
    console.log(
      `  ${row.name.padEnd(40)} ${middle(own).toFixed(0).padStart(6)} req/s  ${cpu.padStart(4)} µs CPU/req${ratio}`,
    );
  }
  const byHand = rates.get("undici.request + Digest per request (by hand)");
  if (byHand !== undefined) {
    const ours = rates.get("undici.request + proxyAgent") ?? [];
    const ratio = middle(ours.map((rate, round) => rate / (byHand[round] ?? rate)));
    console.log(`  undici.request + proxyAgent ÷ Digest per request by hand: ${ratio.toFixed(2)}×`);
  }
  console.log(`  authflow's proxy round trips per request: ${(ourHits / ourRequests).toFixed(3)} (target 1.00)`);
}

/**
 * What correct Digest costs with no dispatcher in between: undici.request on
 * a Pool to squid in absolute form, a fresh `nc` computed per request by
 * authflow's Digest engine. authflow's rows are compared with it as well.
 */
function freshDigest(squid: Squid, target: string): Contender {
  const pool = new Pool(squid.url);
  const digest = new DigestAuth(USER, PASSWORD)[proxyMode]();
  const round = { scheme: undefined, session: undefined, fresh: false, staleRetried: false };
  const path = new URL(target).pathname;
  const headers = (authorization: string | undefined) => ({
    host: new URL(target).host,
    ...(authorization === undefined ? {} : { "proxy-authorization": authorization }),
  });
  return {
    name: "undici.request + Digest per request (by hand)",
    send: async () => {
      const authorization = digest.preemptive(squid.url, "GET", path, round);
      const answer = await pool.request({ method: "GET", path: target, headers: headers(authorization) });
      await answer.body.dump();
      if (answer.statusCode !== 407) return;
      digest.answer(squid.url, [answer.headers["proxy-authenticate"] ?? []].flat().join(", "), "GET", path, round);
    },
    close: () => pool.close(),
    ours: false,
  };
}

/** One Digest answer to squid's challenge, made once for the baseline to send by hand. */
async function digestAnswer(squid: Squid, target: string): Promise<string> {
  // undici's ProxyAgent turns a 407 into an error: ask squid directly, in absolute form.
  const direct = new UndiciClient(squid.url);
  const { headers, body } = await direct.request({
    method: "GET",
    path: target,
    headers: { host: new URL(target).host },
  });
  await body.dump();
  await direct.close();
  const challenge = [headers["proxy-authenticate"] ?? []].flat().join(", ");
  const round = { scheme: undefined, session: undefined, fresh: false, staleRetried: false };
  const answer = new DigestAuth(USER, PASSWORD)
    [proxyMode]()
    .answer(squid.url, challenge, "GET", new URL(target).pathname, round);
  if (answer === undefined) throw new Error(`squid offered no Digest challenge: ${challenge}`);
  return answer;
}

/** The first exchange (the 407) and the connections, before anything is measured. */
async function measureWarm(row: Contender): Promise<void> {
  for (let index = 0; index < concurrency * 4; index++) await row.send();
}

function middle(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

if (SQUID === undefined) {
  console.error("squid is not installed (Debian: apt-get install squid)");
  process.exit(1);
}
const origin = createServer((_request, response) => response.end("ok"));
origin.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
const target = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/resource`;
try {
  await run("basic", target);
  await run("digest", target);
} finally {
  origin.closeAllConnections();
  origin.close();
}
