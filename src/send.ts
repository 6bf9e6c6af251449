import type { Auth } from "./auth.js";
import { type BodySource, emptyBodySource } from "./body.js";
import { startDeadline } from "./deadline.js";
import { debug, debugEnabled, schemeName } from "./debug.js";
import {
  InsecureTransportError,
  InvalidCredentialsError,
  NetworkError,
  TimeoutError,
  TooManyRedirectsError,
  UnsafeRedirectError,
} from "./errors.js";
import { type AcknowledgingAuth, acknowledge, authorizationFor, authorizes, hasFastPath } from "./fast-path.js";
import { discard, type FetchLike, runAuthFlow } from "./flow.js";
import type { RejectionGuard } from "./guard.js";
import { isInsecure } from "./origin.js";

/** One logical request, before auth and redirects. */
export interface Outgoing {
  url: URL;
  method: string;
  /** The request's headers: the send path may set a header for one call, and puts it back after. */
  headers: Headers;
  body: BodySource;
  signal?: AbortSignal | undefined;
}

/** Everything that governs how an {@link Outgoing} is sent. */
export interface SendPolicy {
  readonly fetch: FetchLike;
  readonly auth: Auth | null;
  /** Origins besides the first hop's that may receive credentials. */
  readonly trustedOrigins: readonly string[];
  readonly followRedirects: boolean;
  readonly maxRedirects: number;
  readonly allowInsecureAuth: boolean;
  readonly maxFlowSteps: number;
  /** Milliseconds until the final response's headers, or 0 for none. */
  readonly timeout: number;
  /** Lower-case names of the headers that carry credentials (stripped on untrusted hops). */
  readonly sensitiveHeaders: ReadonlySet<string>;
  /** The bad-credential guard, or null when turned off. */
  readonly guard: RejectionGuard | null;
  /**
   * Set only when `fetch` is known to be the platform's own fetch: then a
   * scheme with a synchronous header (Basic, Bearer, a cached Digest
   * challenge, a cached OAuth token) is sent as `direct(url, init)`, without
   * the `Request` that fetch would copy again, and the auth flow runs only
   * when that answer is a 401 (the flow's first request is answered with it:
   * no extra round trip).
   */
  readonly direct?: DirectFetch | undefined;
  /**
   * Client's rule: fetch's `TypeError("fetch failed")` (no answer at all)
   * becomes a {@link NetworkError} that names the origin. withAuth keeps
   * fetch's own error, as a drop-in must.
   */
  readonly namesNetworkErrors?: boolean;
}

/** `fetch`'s (url, init) form. */
export type DirectFetch = (url: string, init: RequestInit) => Promise<Response>;

/** Headers that always carry credentials, whatever the caller adds. */
export const DEFAULT_SENSITIVE_HEADERS: readonly string[] = [
  "authorization",
  "proxy-authorization",
  "cookie",
  "cookie2",
  "x-api-key",
  "api-key",
  "x-auth-token",
];

const REDIRECT = new Set([301, 302, 303, 307, 308]);
// Fetch §4.4 "request-body-header name": dropped with the body when a redirect turns a POST into a GET.
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "content-language", "content-location"];

/**
 * Sends `outgoing` with auth, following redirects by the origin rules. Not an
 * async function: without a timeout the answer is the chain's own promise (one
 * promise layer fewer per request); failures still arrive as rejections.
 */
export function send(outgoing: Outgoing, policy: SendPolicy): Promise<Response> {
  if (outgoing.url.username !== "" || outgoing.url.password !== "") {
    // Fetch refuses these too, but its error message repeats the password.
    return Promise.reject(
      new InvalidCredentialsError(
        `the URL for ${outgoing.url.origin} embeds credentials (user:pass@); pass them with the auth option instead`,
      ),
    );
  }
  if (policy.timeout > 0) return sendTimed(outgoing, policy);
  const { signal } = outgoing;
  return sendChain(signal === undefined ? outgoing : { ...outgoing, signal: combined(signal, undefined) }, policy);
}

