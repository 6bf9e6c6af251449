import { randomFillSync } from "node:crypto";
import type { ServerResponse } from "node:http";
import { type Challenge, parseChallenges } from "../headers/challenge.js";
import { type NonceRecord, NonceTable, ReplayWindow } from "./digest-nonces.js";
import {
  canonicalAlgorithm,
  type DigestTerms,
  parseCount,
  sameText,
  serverDigest,
  usernameMatches,
} from "./digest-verify.js";
import type { RouteContext, RouteFamily, ServerContext } from "./router.js";
import { sendJson } from "./router.js";

/** httpbin's realm, so the seed's examples see the same challenge. */
export const DIGEST_REALM = "me@kennethreitz.com";

/** Nonces remembered at once, about; the least recently used are forgotten first (their next use gets stale=true). */
const MAX_NONCES = 20_000;

/** The route's settings, from its path and query. */
interface DigestRoute {
  readonly qops: readonly string[];
  readonly user: string;
  readonly password: string;
  readonly algorithms: readonly string[];
  readonly staleAfter: number;
  readonly userhash: boolean;
  readonly oneHeader: boolean;
  readonly wrongRspauth: boolean;
  readonly nextnonce: boolean;
}

type Verdict =
  | { readonly kind: "ok"; readonly terms: DigestTerms; readonly uri: string; readonly opaque: string }
  | { readonly kind: "challenge"; readonly stale: boolean }
  | { readonly kind: "bad-request"; readonly reason: string };

/** `auth`, `auth-int`, `auth,auth-int`; anything else means no qop (RFC 2069), as httpbin does. */
function parseQops(segment: string | undefined): string[] {
  return (segment ?? "").split(",").filter((qop) => qop === "auth" || qop === "auth-int");
}

function parseRoute(context: RouteContext): DigestRoute | string {
  const { params, url } = context;
  const primary = canonicalAlgorithm(params.algorithm ?? "MD5");
  if (primary === undefined) return `unsupported algorithm ${params.algorithm}`;
  const listed = url.searchParams.get("challenges");
  const names = listed === null ? [primary] : listed === "both" ? ["SHA-256", "MD5"] : listed.split(",");
  const algorithms = names.map((name) => canonicalAlgorithm(name.trim()));
  if (algorithms.some((algorithm) => algorithm === undefined)) return `unsupported algorithm in ${listed}`;
  const staleAfter =
    params.stale_after === undefined || params.stale_after === "never" ? Infinity : Number(params.stale_after);
  if (!(staleAfter >= 0)) return `invalid stale_after ${params.stale_after}`;
  return {
    qops: parseQops(params.qop),
    user: params.user ?? "",
    password: params.passwd ?? "",
    algorithms: algorithms as string[],
    staleAfter,
    userhash: url.searchParams.get("userhash") === "true",
    oneHeader: url.searchParams.get("oneheader") === "1",
    wrongRspauth: url.searchParams.get("rspauth") === "wrong",
    // With stale_after the point is to wear nonces out, so no nextnonce then, unless asked for
    // (`nextnonce=1`: a nonce good for stale_after requests, its successor announced in advance).
    nextnonce:
      url.searchParams.get("nextnonce") === "1" ||
      (url.searchParams.get("nextnonce") !== "0" && staleAfter === Infinity),
  };
}

/**
 * httpbin's `/digest-auth/:qop/:user/:passwd[/:algorithm[/:stale_after]]`
 * with a strict RFC 7616 verifier: every field checked, each `nc` accepted
 * once per nonce, `Authentication-Info` with `rspauth` and `nextnonce` on
 * success. Query flags: `challenges=SHA-256,MD5` (or `both`) sends one
 * challenge per algorithm, one header line each (`oneheader=1`: one line);
 * `userhash=true` offers userhash; `rspauth=wrong` sends a bad rspauth;
 * `nextnonce=0` sends none; `nextnonce=1` sends one even with `stale_after`
 * (`/digest-auth/auth/u/p/MD5/1?nextnonce=1`: one-time nonces, each success
 * announcing the next, so a client that ignores `nextnonce` pays a stale
 * round trip every other request). The body is read (up to
 * `limits.bodyBytes`) only on `auth-int` routes, whose digest covers it.
 */
export function digestRoutes({ stats, limits }: ServerContext): RouteFamily {
  const nonces = new NonceTable(MAX_NONCES);

  /** A fresh nonce; a `nextnonce` keeps the opaque of the challenge it continues. */
  function issue(algorithm: string, opaque = randomText(16, "hex")): { nonce: string; record: NonceRecord } {
    const nonce = randomText(24, "base64");
    const record: NonceRecord = { algorithm, opaque, uses: 0, counts: new ReplayWindow(), sessionCnonce: undefined };
    nonces.set(nonce, record);
    return { nonce, record };
  }

  function challenge(response: ServerResponse, route: DigestRoute, stale: boolean): void {
    const values = route.algorithms.map((algorithm) => {
      const { nonce, record } = issue(algorithm);
      let value = `Digest realm="${DIGEST_REALM}", nonce="${nonce}", opaque="${record.opaque}", algorithm=${algorithm}`;
      if (route.qops.length > 0) value += `, qop="${route.qops.join(", ")}"`;
      if (stale) value += ", stale=true";
      if (route.userhash) value += ", userhash=true";
      return `${value}, charset=UTF-8`;
    });
    stats.challenges += 1;
    const header = route.oneHeader ? values.join(", ") : values;
    sendJson(response, 401, { authenticated: false }, { "www-authenticate": header });
  }

  function handle(context: RouteContext): void {
    const route = parseRoute(context);
    if (typeof route === "string") {
      sendJson(context.response, 400, { error: route });
      return;
    }
    const verdict = verify(context, route, nonces);
    if (verdict.kind === "bad-request") sendJson(context.response, 400, { error: verdict.reason });
    else if (verdict.kind === "challenge") challenge(context.response, route, verdict.stale);
    else {
      const next = route.nextnonce ? issue(verdict.terms.algorithm, verdict.opaque).nonce : undefined;
      succeed(context, route, verdict, next);
    }
  }

  return {
    routes: [
      {
        name: "digest-auth",
        path: "/digest-auth/:qop/:user/:passwd/:algorithm?/:stale_after?",
        // RFC 7616 §3.4.3: only qop=auth-int hashes the body; other Digest routes never read it.
        bodyLimit: (params) => (parseQops(params.qop).includes("auth-int") ? limits.bodyBytes : 0),
        handle,
      },
    ],
    reset() {
      nonces.clear();
    },
  };
}

