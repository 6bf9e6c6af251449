import type { Auth } from "./auth.js";
import { type BodySource, emptyBodySource } from "./body.js";
import {
  InsecureTransportError,
  InvalidCredentialsError,
  TimeoutError,
  TooManyRedirectsError,
  UnsafeRedirectError,
} from "./errors.js";
import { discard, type FetchLike, runAuthFlow } from "./flow.js";
import type { RejectionGuard } from "./guard.js";
import { debug, debugEnabled, schemeName } from "./debug.js";
import { isInsecure } from "./origin.js";

/** One logical request, before auth and redirects. */
export interface Outgoing {
  url: URL;
  method: string;
  /** The caller's headers; never mutated (each attempt works on a copy). */
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
}

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

/** Sends `outgoing` with auth, following redirects by the origin rules. */
export async function send(outgoing: Outgoing, policy: SendPolicy): Promise<Response> {
  if (outgoing.url.username !== "" || outgoing.url.password !== "") {
    // Fetch refuses these too, but its error message repeats the password.
    throw new InvalidCredentialsError(
      `the URL for ${outgoing.url.origin} embeds credentials (user:pass@); pass them with the auth option instead`,
    );
  }
  if (policy.timeout <= 0) return sendChain(outgoing, policy);
  const controller = new AbortController();
  const parent = outgoing.signal;
  const forward = () => controller.abort(parent?.reason);
  if (parent?.aborted) forward();
  parent?.addEventListener("abort", forward, { once: true });
  const timer = setTimeout(() => controller.abort(timeoutMarker), policy.timeout);
  try {
    return await sendChain({ ...outgoing, signal: controller.signal }, policy);
  } catch (error) {
    if (controller.signal.reason === timeoutMarker) {
      throw new TimeoutError(
        `no response from ${outgoing.url.origin} within ${policy.timeout} ms; raise \`timeout\` or check the server`,
        policy.timeout,
      );
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

const timeoutMarker = Symbol("authflow timeout");

async function sendChain(outgoing: Outgoing, policy: SendPolicy): Promise<Response> {
  const trusted = new Set(policy.trustedOrigins);
  trusted.add(outgoing.url.origin);
  let { url, method, body } = outgoing;
  let headers = outgoing.headers;
  let credentials = true;
  for (let hop = 0; ; hop++) {
    // Once stripped, credentials stay stripped for the rest of the chain (Go CVE-2024-45336).
    credentials = credentials && trusted.has(url.origin);
    const attemptHeaders = credentials ? new Headers(headers) : stripped(headers, policy.sensitiveHeaders);
    const auth = credentials ? policy.auth : null;
    if ((auth !== null || carriesCredentials(attemptHeaders)) && isInsecure(url) && !policy.allowInsecureAuth) {
      throw insecureTransportError(url.origin);
    }
    const request = new Request(url, {
      method,
      headers: attemptHeaders,
      body: hop === 0 ? body.first() : await body.replay(),
      redirect: "manual",
      ...(outgoing.signal === undefined ? {} : { signal: outgoing.signal }),
      ...(body.streaming ? { duplex: "half" } : {}),
    } as RequestInit);
    const credentialed = auth !== null || hasSensitive(attemptHeaders, policy.sensitiveHeaders);
    const response = auth === null ? await policy.fetch(request) : await authenticated(auth, request, url.origin, body, policy);
    if (debugEnabled()) {
      debug(`${method} ${url.origin} → ${response.status} (${schemeName(auth)}, hop ${hop}${credentials ? "" : ", credentials stripped"})`);
    }
    const location = response.headers.get("location");
    if (!policy.followRedirects || !REDIRECT.has(response.status) || location === null) {
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
    } else if (credentialed && !trusted.has(next.origin) && hasBody(method, body)) {
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
}

async function authenticated(
  auth: Auth,
  request: Request,
  origin: string,
  body: BodySource,
  policy: SendPolicy,
): Promise<Response> {
  const { guard } = policy;
  if (guard === null) return runAuthFlow(auth, request, body, policy.fetch, policy);
  const entered = guard.enter(auth, origin, request.signal);
  const ticket = typeof entered === "boolean" ? entered : await entered;
  let response: Response;
  try {
    response = await runAuthFlow(auth, request, body, policy.fetch, policy);
  } catch (error) {
    guard.abandon(auth, origin, ticket);
    if (debugEnabled()) debug(`${request.method} ${origin} failed: ${(error as Error)?.name ?? "error"} (${schemeName(auth)})`);
    throw error;
  }
  guard.record(auth, origin, response, ticket);
  return response;
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
