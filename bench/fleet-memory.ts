/**
 * Bytes per cached entry of every cache authflow keeps, and its bound (issue
 * 13.4), measured as heap growth after full collections in a child
 * `node --expose-gc` (`measureMemory()` starts it; run directly with the
 * argument `child`, it prints one JSON line). Entries are made through the
 * same calls the send path makes, with realistic sizes: JWT-sized tokens,
 * 64-character hex key names, a Digest challenge per realm.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { OAuthError } from "../src/errors.js";
import { RejectionGuard } from "../src/guard/guard.js";
import { ORDINARY_ENTRIES, PROTECTED_ENTRIES } from "../src/guard/store.js";
import { BasicAuth, ClientCredentialsAuth, DigestAuth, MemoryTokenStore, type Token } from "../src/index.js";
import { CredentialGuard, REJECTION_MEMORY } from "../src/oauth2/rejections.js";
import { RedisTokenStore } from "../src/redis/index.js";
import { MAX_SPACES, MAX_SPACES_PER_ORIGIN } from "../src/schemes/digest-spaces.js";
import { startTestServer } from "../src/server/index.js";
import { startRedisServer } from "../test/redis/redis-server.js";

/** One cache's figure. */
export interface MemoryFigure {
  cache: string;
  entries: number;
  bytesPerEntry: number;
  bound: string;
}

const gc = (globalThis as { gc?: () => void }).gc;

function heap(): number {
  for (let round = 0; round < 3; round++) gc?.();
  return process.memoryUsage().heapUsed;
}

/**
 * Heap growth per entry of what `fill(count)` keeps: the median of 3 fills.
 * Every fill stays alive until the end, and each adds entries of its own
 * (see `entries`), so a round's growth is its entries alone — not an earlier
 * round's being collected meanwhile. A first, smaller fill warms up.
 */
async function perEntry(count: number, fill: (count: number) => Promise<unknown>): Promise<number> {
  const alive: unknown[] = [await fill(Math.ceil(count / 10))];
  const samples: number[] = [];
  for (let round = 0; round < 3; round++) {
    const before = heap();
    alive.push(await fill(count));
    samples.push((heap() - before) / count);
  }
  samples.sort((a, b) => a - b);
  if (alive.length === 0) console.log("");
  return Math.round(samples[1] as number);
}

/** Where the next fill starts, so that each fill adds entries of its own (process-wide caches included). */
let nextEntry = 0;

/** The indexes of the next `count` entries. */
function entries(count: number): number[] {
  const start = nextEntry;
  nextEntry += count;
  return Array.from({ length: count }, (_, offset) => start + offset);
}

const hex = (index: number) => index.toString(16).padStart(64, "0");

/** A token as a server issues one: a ~150-character JWT-like value and the raw answer. */
function token(index: number): Token {
  const accessToken = `eyJ${hex(index)}${hex(index * 7)}.${hex(index * 13).slice(0, 20)}`;
  const raw = { access_token: accessToken, token_type: "Bearer", expires_in: 3600, scope: "orders:read" };
  // Through JSON, as a token endpoint's answer arrives: flat strings, not ropes of their parts.
  return JSON.parse(
    JSON.stringify({ accessToken, tokenType: "Bearer", expiresAt: Date.now() + 3_600_000, scope: raw.scope, raw }),
  ) as Token;
}

async function memoryStore(count: number) {
  const store = new MemoryTokenStore();
  for (const index of entries(count)) await store.set(`authflow:oauth2:cc:${hex(index)}`, token(index), 3_600_000);
  return store;
}

async function redisStore(count: number, url: string) {
  const store = new RedisTokenStore({ url });
  for (const index of entries(count)) await store.set(`authflow:oauth2:cc:${hex(index)}`, token(index), 3_600_000);
  return store;
}

/** One configuration per scope set: the ClientCredentialsAuth, its TokenCache, the shared registry, the token. */
async function configurations(count: number, tokenUrl: string) {
  const store = new MemoryTokenStore();
  const auths: ClientCredentialsAuth[] = [];
  const indexes = entries(count);
  for (let start = 0; start < count; start += 100) {
    const batch = indexes.slice(start, start + 100).map(
      (index) =>
        new ClientCredentialsAuth({
          tokenUrl,
          clientId: "basic-client",
          clientSecret: "basic-secret",
          scope: `tenant-${index}`,
          store,
        }),
    );
    await Promise.all(batch.map((auth) => auth.getToken()));
    auths.push(...batch);
  }
  return auths;
}

