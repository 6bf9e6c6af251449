/**
 * Heap growth of authflow's caches, measured after full collections: run as
 * `node --expose-gc --import tsx memory-worker.ts <mode> <realCount> <directCount>`
 * (vitest's workers have no `gc`). Prints one JSON line.
 *
 * Each mode has two parts:
 * - real: `realCount` requests over real loopback sockets through one
 *   `Client`. Each origin is a different 127.x.y.z address; one undici Pool
 *   connects them all to the one test server on 127.0.0.1 (as curl's
 *   `--connect-to` does), since a server cannot listen on 100,000 addresses.
 * - direct: `directCount` more origins (or realms) handed to the same guard
 *   and Auth objects the way the send path does — `enter`, the flow with the
 *   server's answers, `record` — without sockets, to reach 100,000 within
 *   the suite's time.
 */
import { randomBytes } from "node:crypto";
import { Pool } from "undici";
import { RejectionGuard } from "../../src/guard/guard.js";
import { storeSize } from "../../src/guard/store.js";
import { type Auth, BasicAuth, Client, DigestAuth } from "../../src/index.js";
import { cachedSpaces } from "../../src/schemes/digest.js";
import { startTestServer } from "../../src/server/index.js";
import { startRealmServer } from "./realm-server.js";

const [mode = "", realArgument = "0", directArgument = "0"] = process.argv.slice(2);
const realCount = Number(realArgument);
const directCount = Number(directArgument);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc");

function heap(): number {
  for (let round = 0; round < 3; round++) gc?.();
  return process.memoryUsage().heapUsed;
}

/** The n-th origin: 127.1.0.0, 127.1.0.1, … (all loopback), on `port`. */
const originOf = (n: number, port: number) => `http://127.${1 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}:${port}`;

/** Runs `count` jobs, `width` at a time. */
async function spread(count: number, width: number, job: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await job(next++);
  };
  await Promise.all(Array.from({ length: width }, lane));
}

async function expectStatus(response: Response, status: number): Promise<void> {
  await response.arrayBuffer();
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}`);
}

/** Drives `auth`'s (synchronous) flow for one GET as the driver does, with `answer` as the server. */
function drive(auth: Auth, url: string, answer: (request: Request) => Response): Response {
  const flow = auth.authFlow(new Request(url)) as Generator<Request, void, Response>;
  let step = flow.next();
  let response = new Response(null, { status: 599 });
  while (step.done !== true) {
    response = answer(step.value);
    step = flow.next(response);
  }
  return response;
}

const OK = new Response(null, { status: 200 });

/**
 * A Digest server's answers, in memory, for the direct part. With a realm per
 * challenge: one-time nonces, a fresh realm each time. With `fixedRealm`: one
 * shared challenge answer, each request with an Authorization accepted (the
 * flow reads only the headers; each parse still makes strings of its own).
 */
function digestAnswers(fixedRealm: string | undefined): (request: Request) => Response {
  if (fixedRealm !== undefined) {
    const challenge = new Response(null, {
      status: 401,
      headers: {
        "www-authenticate": `Digest realm="${fixedRealm}", nonce="${randomBytes(12).toString("hex")}", qop="auth"`,
      },
    });
    return (request) => (request.headers.has("authorization") ? OK : challenge);
  }
  const issued = new Set<string>();
  let challenges = 0;
  return (request) => {
    const nonce = /nonce="([^"]+)"/.exec(request.headers.get("authorization") ?? "")?.[1];
    if (nonce !== undefined && issued.delete(nonce)) return OK;
    const fresh = randomBytes(12).toString("hex");
    issued.add(fresh);
    return new Response(null, {
      status: 401,
      headers: {
        "www-authenticate": `Digest realm="realm ${++challenges} ${fresh.slice(0, 8)}", nonce="${fresh}", qop="auth"`,
      },
    });
  };
}

async function basic() {
  const server = await startTestServer();
  const port = Number(new URL(server.url).port);
  const pool = new Pool(server.url, { connections: 8 });
  const auth = new BasicAuth("user", "passwd");
  const client = new Client({ auth, fetch: (request) => fetch(request, { dispatcher: pool } as RequestInit) });
  const get = async (n: number) => expectStatus(await client.get(`${originOf(n, port)}/basic-auth/user/passwd`), 200);
  // Warm the transport and the code on one origin: what grows after the baseline is the origins' doing.
  await spread(500, 8, () => get(0));
  const baseline = heap();
  await spread(realCount, 8, (n) => get(1 + n));
  const real = heap() - baseline;
  const guard = new RejectionGuard();
  for (let n = 0; n < directCount; n++) {
    const origin = originOf(1 + realCount + n, port);
    guard.record(auth, origin, OK, guard.enter(auth, origin) as boolean);
  }
  const direct = heap() - baseline;
  await pool.close();
  await server.close();
  return { real, direct, store: storeSize(), requests: server.stats().routes["basic-auth"] };
}

async function digest() {
  const server = await startRealmServer("user", "passwd", { fixedRealm: "one area" });
  const pool = new Pool(server.url, { connections: 8 });
  const auth = new DigestAuth("user", "passwd");
  const client = new Client({ auth, fetch: (request) => fetch(request, { dispatcher: pool } as RequestInit) });
  const get = async (n: number) => expectStatus(await client.get(`${originOf(n, server.port)}/data`), 200);
  // Warm the transport and the code on one origin: what grows after the baseline is the origins' doing.
  // One at a time there: the server's nonces are single-use, so concurrent requests would spend each other's.
  await spread(300, 1, () => get(0));
  const baseline = heap();
  await spread(realCount, 8, (n) => get(1 + n));
  const real = heap() - baseline;
  const guard = new RejectionGuard();
  const answer = digestAnswers("one area");
  for (let n = 0; n < directCount; n++) {
    const origin = originOf(1 + realCount + n, server.port);
    const ticket = guard.enter(auth, origin) as boolean;
    guard.record(auth, origin, drive(auth, `${origin}/data`, answer), ticket);
  }
  const direct = heap() - baseline;
  await pool.close();
  await server.close();
  return { real, direct, store: storeSize(), spaces: auth[cachedSpaces], accepted: server.accepted() };
}

async function realms() {
  const server = await startRealmServer("user", "passwd");
  const auth = new DigestAuth("user", "passwd");
  const client = new Client({ auth });
  const get = async () => expectStatus(await client.get(`${server.url}/data`), 200);
  // One at a time: the server's nonces are single-use, so concurrent requests would spend each other's.
  await spread(100, 1, get);
  const baseline = heap();
  await spread(realCount, 1, get);
  const real = heap() - baseline;
  const realSpaces = auth[cachedSpaces];
  const answer = digestAnswers(undefined);
  const timings: number[] = [];
  for (let n = 0; n < directCount; n++) {
    if (n % 1000 === 0) timings.push(performance.now());
    if (drive(auth, `${server.url}/data`, answer).status !== 200) throw new Error("not accepted");
  }
  timings.push(performance.now());
  const direct = heap() - baseline;
  await server.close();
  const per1000 = timings.slice(1).map((time, index) => time - (timings[index] as number));
  return {
    real,
    direct,
    realSpaces,
    spaces: auth[cachedSpaces],
    challenges: server.challenges(),
    firstMs: per1000[0],
    lastMs: per1000.at(-1),
  };
}

const modes: Record<string, () => Promise<object>> = { basic, digest, realms };
const run = modes[mode];
if (run === undefined) throw new Error(`unknown mode ${mode}`);
console.log(JSON.stringify(await run()));