// Random bytes drawn from a pool: one system call per few hundred nonces.
const pool = Buffer.alloc(24 * 512);
let poolOffset = pool.length;

function randomText(size: number, encoding: "hex" | "base64"): string {
  if (poolOffset + size > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  poolOffset += size;
  return pool.toString(encoding, poolOffset - size, poolOffset);
}

function credentialsOf(header: string | undefined): Challenge | undefined | "malformed" {
  if (header === undefined) return undefined;
  try {
    const [credentials] = parseChallenges(header);
    return credentials?.scheme.toLowerCase() === "digest" ? credentials : undefined;
  } catch {
    return "malformed";
  }
}

/** The fields every Digest answer must carry, checked against the route (RFC 7616 §3.4). */
interface Fields {
  readonly algorithm: string;
  readonly qop: string | undefined;
  readonly count: number;
  readonly cnonce: string;
  readonly nonce: string;
  readonly response: string;
}

function fieldsOf(params: Readonly<Record<string, string>>, route: DigestRoute): Fields | undefined {
  const { nonce, response, qop, realm } = params;
  const algorithm = canonicalAlgorithm(params.algorithm ?? "MD5");
  const count = parseCount(params.nc);
  const cnonce = params.cnonce ?? "";
  const qopOffered = route.qops.length === 0 ? qop === undefined : qop !== undefined && route.qops.includes(qop);
  if (realm !== DIGEST_REALM || nonce === undefined || response === undefined || !qopOffered) return undefined;
  if (algorithm === undefined || !route.algorithms.includes(algorithm)) return undefined;
  if (qop !== undefined && !(count >= 1 && cnonce !== "")) return undefined;
  if (!usernameMatches(params, route.user, DIGEST_REALM, algorithm)) return undefined;
  return { algorithm, qop, count, cnonce, nonce, response };
}

/** Checks the request's Authorization against RFC 7616 §3.4, field by field. */
function verify(context: RouteContext, route: DigestRoute, nonces: NonceTable): Verdict {
  const credentials = credentialsOf(context.request.headers.authorization);
  if (credentials === "malformed") return { kind: "bad-request", reason: "malformed Authorization header" };
  if (credentials === undefined) return { kind: "challenge", stale: false };
  const { params } = credentials;
  const uri = context.request.url ?? "";
  // §3.4.6: the uri must be the request-target itself, or the request is refused.
  if (params.uri !== uri) return { kind: "bad-request", reason: "uri does not match the request-target" };
  const fields = fieldsOf(params, route);
  if (fields === undefined) return { kind: "challenge", stale: false };
  const { algorithm, qop, count, cnonce, nonce } = fields;
  const record = nonces.get(nonce);
  const { user, password } = route;
  const sessionCnonce = record?.sessionCnonce ?? cnonce;
  const nc = params.nc ?? "";
  const terms: DigestTerms = { algorithm, user, realm: DIGEST_REALM, password, nonce, sessionCnonce, qop, nc, cnonce };
  const expected = serverDigest(terms, context.request.method ?? "GET", uri, context.body);
  const correct = sameText(fields.response.toLowerCase(), expected);
  // A nonce we forgot (reset, evicted) with a right digest: stale, so the client retries silently (§3.3).
  if (record === undefined) return { kind: "challenge", stale: correct };
  if (!correct || record.algorithm !== algorithm || params.opaque !== record.opaque) {
    return { kind: "challenge", stale: false };
  }
  if (qop !== undefined && record.counts.replayed(count)) return { kind: "challenge", stale: false };
  if (record.uses >= route.staleAfter) return { kind: "challenge", stale: true };
  record.uses += 1;
  if (qop !== undefined) record.counts.add(count);
  record.sessionCnonce ??= cnonce;
  return { kind: "ok", terms, uri, opaque: record.opaque };
}

/** 200 with httpbin's body, and `Authentication-Info` (RFC 7616 §3.5). */
function succeed(
  context: RouteContext,
  route: DigestRoute,
  verdict: Extract<Verdict, { kind: "ok" }>,
  nextnonce: string | undefined,
): void {
  const text = `${JSON.stringify({ authenticated: true, user: route.user }, null, 2)}\n`;
  const bytes = Buffer.from(text);
  const { terms } = verdict;
  let rspauth = serverDigest(terms, "", verdict.uri, bytes);
  if (route.wrongRspauth) rspauth = rspauth.replace(/^./, (first) => (first === "0" ? "1" : "0"));
  let info = `rspauth="${rspauth}"`;
  if (terms.qop !== undefined) info += `, qop=${terms.qop}, nc=${terms.nc}, cnonce="${terms.cnonce}"`;
  if (nextnonce !== undefined) info += `, nextnonce="${nextnonce}"`;
  context.response.writeHead(200, {
    "content-type": "application/json",
    "content-length": bytes.length,
    "authentication-info": info,
  });
  context.response.end(bytes);
}