/** The send path's guard entries: a rejected request per origin. */
async function guardEntries(count: number) {
  const guard = new RejectionGuard();
  const auth = new BasicAuth("user", "passwd");
  const rejected = new Response(null, { status: 401, headers: { "www-authenticate": 'Basic realm="api"' } });
  for (const index of entries(count)) {
    const origin = `http://127.${1 + (index >> 16)}.${(index >> 8) & 255}.${index & 255}:8080`;
    guard.record(auth, origin, rejected, (await guard.enter(auth, origin)) as boolean);
  }
  return guard;
}

/** Digest protection spaces: 8 realms (the most kept per origin) on each of count / 8 origins. */
async function digestSpaces(count: number) {
  const auth = new DigestAuth("user", "passwd");
  for (const index of entries(count)) {
    const origin = `http://127.${1 + (index >> 11)}.${(index >> 3) & 255}.1:8080`;
    const flow = auth.authFlow(new Request(`${origin}/data`)) as Generator<Request, void, Response>;
    flow.next();
    const nonce = randomBytes(16).toString("hex");
    const realm = `realm ${index % MAX_SPACES_PER_ORIGIN}`;
    flow.next(
      new Response(null, {
        status: 401,
        headers: {
          "www-authenticate": `Digest realm="${realm}", nonce="${nonce}", opaque="${nonce}", qop="auth", algorithm=SHA-256`,
        },
      }),
    );
    flow.return();
  }
  return auth;
}

/** The token endpoint's guard: one rejected credential identity per entry. */
async function rejectedCredentials(count: number) {
  const rejection = new OAuthError("rejected", { error: "invalid_client", status: 401 });
  for (const index of entries(count)) {
    const guard = new CredentialGuard(`authflow:oauth2:client:${hex(index)}`, "https://as.example/token", Date.now);
    await guard.attempt(() => Promise.reject(rejection)).catch(() => {});
  }
  return count;
}

async function child(): Promise<MemoryFigure[]> {
  if (gc === undefined) throw new Error("run with node --expose-gc");
  const redis = await startRedisServer();
  const server = await startTestServer({ tokenTtlSeconds: 3600 });
  try {
    const figures: MemoryFigure[] = [
      {
        cache: "MemoryTokenStore entry (a token)",
        entries: 10_000,
        bytesPerEntry: await perEntry(10_000, (count) => memoryStore(count)),
        bound: "maxEntries (default 10,000), expired entries swept",
      },
      {
        cache: "RedisTokenStore local copy (a token, in this process)",
        entries: 5_000,
        bytesPerEntry: await perEntry(5_000, (count) => redisStore(count, redis.url)),
        bound: "10,000 (its MemoryTokenStore), expired entries swept",
      },
      {
        cache: "token cache per configuration (ClientCredentialsAuth + TokenCache + registry + its token)",
        entries: 1_000,
        bytesPerEntry: await perEntry(1_000, (count) => configurations(count, `${server.url}/oauth/token`)),
        bound: "the instances are the application's; registry 1,024 per store, tokens as above",
      },
      {
        cache: "bad-credential guard entry (send path, per origin and credentials)",
        entries: 600,
        // Under the bound across every fill (warm-up and three rounds): nothing is evicted while measured.
        bytesPerEntry: await perEntry(600, guardEntries),
        bound: `${ORDINARY_ENTRIES.toLocaleString("en")} + ${PROTECTED_ENTRIES.toLocaleString("en")} entries`,
      },
      {
        cache: "Digest protection space (challenge, realm, nonce count)",
        entries: MAX_SPACES,
        bytesPerEntry: await perEntry(MAX_SPACES, digestSpaces),
        bound: `${MAX_SPACES_PER_ORIGIN} per origin, ${MAX_SPACES} per DigestAuth`,
      },
      {
        cache: "token endpoint guard entry (a rejected client credential)",
        entries: 1_000,
        bytesPerEntry: await perEntry(1_000, rejectedCredentials),
        bound: `${REJECTION_MEMORY.toLocaleString("en")} entries`,
      },
    ];
    return figures;
  } finally {
    await server.close();
    await redis.stop();
  }
}

/** Runs the measurement in a child with `--expose-gc`. */
export function measureMemory(): Promise<MemoryFigure[]> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--expose-gc", "--import", "tsx", self, "child"],
      { timeout: 300_000, maxBuffer: 1 << 20 },
      (error, stdout) => {
        if (error !== null) reject(error);
        else resolve(JSON.parse(stdout.trim().split("\n").at(-1) as string) as MemoryFigure[]);
      },
    );
  });
}

/** The figures as a Markdown table. */
export function memoryTable(rows: MemoryFigure[]): string {
  const header = "| cache | entries measured | bytes per entry | bound |\n| --- | ---: | ---: | --- |";
  return [header, ...rows.map((row) => `| ${row.cache} | ${row.entries} | ${row.bytesPerEntry} | ${row.bound} |`)].join(
    "\n",
  );
}

if (process.argv[2] === "child") {
  const figures = await child();
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  process.exit(0);
}