async function sendTimed(outgoing: Outgoing, policy: SendPolicy): Promise<Response> {
  const controller = new AbortController();
  const parent = outgoing.signal;
  const release = startDeadline(policy.timeout, controller, timeoutMarker);
  try {
    const signal = parent === undefined ? controller.signal : combined(parent, controller.signal);
    return await sendChain({ ...outgoing, signal }, policy);
  } catch (error) {
    if (controller.signal.reason === timeoutMarker && parent?.aborted !== true) {
      throw new TimeoutError(
        `no response from ${outgoing.url.origin} within ${policy.timeout} ms; raise \`timeout\` or check the server`,
        policy.timeout,
      );
    }
    throw error;
  } finally {
    release();
  }
}

/**
 * The caller's signal and the timeout's (if any) as one signal of this
 * request's own. `AbortSignal.any` holds the caller's signal weakly, so a
 * long-lived signal shared by many requests (an application's shutdown
 * signal, say) does not collect a listener per request — fetch itself would
 * add one per request, released only when the garbage collector gets to its
 * Request, and Node 20's fetch slows down as they pile up. The caller's
 * signal still aborts the body read after the headers.
 */
function combined(parent: AbortSignal, timeout: AbortSignal | undefined): AbortSignal {
  const signals = timeout === undefined ? [parent] : [parent, timeout];
  if (typeof AbortSignal.any === "function") return AbortSignal.any(signals);
  if (timeout === undefined) return parent; // nothing to combine, and no weak alternative
  const controller = new AbortController();
  const forward = (signal: AbortSignal) => () => controller.abort(signal.reason);
  for (const signal of signals) {
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener("abort", forward(signal), { once: true });
  }
  return controller.signal;
}

const timeoutMarker = Symbol("authflow timeout");

/**
 * fetch reports every failure to get an answer as `TypeError("fetch failed")`
 * with the real reason as its cause; the Client names it (see
 * {@link SendPolicy.namesNetworkErrors}). Anything else passes through
 * unchanged.
 */
function networkError(error: unknown, origin: string): unknown {
  if (!(error instanceof TypeError) || error.message !== "fetch failed") return error;
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const reason =
    typeof cause?.message === "string" && cause.message !== "" ? cause.message : String(cause?.code ?? "network error");
  return new NetworkError(
    `no answer from ${origin}: ${reason}; check that the server is up and the URL is right`,
    origin,
    { cause: error },
  );
}

async function sendChain(outgoing: Outgoing, policy: SendPolicy): Promise<Response> {
  try {
    const first = outgoing.url.origin;
    let { url, method, body } = outgoing;
    let headers = outgoing.headers;
    let credentials = true;
    for (let hop = 0; ; hop++) {
      const origin = hop === 0 ? first : url.origin;
      // Once stripped, credentials stay stripped for the rest of the chain (Go CVE-2024-45336).
      credentials = credentials && (hop === 0 || trusted(origin, first, policy));
      // Request and fetch copy the headers they are given, so an attempt can share the chain's own.
      const attemptHeaders = credentials ? headers : stripped(headers, policy.sensitiveHeaders);
      let auth = credentials ? policy.auth : null;
      if (isInsecure(url) && !policy.allowInsecureAuth) {
        // A host-scoped auth (netrc) with nothing for this host sends nothing, so plain HTTP is fine.
        if (auth !== null && !(await authorizes(auth, url))) auth = null;
        if (auth !== null || carriesCredentials(attemptHeaders)) throw insecureTransportError(origin);
      }
      const attempt: Attempt = { url, origin, method, headers: attemptHeaders, body, hop, signal: outgoing.signal };
      const response =
        auth === null ? await policy.fetch(await requestFor(attempt)) : await authenticated(auth, attempt, policy);
      if (debugEnabled()) {
        debug(
          `${method} ${origin} → ${response.status} (${schemeName(auth)}, hop ${hop}${credentials ? "" : ", credentials stripped"})`,
        );
      }
      const location =
        policy.followRedirects && REDIRECT.has(response.status) ? response.headers.get("location") : null;
      if (location === null) {
        if (!body.streaming) body.dispose();
        return response;
      }
      if (hop >= policy.maxRedirects) {
        await discard(response);
        throw new TooManyRedirectsError(
          `more than ${policy.maxRedirects} redirects starting from ${outgoing.url.origin}; raise maxRedirects if this is expected`,
        );
      }
      const next = redirectTarget(location, url);
      if (url.protocol === "https:" && next.protocol === "http:") credentials = false;
      // Fetch §4.4 step 12: 301/302 turn POST into GET, 303 turns everything but HEAD into GET.
      if (
        (response.status === 303 && method !== "GET" && method !== "HEAD") ||
        ((response.status === 301 || response.status === 302) && method === "POST")
      ) {
        method = "GET";
        body.dispose();
        body = emptyBodySource();
        headers = new Headers(headers);
        for (const name of BODY_HEADERS) headers.delete(name);
      } else if (
        (auth !== null || hasSensitive(attemptHeaders, policy.sensitiveHeaders)) &&
        !trusted(next.origin, first, policy) &&
        hasBody(method, body)
      ) {
        await discard(response);
        throw new UnsafeRedirectError(
          `refusing to re-send a credentialed request's body from ${url.origin} to ${next.origin} (${response.status} redirect); ` +
            "add the target to trustedOrigins if it should receive it",
          next.origin,
        );
      }
      await discard(response);
      url = next;
    }
  } catch (error) {
    throw policy.namesNetworkErrors === true ? networkError(error, outgoing.url.origin) : error;
  }
}

