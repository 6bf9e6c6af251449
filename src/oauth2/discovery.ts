import type { FetchLike } from "../engine/flow.js";
import { inBrowser } from "../engine/runtime.js";
import { tlsFailure } from "../engine/tls-failure.js";
import {
  AuthRejectedError,
  InsecureTransportError,
  InvalidArgumentError,
  InvalidURLError,
  ProxyError,
  TlsError,
  TokenEndpointError,
} from "../errors.js";
import { refusesPlainHttp } from "../policy/rules.js";
import { parseURL, redactURLText } from "../support/url.js";
import { getTouched, setBounded } from "./bounded.js";
import { monotonicNow, raceAbort, Timers } from "./retry.js";
import { readCapped } from "./token-endpoint.js";

/**
 * The parts of an authorization server's metadata (RFC 8414 §2) authflow uses.
 *
 * @example
 * ```ts
 * const metadata: AuthorizationServerMetadata = await discover("https://as.example", fetch);
 * metadata.token_endpoint; // "https://as.example/oauth/token"
 * ```
 */
export interface AuthorizationServerMetadata {
  readonly issuer: string;
  readonly token_endpoint: string;
  readonly token_endpoint_auth_methods_supported?: readonly string[];
  readonly [name: string]: unknown;
}

/**
 * The discovery URLs for `issuer`, in the order they are tried: RFC 8414 §3.1
 * inserts the well-known segment between the host and the issuer's path;
 * OpenID Connect Discovery 1.0 §4 appends it to the path.
 *
 * @example
 * ```ts
 * discoveryUrls("https://as.example/tenant1");
 * // ["https://as.example/.well-known/oauth-authorization-server/tenant1",
 * //  "https://as.example/tenant1/.well-known/openid-configuration"]
 * ```
 */
export function discoveryUrls(issuer: string): [string, string] {
  const url = parseURL(issuer, "the issuer");
  if (url.search !== "" || url.hash !== "" || url.href.includes("?") || url.href.includes("#")) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      "issuer",
      "an issuer identifier has no query or fragment (RFC 8414 §2)",
    );
  }
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ];
}

/**
 * Limits of one discovery, and the caller's way out.
 *
 * @example
 * ```ts
 * const bounds: DiscoveryOptions = { allowInsecure: false, timeoutMs: 10_000, signal: request.signal };
 * ```
 */
