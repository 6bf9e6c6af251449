import type { IncomingMessage, ServerResponse } from "node:http";
import type { TestServerCorsOptions } from "./option-types.js";
import { sendEmpty, sendJson } from "./router.js";
import type { ServerStats } from "./stats.js";

/** Fetch §3.2.5: the answer headers a cross-origin script may read — the challenges, the nonces, the redirects. */
export const EXPOSED_HEADERS = "WWW-Authenticate, Authentication-Info, DPoP-Nonce, Location, Retry-After";
/** The request headers every preflight allows, besides the ones it asks for. */
export const ALLOWED_HEADERS = ["Authorization", "Content-Type", "DPoP"];
const ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
/** RFC 9110 §5.1: a field name is a token. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Requested headers echoed at most: a preflight asking for more gets the first ones. */
const MAX_REQUESTED_HEADERS = 32;

/**
 * The CORS behaviour of a server started with `cors` (Fetch standard §3.2).
 *
 * @example
 * ```ts
 * const cors = corsPolicy({ origins: ["http://127.0.0.1:5173"] });
 * cors?.decorate(request, response, stats);
 * if (cors?.answerPreflight(request, response, stats)) return;
 * ```
 */
export interface CorsPolicy {
  /** Sets `Vary: Origin`, and the allow/expose headers when the request's Origin is allowed, on the answer to come. */
  decorate(request: IncomingMessage, response: ServerResponse, stats: ServerStats): void;
  /** Answers a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`); true when it did. */
  answerPreflight(request: IncomingMessage, response: ServerResponse, stats: ServerStats): boolean;
}

/**
 * The policy for the `cors` option; undefined when CORS is off. `true`
 * allows any http(s) origin, echoed (with credentials allowed, `*` is never
 * sent — Fetch §3.2.5); a list allows exactly those serialised origins.
 * The opaque origin `null` (sandboxed frames, `file:` pages) is never allowed.
 *
 * @example
 * ```ts
 * corsPolicy(true)?.answerPreflight(request, response, stats);
 * ```
 */
export function corsPolicy(option: boolean | TestServerCorsOptions | undefined): CorsPolicy | undefined {
  if (option === undefined || option === false) return undefined;
  const listed = option === true ? undefined : new Set(option.origins);
  const allowed = (request: IncomingMessage): string | undefined => {
    const origin = request.headers.origin;
    if (origin === undefined || !isSerialisedOrigin(origin)) return undefined;
    return listed === undefined || listed.has(origin) ? origin : undefined;
  };
  return {
    decorate(request, response, stats) {
      response.setHeader("vary", "Origin");
      if (request.headers.origin === undefined) return;
      const origin = allowed(request);
      if (origin === undefined) {
        stats.cors.refusedOrigins += 1;
        return;
      }
      response.setHeader("access-control-allow-origin", origin);
      response.setHeader("access-control-allow-credentials", "true");
      response.setHeader("access-control-expose-headers", EXPOSED_HEADERS);
    },
    answerPreflight(request, response, stats) {
      const method = request.headers["access-control-request-method"];
      if (request.method !== "OPTIONS" || request.headers.origin === undefined || method === undefined) return false;
      stats.cors.preflights += 1;
      if (allowed(request) === undefined) {
        sendJson(response, 403, { error: "this origin is not allowed by the test server's cors option" });
        return true;
      }
      sendEmpty(response, 204, {
        "access-control-allow-methods": TOKEN.test(method) ? `${ALLOWED_METHODS}, ${method}` : ALLOWED_METHODS,
        "access-control-allow-headers": allowedHeaders(request.headers["access-control-request-headers"]),
        "access-control-max-age": "600",
      });
      return true;
    },
  };
}

/**
 * True for a serialised http(s) origin (`scheme://host[:port]`, exactly as
 * the URL parser writes it), the only form an Origin header or the `origins`
 * option may take here.
 *
 * @example
 * ```ts
 * isSerialisedOrigin("http://127.0.0.1:5173"); // true
 * isSerialisedOrigin("null"); // false
 * ```
 */
export function isSerialisedOrigin(value: string): boolean {
  if (!/^https?:\/\//.test(value)) return false;
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

function allowedHeaders(requested: string | undefined): string {
  const names = new Map(ALLOWED_HEADERS.map((name) => [name.toLowerCase(), name]));
  const asked = (requested ?? "").split(",").map((name) => name.trim());
  for (const name of asked.slice(0, MAX_REQUESTED_HEADERS)) {
    if (TOKEN.test(name) && !names.has(name.toLowerCase())) names.set(name.toLowerCase(), name);
  }
  return [...names.values()].join(", ");
}