/** Whether `origin` may receive the credentials of a chain that started at `first`. */
function trusted(origin: string, first: string, policy: SendPolicy): boolean {
  return origin === first || policy.trustedOrigins.includes(origin);
}

/** One request of a chain, before auth. */
interface Attempt {
  readonly url: URL;
  /** `url.origin`, serialised once. */
  readonly origin: string;
  readonly method: string;
  /** Shared with the chain and never written to (Request and fetch copy what they are given). */
  readonly headers: Headers;
  readonly body: BodySource;
  readonly hop: number;
  readonly signal: AbortSignal | undefined;
}

/** The first hop sends the body as given; later hops (307/308) replay it. */
function bodyOf(attempt: Attempt): BodyInit | null | Promise<BodyInit | null> {
  return attempt.hop === 0 ? attempt.body.first() : attempt.body.replay();
}

async function requestFor(attempt: Attempt): Promise<Request> {
  return new Request(attempt.url, {
    method: attempt.method,
    headers: attempt.headers,
    body: await bodyOf(attempt),
    redirect: "manual",
    ...(attempt.signal === undefined ? {} : { signal: attempt.signal }),
    ...(attempt.body.streaming ? { duplex: "half" } : {}),
  } as RequestInit);
}

async function authenticated(auth: Auth, attempt: Attempt, policy: SendPolicy): Promise<Response> {
  const { guard } = policy;
  const { origin } = attempt;
  const entered = guard === null ? false : guard.enter(auth, origin, attempt.signal);
  const ticket = typeof entered === "boolean" ? entered : await entered;
  let response: Response;
  try {
    response = await (sentDirectly(auth, attempt, policy) ??
      runAuthFlow(auth, await requestFor(attempt), attempt.body, policy.fetch, policy));
  } catch (error) {
    guard?.abandon(auth, origin, ticket);
    if (debugEnabled())
      debug(`${attempt.method} ${origin} failed: ${(error as Error)?.name ?? "error"} (${schemeName(auth)})`);
    throw error;
  }
  guard?.record(auth, origin, response, ticket);
  return response;
}

/**
 * The direct path, when it applies: the header computed synchronously, one
 * `fetch(url, init)`, and the auth flow only if that answer is a 401.
 * Undefined when it does not apply (the caller runs the flow).
 */
