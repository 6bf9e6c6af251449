/**
 * Digest challenges kept by `--session`: what the server said (the
 * `WWW-Authenticate` value, the nonce in use and how many requests used it),
 * never what was answered (a Digest `response` is a hash of the password,
 * open to an offline guess). The next run hands the challenge to a fresh
 * `DigestAuth` through its public flow — the challenge as a 401, then the
 * nonce and its count — so its first request goes out answered.
 */
import { type Auth, parseAuthenticationInfo, parseChallenges } from "../index.js";
import type { SentRequest } from "./transport.js";

/** One protection space's challenge, as kept in a session. */
export interface DigestRecord {
  readonly origin: string;
  /** The directory of the request that was challenged (`/a/b/` for `/a/b/c?q`): the protection space's. */
  readonly path: string;
  readonly realm: string;
  /** The `WWW-Authenticate` value of the 401. */
  readonly challenge: string;
  /** The nonce in use (the challenge's, or a later `nextnonce`). */
  readonly nonce: string;
  /** Requests sent with `nonce` so far (the last `nc`). */
  readonly count: number;
  /** When it was last used, epoch ms. */
  readonly savedAt: number;
}

/** Records kept per session; the oldest go first. */
const MAX_RECORDS = 16;
/** A record older than this is not used: servers expire nonces long before. */
const MAX_AGE_MS = 24 * 3600 * 1000;
/** Requests replayed to bring a fresh DigestAuth to the saved nonce count; past it, a new challenge costs less. */
const MAX_REPLAYED = 256;
const MAX_CHALLENGE_LENGTH = 4096;

/**
 * Watches exchanges for Digest challenges that were answered successfully,
 * and primes a `DigestAuth` (or anything answering Digest through `authFlow`) with them.
 *
 * @example
 * ```ts
 * const memory = new DigestMemory(savedRecords);
 * await memory.prime(new DigestAuth(user, password), url);
 * // … hooks: { onResponse: (response, sent) => memory.observe(response, sent) }
 * ```
 */
export class DigestMemory {
  #records: DigestRecord[];
  /** The last Digest 401 per origin, until an answer to it succeeds. */
  readonly #pending = new Map<string, { path: string; challenge: string }>();
  #changed = false;

  constructor(
    records: readonly DigestRecord[],
    private readonly now: () => number = Date.now,
  ) {
    this.#records = records.filter((record) => now() - record.savedAt < MAX_AGE_MS).slice(-MAX_RECORDS);
  }

  /** The records to save; unchanged ones included. */
  get records(): readonly DigestRecord[] {
    return this.#records;
  }

  /** True when an exchange changed what would be saved. */
  get changed(): boolean {
    return this.#changed;
  }

  /** True when a challenge for `origin` is kept. */
  knows(origin: string): boolean {
    return this.#records.some((record) => record.origin === origin);
  }

  /** Learns from one exchange: a Digest 401, an accepted Digest answer, a `nextnonce`. */
  observe(response: Response, sent: SentRequest | undefined): void {
    if (sent === undefined) return;
    const origin = sent.url.origin;
    const header = response.headers.get("www-authenticate");
    if (
      response.status === 401 &&
      header !== null &&
      /\bdigest\b/i.test(header) &&
      header.length <= MAX_CHALLENGE_LENGTH
    ) {
      // The directory only: the protection space is one, and a query or a last segment may hold a secret.
      const path = sent.url.pathname;
      this.#pending.set(origin, { path: path.slice(0, path.lastIndexOf("/") + 1), challenge: header });
      return;
    }
    const answer = digestParams(sent);
    if (answer === undefined || response.status === 401) return;
    const previous = this.#records.find((record) => record.origin === origin && record.realm === answer.realm);
    const pending = this.#pending.get(origin);
    const source = pending ?? previous;
    if (source === undefined) return;
    this.#pending.delete(origin);
    let nonce = answer.nonce;
    let count = answer.count;
    const next = nextNonce(response.headers.get("authentication-info"));
    if (next !== undefined) [nonce, count] = [next, 0];
    const record = {
      origin,
      path: source.path,
      realm: answer.realm,
      challenge: source.challenge,
      nonce,
      count,
      savedAt: this.now(),
    };
    this.#records = [...this.#records.filter((other) => other !== previous), record].slice(-MAX_RECORDS);
    this.#changed = true;
  }

