/**
 * 1,000 requests at once on an expired token, in one process (issue 13.2):
 * what the refresh adds over the same burst on a fresh token, with a
 * RedisTokenStore and with a MemoryTokenStore, against one token round trip.
 * Both bursts run the full flow (the fresh one after the fast path's store
 * check fell due: one store read for the burst), so the difference is the
 * refresh alone. A clock of our own (`now`) moves time on without waiting.
 * Run by bench/fleet.ts.
 */
import { ClientCredentialsAuth, MemoryTokenStore, type TokenStore, withAuth } from "../src/index.js";
import { STORE_CHECK_MS } from "../src/oauth2/token-cache.js";
import { RedisTokenStore } from "../src/redis/index.js";
import { startTestServer, type TestServer } from "../src/server/index.js";
import { percentile } from "../test/redis/fleet.js";
import { startRedisServer } from "../test/redis/redis-server.js";

const WAITERS = 1_000;
const ROUNDS = Number(process.env.FLEET_WAITER_ROUNDS ?? 9);
const TOKEN_TTL_SECONDS = 60;

/** The figures of one store, in milliseconds. */
export interface WaiterFigures {
  store: string;
  tokenRoundTrip: { p50: number; p99: number };
  fresh: { p50: number; p99: number };
  expired: { p50: number; p99: number };
  /** Medians over the rounds of (expired − fresh). */
  extraP50: number;
  extraP99: number;
  /** The same with 1,000 `getToken()` calls instead of requests: the cache's part alone, free of HTTP noise. */
  cacheExtraP50: number;
  cacheExtraP99: number;
  /** 3 × the token round trip (p50) + 20 ms: the target for extraP99. */
  target: number;
  tokenRequestsPerExpiredBurst: number;
}

const round1 = (value: number) => Math.round(value * 10) / 10;
const median = (values: number[]) => percentile(values, 0.5);

/** Latencies of `WAITERS` requests sent at once. */
async function burst(api: (url: string) => Promise<Response>, url: string): Promise<number[]> {
  return Promise.all(
    Array.from({ length: WAITERS }, async () => {
      const started = performance.now();
      const response = await api(url);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`status ${response.status}`);
      return performance.now() - started;
    }),
  );
}

/** Latencies of `WAITERS` getToken() calls made at once. */
async function tokenBurst(auth: ClientCredentialsAuth): Promise<number[]> {
  return Promise.all(
    Array.from({ length: WAITERS }, async () => {
      const started = performance.now();
      await auth.getToken();
      return performance.now() - started;
    }),
  );
}

/** Median over the rounds of (expired − fresh) at `fraction`. */
function extra(fresh: number[][], expired: number[][], fraction: number): number {
  const differences = expired.map(
    (run, index) => percentile(run, fraction) - percentile(fresh[index] as number[], fraction),
  );
  return round1(median(differences));
}