function sentDirectly(auth: Auth, attempt: Attempt, policy: SendPolicy): Promise<Response> | undefined {
  const { direct } = policy;
  if (direct === undefined || attempt.body.streaming || !hasFastPath(auth)) return undefined;
  const header = auth[authorizationFor](attempt.method, attempt.url);
  if (header === undefined) return undefined;
  const { headers } = attempt;
  // A body that is not a stream is the same value on every hop.
  const init: RequestInit = { method: attempt.method, body: attempt.body.first(), redirect: "manual" };
  if (attempt.signal !== undefined) init.signal = attempt.signal;
  if (headers.keys().next().done === true) {
    // No other header: a plain object is the cheapest thing to hand fetch.
    init.headers = { authorization: header };
  } else {
    // A copy: the chain's own headers are never written to, and a fetch wrapped by instrumentation may
    // read them after an await of its own.
    const sent = new Headers(headers);
    sent.set("authorization", header);
    init.headers = sent;
  }
  return direct(attempt.url.href, init).then((response) => {
    if (response.status === 401) return afterChallenge(auth, attempt, policy, response, header);
    if (acknowledge in auth) acknowledged(auth, attempt.url.href, header, response);
    return response;
  });
}

/** Hands a direct answer's `Authentication-Info` to an Auth that learns from it (Digest's `nextnonce`). */
function acknowledged(auth: Auth, url: string, header: string, response: Response): void {
  const info = response.headers.get("authentication-info");
  if (info !== null) (auth as Auth & AcknowledgingAuth)[acknowledge](url, header, info);
}

/**
 * The flow decides what a direct 401 means (a stale nonce, a revoked token, a
 * wrong password): its first request is answered with the 401 already in
 * hand, and shows the header that really went out (the flow may have picked a
 * newer token meanwhile); its later requests go out as usual.
 */
async function afterChallenge(
  auth: Auth,
  attempt: Attempt,
  policy: SendPolicy,
  answer: Response,
  header: string,
): Promise<Response> {
  let captured: Response | undefined = answer;
  const transport: FetchLike = (request) => {
    if (captured === undefined) return policy.fetch(request);
    const response = captured;
    captured = undefined;
    request.headers.set("authorization", header);
    return Promise.resolve(response);
  };
  const replayed: Attempt = { ...attempt, hop: 1 };
  try {
    return await runAuthFlow(auth, await requestFor(replayed), attempt.body, transport, policy);
  } finally {
    if (captured !== undefined) void discard(captured);
  }
}

/** The error for credentials that would go over plain HTTP to `origin` (shared with the undici interceptor). */
export function insecureTransportError(origin: string): InsecureTransportError {
  return new InsecureTransportError(
    `refusing to send credentials over plain HTTP to ${origin}: anyone on the network could read them. ` +
      "Use https://, or set allowInsecureAuth: true if this network is trusted.",
  );
}

function hasBody(method: string, body: BodySource): boolean {
  return method !== "GET" && method !== "HEAD" && body !== emptyBodySource();
}

function redirectTarget(location: string, base: URL): URL {
  let next: URL;
  try {
    next = new URL(location, base);
  } catch {
    throw new UnsafeRedirectError(`redirect from ${base.origin} to an invalid URL`, "invalid");
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") {
    throw new UnsafeRedirectError(
      `refusing to follow a redirect from ${base.origin} to a ${next.protocol} URL; only http: and https: are followed`,
      next.protocol,
    );
  }
  if (next.username !== "" || next.password !== "") {
    throw new UnsafeRedirectError(
      `refusing to follow a redirect from ${base.origin} to a URL with embedded credentials (${next.origin})`,
      next.origin,
    );
  }
  return next;
}

function stripped(headers: Headers, sensitive: ReadonlySet<string>): Headers {
  const result = new Headers();
  for (const [name, value] of headers) if (!sensitive.has(name)) result.append(name, value);
  return result;
}

function hasSensitive(headers: Headers, sensitive: ReadonlySet<string>): boolean {
  for (const name of sensitive) if (headers.has(name)) return true;
  return false;
}

function carriesCredentials(headers: Headers): boolean {
  return headers.has("authorization") || headers.has("proxy-authorization");
}