export interface DiscoveryOptions {
  /** Accept a plain-http token endpoint off loopback. */
  readonly allowInsecure?: boolean;
  /** The longest the discovery may take, answer body included (default 30 000 ms). */
  readonly timeoutMs?: number;
  /** Lets this caller stop waiting; a discovery other callers share goes on, within its own time limit. */
  readonly signal?: AbortSignal | undefined;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** Issuers remembered per fetch function; past this, the least recently used is discovered again. */
const ISSUERS_PER_FETCH = 64;
/**
 * A caller joins a discovery already running only while it is this young:
 * metadata comes back in milliseconds, so an older one is probably stuck on a
 * server that never finishes, and a new caller starts afresh instead of
 * inheriting the wait (issue 18.1: a recovered server must be usable at once).
 */
const JOIN_WINDOW_MS = 2_000;

interface Discovery {
  readonly promise: Promise<AuthorizationServerMetadata>;
  readonly controller: AbortController;
  readonly startedAt: number;
  settled: boolean;
  /** Callers waiting on it: when the last one leaves (abort, time-out) an unfinished discovery is cancelled. */
  waiters: number;
}

/** Discovered metadata, per fetch function and issuer: a test's mock fetch never sees production metadata. */
const cache = new WeakMap<FetchLike, Map<string, Discovery>>();

/**
 * The metadata of `issuer`, fetched once per (fetch function, issuer) and
 * shared by concurrent callers. The metadata's `issuer` must equal the
 * configured one exactly (RFC 8414 §3.3, mix-up defence), and its
 * `token_endpoint` must use TLS unless it is loopback or `allowInsecure` is set.
 *
 * Bounded (issue 18.1): each caller waits at most `timeoutMs`, answer body
 * included, even if the server never finishes and even if `fetch` ignores
 * its abort signal; `signal` releases it at once. A failed or timed-out
 * discovery is forgotten; one that every caller has left is cancelled and
 * forgotten; one running longer than a couple of seconds is not joined. So
 * once the server recovers, the next call uses it.
 *
 * @example
 * ```ts
 * const { token_endpoint } = await discover("https://as.example", fetch, { timeoutMs: 10_000, signal });
 * ```
 */
export function discover(
  issuer: string,
  fetch: FetchLike,
  options: DiscoveryOptions = {},
): Promise<AuthorizationServerMetadata> {
  const allowInsecure = options.allowInsecure === true;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let byIssuer = cache.get(fetch);
  if (byIssuer === undefined) {
    byIssuer = new Map();
    cache.set(fetch, byIssuer);
  }
  // The transport check depends on allowInsecure: a lenient caller's answer is never a strict caller's.
  const key = `${allowInsecure ? "insecure" : "secure"} ${issuer}`;
  const now = monotonicNow();
  let entry = getTouched(byIssuer, key);
  if (entry === undefined || (!entry.settled && now - entry.startedAt >= JOIN_WINDOW_MS)) {
    const controller = new AbortController();
    const promise = bounded(issuer, fetch, allowInsecure, timeoutMs, controller);
    entry = { promise, controller, startedAt: now, settled: false, waiters: 0 };
    remember(byIssuer, key, entry);
  }
  return wait(byIssuer, key, entry, options.signal, timedOut(issuer, timeoutMs), timeoutMs);
}

function remember(byIssuer: Map<string, Discovery>, key: string, entry: Discovery): void {
  setBounded(byIssuer, key, entry, ISSUERS_PER_FETCH);
  entry.promise.then(
    () => {
      entry.settled = true;
    },
    () => {
      if (byIssuer.get(key) === entry) byIssuer.delete(key);
    },
  );
}

/** One caller's wait: the discovery, or its own time-out, or its signal, whichever comes first. */
function wait(
  byIssuer: Map<string, Discovery>,
  key: string,
  entry: Discovery,
  signal: AbortSignal | undefined,
  timeout: TokenEndpointError,
  timeoutMs: number,
): Promise<AuthorizationServerMetadata> {
  const leave = new AbortController();
  const cancel = new Timers(false).start(timeoutMs, () => leave.abort(timeout), true);
  const onAbort = () => leave.abort(signal?.reason);
  if (signal?.aborted === true) onAbort();
  signal?.addEventListener("abort", onAbort, { once: true });
  entry.waiters += 1;
  return raceAbort(entry.promise, leave.signal).finally(() => {
    cancel();
    signal?.removeEventListener("abort", onAbort);
    entry.waiters -= 1;
    if (entry.waiters > 0 || entry.settled) return;
    // Nobody waits any more: a discovery stuck on a server that never finishes is not inherited.
    entry.controller.abort(timeout);
    if (byIssuer.get(key) === entry) byIssuer.delete(key);
  });
}

/** {@link fetchMetadata} under a time limit that holds even when `fetch` ignores the abort. */
function bounded(
  issuer: string,
  fetch: FetchLike,
  allowInsecure: boolean,
  timeoutMs: number,
  controller: AbortController,
): Promise<AuthorizationServerMetadata> {
  const cancel = new Timers(false).start(timeoutMs, () => controller.abort(timedOut(issuer, timeoutMs)), true);
  return raceAbort(fetchMetadata(issuer, fetch, allowInsecure, controller.signal), controller.signal).finally(cancel);
}

function timedOut(issuer: string, timeoutMs: number): TokenEndpointError {
  return new TokenEndpointError(
    `discovery for ${issuer} got no complete answer within ${timeoutMs} ms (retryBudgetMs); ` +
      "check that the issuer is up, or configure tokenUrl instead",
  );
}

async function fetchMetadata(
  issuer: string,
  fetch: FetchLike,
  allowInsecure: boolean,
  signal: AbortSignal,
): Promise<AuthorizationServerMetadata> {
  const urls = discoveryUrls(issuer);
  checkTransport(parseURL(issuer, "the issuer"), "issuer", allowInsecure);
  let lastStatus: number | undefined;
  for (const url of urls) {
    let response: Response;
    try {
      const request = new Request(url, {
        headers: { accept: "application/json" },
        redirect: "manual",
        signal,
        ...(inBrowser ? { credentials: "omit" as const } : {}),
      });
      response = await fetch(request);
    } catch (error) {
      // Neither a certificate problem nor a proxy's refusal goes away at the other well-known URL.
      if (
        signal.aborted ||
        error instanceof TlsError ||
        error instanceof ProxyError ||
        error instanceof AuthRejectedError
      )
        throw error;
      // A certificate problem is named with the option that fixes it (issue 14).
      const tls = tlsFailure(error, new URL(url).origin, undefined);
      if (tls !== undefined) throw tls;
      throw new TokenEndpointError(`discovery at ${url} failed: the authorization server could not be reached`, {
        cause: error instanceof Error ? new Error(error.name) : undefined,
      });
    }
    if (response.status !== 200) {
      lastStatus = response.status;
      await response.body?.cancel();
      continue;
    }
    return validateMetadata(issuer, await readJson(response, url), allowInsecure);
  }
  throw new TokenEndpointError(
    `no authorization server metadata for ${issuer}: ${urls.join(" and ")} did not answer 200 (last: ${lastStatus}). ` +
      "Check the issuer, or configure tokenUrl instead.",
    { status: lastStatus },
  );
}

async function readJson(response: Response, url: string): Promise<Record<string, unknown>> {
  const text = await readCapped(response, `the metadata at ${url}`);
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new TokenEndpointError(`the metadata at ${url} is not a JSON object (RFC 8414 §3.2)`, { status: 200 });
}

/**
 * Checks discovered metadata against the configured issuer (RFC 8414 §3.3).
 * Pure.
 *
 * @example
 * ```ts
 * validateMetadata("https://as.example", { issuer: "https://as.example", token_endpoint: "https://as.example/token" });
 * ```
 */
export function validateMetadata(
  issuer: string,
  metadata: Record<string, unknown>,
  allowInsecure = false,
): AuthorizationServerMetadata {
  if (metadata.issuer !== issuer) {
    throw new TokenEndpointError(
      `the authorization server metadata names issuer ${JSON.stringify(String(metadata.issuer).slice(0, 200))}, ` +
        `not the configured ${JSON.stringify(issuer)}; they must be identical (RFC 8414 §3.3)`,
    );
  }
  const endpoint = metadata.token_endpoint;
  let url: URL;
  try {
    url = new URL(typeof endpoint === "string" ? endpoint : "");
  } catch {
    throw new TokenEndpointError(`the metadata of ${issuer} has no valid token_endpoint (RFC 8414 §2)`);
  }
  checkTransport(url, "token_endpoint", allowInsecure);
  return metadata as AuthorizationServerMetadata;
}

/**
 * RFC 6749 §3.2: the token endpoint requires TLS. Plain `http:` is allowed for
 * loopback (tests, sidecars) or with `allowInsecure`.
 *
 * @example
 * ```ts
 * checkTransport(new URL("http://as.example/token"), "tokenUrl", false); // → InsecureTransportError
 * ```
 */
export function checkTransport(url: URL, what: string, allowInsecure: boolean): void {
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    // Not the parsed scheme: in "user:pass@host" it is the user name. The redacted text shows what matters.
    const shown = redactURLText(url.href);
    throw new InvalidURLError(`the ${what} must be an https: URL, got ${shown}`, shown);
  }
  if (url.username !== "" || url.password !== "") {
    throw new InvalidURLError(
      `the ${what} must not contain credentials (user:pass@); give them as clientId and clientSecret`,
      redactURLText(url.href),
    );
  }
  // The one plain-HTTP rule of src/policy/rules.ts: loopback only, unless allowed.
  if (refusesPlainHttp(url, allowInsecure)) {
    throw new InsecureTransportError(
      `refusing to send client credentials over plain HTTP to ${url.origin} (RFC 6749 §3.2 requires TLS); ` +
        "use https:, or set allowInsecureAuth: true if you accept the risk",
    );
  }
}