/** Sequential token requests straight to the endpoint: what one refresh costs on the wire. */
async function tokenRoundTrip(server: TestServer): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let index = 0; index < 30; index++) {
    const started = performance.now();
    const response = await fetch(`${server.url}/oauth/token`, {
      method: "POST",
      headers: {
        authorization: `Basic ${btoa("basic-client:basic-secret")}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "grant_type=client_credentials",
    });
    await response.arrayBuffer();
    times.push(performance.now() - started);
  }
  return { p50: round1(percentile(times, 0.5)), p99: round1(percentile(times, 0.99)) };
}

/** A clock that runs with the real one, plus what `advance` added. */
function movableClock() {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance: (ms: number) => {
      offset += ms;
    },
  };
}

async function measureStore(
  name: string,
  store: TokenStore,
  server: TestServer,
  clock: ReturnType<typeof movableClock>,
): Promise<WaiterFigures> {
  const auth = new ClientCredentialsAuth({
    tokenUrl: `${server.url}/oauth/token`,
    clientId: "basic-client",
    clientSecret: "basic-secret",
    store,
    now: clock.now,
  });
  const api = withAuth(fetch, auth);
  const url = `${server.url}/oauth/protected`;
  await burst(api, url); // warm-up: connections, JIT
  const fresh: number[][] = [];
  const expired: number[][] = [];
  const cacheFresh: number[][] = [];
  const cacheExpired: number[][] = [];
  let tokenRequests = 0;
  // Fresh: the fast path's store check is due, so the burst runs the flow and reads the store once.
  const freshRound = async (run: () => Promise<number[]>, into: number[][]) => {
    const token = await auth.getToken({ forceRefresh: true });
    clock.advance(STORE_CHECK_MS + 10);
    into.push(await run());
    return token;
  };
  const expiredRound = async (token: { expiresAt?: number }, run: () => Promise<number[]>, into: number[][]) => {
    clock.advance((token.expiresAt ?? 0) - clock.now() + 10);
    const before = server.stats().tokenRequests;
    into.push(await run());
    tokenRequests += server.stats().tokenRequests - before;
  };
  for (let round = 0; round < ROUNDS; round++) {
    await expiredRound(await freshRound(() => burst(api, url), fresh), () => burst(api, url), expired);
    await expiredRound(await freshRound(() => tokenBurst(auth), cacheFresh), () => tokenBurst(auth), cacheExpired);
  }
  const roundTrip = await tokenRoundTrip(server);
  const p = (runs: number[][], fraction: number) => runs.map((run) => percentile(run, fraction));
  return {
    store: name,
    tokenRoundTrip: roundTrip,
    fresh: { p50: round1(median(p(fresh, 0.5))), p99: round1(median(p(fresh, 0.99))) },
    expired: { p50: round1(median(p(expired, 0.5))), p99: round1(median(p(expired, 0.99))) },
    extraP50: extra(fresh, expired, 0.5),
    extraP99: extra(fresh, expired, 0.99),
    cacheExtraP50: extra(cacheFresh, cacheExpired, 0.5),
    cacheExtraP99: extra(cacheFresh, cacheExpired, 0.99),
    target: round1(3 * roundTrip.p50 + 20),
    tokenRequestsPerExpiredBurst: tokenRequests / (2 * ROUNDS),
  };
}

/** Both stores, each against a fresh test server; Redis started here and stopped. */
export async function measureWaiters(): Promise<WaiterFigures[]> {
  const redis = await startRedisServer();
  const figures: WaiterFigures[] = [];
  try {
    for (const kind of ["RedisTokenStore", "MemoryTokenStore"]) {
      const server = await startTestServer({ tokenTtlSeconds: TOKEN_TTL_SECONDS });
      const clock = movableClock();
      const store =
        kind === "RedisTokenStore" ? new RedisTokenStore({ url: redis.url }) : new MemoryTokenStore({ now: clock.now });
      try {
        figures.push(await measureStore(kind, store, server, clock));
      } finally {
        if (store instanceof RedisTokenStore) await store.close();
        await server.close();
      }
    }
  } finally {
    await redis.stop();
  }
  return figures;
}

/** The figures as a Markdown table. */
export function waitersTable(rows: WaiterFigures[]): string {
  const header =
    "| store | token round trip p50 / p99 | fresh burst p50 / p99 | expired burst p50 / p99 | extra p50 / p99 | " +
    "getToken() only: extra p50 / p99 | target for extra p99 | token requests per burst |\n" +
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |";
  const lines = rows.map(
    (row) =>
      `| ${row.store} | ${row.tokenRoundTrip.p50} / ${row.tokenRoundTrip.p99} | ${row.fresh.p50} / ${row.fresh.p99} | ` +
      `${row.expired.p50} / ${row.expired.p99} | ${row.extraP50} / ${row.extraP99} | ` +
      `${row.cacheExtraP50} / ${row.cacheExtraP99} | ≤ ${row.target} | ` +
      `${row.tokenRequestsPerExpiredBurst} |`,
  );
  return [header, ...lines].join("\n");
}
