import { type AuthLike, toAuth } from "./auth.js";
import { bodySource } from "./body.js";
import type { FetchLike } from "./flow.js";
import { RejectionGuard, type RejectionGuardOptions } from "./guard.js";
import { normaliseOrigins } from "./origin.js";
import { headersOf } from "./redact.js";
import { DEFAULT_SENSITIVE_HEADERS, type DirectFetch, type SendPolicy, send } from "./send.js";

/**
 * Options of {@link withAuth}.
 *
 * @example
 * ```ts
 * const authedFetch = withAuth(fetch, auth, { trustedOrigins: ["https://cdn.example.com"] });
 * ```
 */
export interface WithAuthOptions {
  /** Allow credentials over plain `http:` to hosts that are not loopback (default false). */
  allowInsecureAuth?: boolean;
  /** Origins besides the request's own that may receive credentials on redirect. */
  trustedOrigins?: readonly string[];
  /** Most redirects followed (default 20). */
  maxRedirects?: number;
  /** Most requests one auth flow may send (default 8). */
  maxFlowSteps?: number;
  /** Bytes of a streamed body kept to re-send it after a challenge (default 1 MiB). */
  maxReplayBytes?: number;
  /** Milliseconds to wait for the response headers; 0 (the default) for no limit beyond the caller's signal. */
  timeout?: number;
  /** Extra header names that carry credentials and must not follow a redirect to another origin. */
  sensitiveHeaders?: readonly string[];
  /** The bad-credential guard (on by default: 3 failures, then 30 s of fail-fast); `false` turns it off. */
  rejectionGuard?: RejectionGuardOptions | false;
}

/** The function {@link withAuth} returns: `fetch`'s own signature. */
export type AuthenticatedFetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/**
 * Wraps a fetch-compatible function so every call runs `auth`'s flow, with
 * the same origin rules as {@link Client}: redirects are followed by authflow
 * (credentials only to the request's origin or `trustedOrigins`), and
 * credentials are refused over plain HTTP except to loopback. `redirect:
 * "manual"` and `"error"` in `init` are honoured.
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
  const resolved = toAuth(auth);
  const maxReplayBytes = options.maxReplayBytes ?? 1024 * 1024;
  const policy: SendPolicy = {
    fetch: fetchFunction,
    auth: resolved,
    trustedOrigins: normaliseOrigins(options.trustedOrigins),
    followRedirects: true,
    maxRedirects: options.maxRedirects ?? 20,
    allowInsecureAuth: options.allowInsecureAuth ?? false,
    maxFlowSteps: options.maxFlowSteps ?? 8,
    timeout: options.timeout ?? 0,
    sensitiveHeaders: new Set([
      ...DEFAULT_SENSITIVE_HEADERS,
      ...(options.sensitiveHeaders ?? []).map((name) => name.toLowerCase()),
    ]),
    guard: options.rejectionGuard === false ? null : new RejectionGuard(options.rejectionGuard),
    // Wrapping the platform's fetch itself: schemes with a synchronous header skip the Request object.
    direct: typeof fetch === "function" && fetchFunction === fetch ? (fetch as DirectFetch) : undefined,
  };
  const manual: SendPolicy = { ...policy, followRedirects: false };

  const authenticatedFetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const base = input instanceof Request ? input : undefined;
    const url = new URL(base?.url ?? String(input));
    const headers = headersOf(init?.headers ?? base?.headers);
    const rawBody = init?.body !== undefined ? init.body : (base?.body ?? null);
    const redirect = init?.redirect ?? base?.redirect ?? "follow";
    const sent = send(
      {
        url,
        method: (init?.method ?? base?.method ?? "GET").toUpperCase(),
        headers,
        body: bodySource(rawBody, maxReplayBytes),
        signal: init?.signal ?? base?.signal ?? undefined,
      },
      redirect === "follow" ? policy : manual,
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

/** `redirect: "error"`: a redirect is a network error, as fetch has it. */
async function refuseRedirect(response: Response, url: URL): Promise<Response> {
  if (response.status >= 300 && response.status < 400 && response.headers.has("location")) {
    await response.body?.cancel();
    throw new TypeError(`fetch failed: redirect from ${url.origin} with redirect mode "error"`);
  }
  return response;
}