  /** Hands every record for `url`'s origin to `auth`, so its requests there go out answered. */
  async prime(auth: Auth, url: URL): Promise<void> {
    for (const record of this.#records) {
      if (record.origin === url.origin) await prime(auth, record);
    }
  }
}

/**
 * Replays `record` into `auth`: the challenge as a 401 to a first request,
 * the saved nonce as a `nextnonce`, then enough answered requests to reach
 * the saved count — so the next real request uses a count the server has not
 * seen. `-sess` algorithms are skipped: their session key binds a client
 * nonce that cannot be carried over.
 */
async function prime(auth: Auth, record: DigestRecord): Promise<void> {
  if (record.count > MAX_REPLAYED || /["\\]/.test(record.nonce)) return;
  if (/-sess\b/i.test(algorithmOf(record.challenge))) return;
  const url = `${record.origin}${record.path}`;
  const flow = auth.authFlow(new Request(url));
  try {
    let step = await flow.next();
    if (step.done) return;
    step = await flow.next(new Response(null, { status: 401, headers: { "www-authenticate": record.challenge } }));
    if (step.done) return;
    const used = digestHeaderParams(step.value.headers.get("authorization"));
    const moved = used?.nonce !== record.nonce;
    const info = moved ? { "authentication-info": `nextnonce="${record.nonce}"` } : undefined;
    await flow.next(new Response(null, { status: 200, ...(info === undefined ? {} : { headers: info }) }));
    for (let sent = moved ? 0 : 1; sent < record.count; sent++) {
      const replay = auth.authFlow(new Request(url));
      await replay.next();
      await replay.next(new Response(null, { status: 200 }));
      await replay.return?.(undefined);
    }
  } finally {
    await flow.return?.(undefined);
  }
}

function algorithmOf(challenge: string): string {
  try {
    const digest = parseChallenges(challenge).find((one) => one.scheme.toLowerCase() === "digest");
    return digest?.params.algorithm ?? "";
  } catch {
    return "";
  }
}

/** realm, nonce and nc of a Digest `Authorization` that went out. */
function digestParams(sent: SentRequest): { realm: string; nonce: string; count: number } | undefined {
  const authorization = sent.headers.find(([name]) => name.toLowerCase() === "authorization")?.[1];
  return digestHeaderParams(authorization ?? null);
}

function digestHeaderParams(header: string | null): { realm: string; nonce: string; count: number } | undefined {
  if (header === null || !/^digest\s/i.test(header)) return undefined;
  try {
    const [answer] = parseChallenges(header);
    const { realm, nonce, nc } = answer?.params ?? {};
    if (realm === undefined || nonce === undefined) return undefined;
    const count = nc === undefined ? 0 : Number.parseInt(nc, 16);
    return { realm, nonce, count: Number.isFinite(count) ? count : 0 };
  } catch {
    return undefined;
  }
}

function nextNonce(header: string | null): string | undefined {
  if (header === null) return undefined;
  try {
    return parseAuthenticationInfo(header).nextnonce;
  } catch {
    return undefined;
  }
}

/**
 * The records of a session file, those that hold together; anything else is dropped.
 *
 * @example
 * ```ts
 * const records = digestRecords(JSON.parse(text).challenges);
 * ```
 */
export function digestRecords(value: unknown): DigestRecord[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (record): record is DigestRecord =>
      record !== null &&
      typeof record === "object" &&
      ["origin", "path", "realm", "challenge", "nonce"].every((key) => typeof record[key] === "string") &&
      Number.isInteger(record.count) &&
      record.count >= 0 &&
      typeof record.savedAt === "number",
  );
}
