import type { AuthLike } from "../engine/auth.js";
import { bodySource } from "../engine/body.js";
import type { FetchLike } from "../engine/flow.js";
import { InvalidArgumentError } from "../errors.js";
import { type RedirectingOptions, resolveOrigins, resolveRedirectingOptions } from "../policy/options.js";
import { requestURL } from "../policy/origin.js";
import { headersOf } from "./headers.js";
import { type DirectFetch, type SendPolicy, send } from "./send.js";
import { resolveAuth } from "./to-auth.js";

/**
 * Options of {@link withAuth}: the options every front door shares. Its
 * `timeout` defaults to none (as fetch's), beyond the caller's signal.
 *
 * @example
 * ```ts
 * const authedFetch = withAuth(fetch, auth, { trustedOrigins: ["https://cdn.example.com"], timeout: 10_000 });
 * ```
 */
export interface WithAuthOptions extends RedirectingOptions {
  /**
   * The origins whose requests are authenticated, e.g.
   * `["https://api.example.com"]`; a request to any other origin goes as
   * `withAuth(fetch, null)` would send it (no auth; hand-set credential
   * headers still under the plain-HTTP rule and the guard). Default: every
   * origin asked for — set it when a library that follows URLs from its
   * answers (pagination, downloads) is given this fetch.
   * @example ["https://api.example.com"]
   */
  origins?: readonly string[];
}

/**
 * The function {@link withAuth} returns: `fetch`'s own signature.
 *
 * @example
 * ```ts
 * const authedFetch: AuthenticatedFetch = withAuth(fetch, ["user", "pass"]);
 * const response = await authedFetch("https://api.example.com/me", { headers: { accept: "application/json" } });
 * ```
 */
export type AuthenticatedFetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/** The RequestInit fields authflow itself sets on each request; every other field passes through. */
const MANAGED = new Set(["method", "headers", "body", "signal", "redirect", "duplex"]);

/** The fields of a `Request` input that a new Request built from its URL would lose. */
const REQUEST_FIELDS = [
  "cache",
  "credentials",
  "integrity",
  "keepalive",
  "mode",
  "referrer",
  "referrerPolicy",
  "priority",
] as const;

/**
 * Wraps a fetch-compatible function so every call runs `auth`'s flow, with
 * the same origin rules as {@link Client}: redirects are followed by authflow
 * (credentials only to the request's origin or `trustedOrigins`), and
 * credentials are refused over plain HTTP except to loopback. `redirect:
 * "manual"` and `"error"` in `init` are honoured; every other field of `init`
 * (and of a `Request` input) — `dispatcher`, `integrity`, `keepalive`,
 * `priority`, `cache`, `mode`, `credentials`, fields authflow does not know —
 * reaches the wrapped function.
 *
 * @example
 * ```ts
 * const authedFetch = withAuth(fetch, new DigestAuth("user", "pass"));
 * const response = await authedFetch("https://example.com/private", { method: "POST", body: "x" });
 * ```
 */
export function withAuth(
  fetchFunction: FetchLike,
  auth: AuthLike | null,
  options: WithAuthOptions = {},
): AuthenticatedFetch {
  if (typeof fetchFunction !== "function") {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_TYPE",
      "fetch",
      "withAuth needs a fetch function as its first argument",
    );
  }
  const resolved = resolveRedirectingOptions(options, 0);
  const origins = options.origins === undefined ? undefined : new Set(resolveOrigins("origins", options.origins));
  const { maxReplayBytes } = resolved;
  const policy: SendPolicy = {
    fetch: fetchFunction,
    auth: resolveAuth("auth", auth),
    trustedOrigins: resolved.trustedOrigins,
    followRedirects: true,
    maxRedirects: resolved.maxRedirects,
    allowInsecureAuth: resolved.allowInsecureAuth,
    maxFlowSteps: resolved.maxFlowSteps,
    timeout: resolved.timeout,
    sensitiveHeaders: resolved.credentialHeaders,
    guard: resolved.guard,
    // Wrapping the platform's fetch itself: schemes with a synchronous header skip the Request object.
    direct: typeof fetch === "function" && fetchFunction === fetch ? (fetch as DirectFetch) : undefined,
  };
  const manual: SendPolicy = { ...policy, followRedirects: false };
  const unauthenticated: SendPolicy = { ...policy, auth: null };
  const unauthenticatedManual: SendPolicy = { ...manual, auth: null };

  const authenticatedFetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const base = input instanceof Request ? input : undefined;
    const url = requestURL(base?.url ?? (input instanceof URL ? input : String(input)), "the request URL");
    const headers = headersOf(init?.headers ?? base?.headers, policy.sensitiveHeaders);
    if (init?.body === undefined && base?.bodyUsed === true) {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        "input",
        "the Request's body was already read: build a new Request for each call (fetch refuses a used body too)",
      );
    }
    const rawBody = init?.body !== undefined ? init.body : (base?.body ?? null);
    const redirect = init?.redirect ?? base?.redirect ?? "follow";
    const sent = send(
      {
        url,
        method: (init?.method ?? base?.method ?? "GET").toUpperCase(),
        headers,
        body: bodySource(rawBody, maxReplayBytes),
        signal: init?.signal ?? base?.signal ?? undefined,
        extra: passedThrough(base, init),
      },
      origins === undefined || origins.has(url.origin)
        ? redirect === "follow"
          ? policy
          : manual
        : redirect === "follow"
          ? unauthenticated
          : unauthenticatedManual,
    );
    return redirect === "error" ? sent.then((response) => refuseRedirect(response, url)) : sent;
  };
  // fetch never throws: a bad URL or header is a rejected promise, as with the function it wraps.
  return (input, init) => {
    try {
      return authenticatedFetch(input, init);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/**
 * The caller's fields that authflow does not set itself, from a `Request`
 * input and then `init` (which wins): undefined when there are none, so the
 * usual call costs nothing.
 */
function passedThrough(base: Request | undefined, init: RequestInit | undefined): RequestInit | undefined {
  let extra: Record<string, unknown> | undefined;
  if (base !== undefined) {
    extra = {};
    for (const field of REQUEST_FIELDS) {
      const value = (base as unknown as Record<string, unknown>)[field];
      if (value !== undefined && value !== "") extra[field] = value;
    }
  }
  if (init !== undefined) {
    for (const field in init) {
      if (MANAGED.has(field)) continue;
      extra ??= {};
      extra[field] = (init as Record<string, unknown>)[field];
    }
  }
  return extra as RequestInit | undefined;
}

/** `redirect: "error"`: a redirect is a network error, as fetch has it. */
async function refuseRedirect(response: Response, url: URL): Promise<Response> {
  if (response.status >= 300 && response.status < 400 && response.headers.has("location")) {
    await response.body?.cancel();
    throw new TypeError(`fetch failed: redirect from ${url.origin} with redirect mode "error"`);
  }
  return response;
}
