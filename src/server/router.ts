import type { IncomingMessage, ServerResponse } from "node:http";
import type { OAuthClientRegistration } from "./oauth-clients.js";

/**
 * Options of {@link startTestServer}.
 *
 * @example
 * ```ts
 * const server = await startTestServer({ port: 0, tokenTtlSeconds: 2 });
 * ```
 */
export interface TestServerOptions {
  /** TCP port, an integer from 0 to 65535; `0` (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; loopback (`127.0.0.1`) by default. Anything else exposes a test server to the network. */
  host?: string;
  /** Lifetime of the access tokens `POST /oauth/token` issues, in seconds, >= 0 (default 3600; 0: `expires_in: 0`). */
  tokenTtlSeconds?: number;
  /** The clients `POST /oauth/token` knows (default: `basic-client`, `post-client`, `jwt-client`, `pkjwt-client`, see `defaultClients()`). */
  clients?: readonly OAuthClientRegistration[];
  /** Shifts the OAuth routes' clock (Date header, token expiry, assertion checks) by this many seconds, to play a server whose clock is off (default 0). */
  oauthClockSkewSeconds?: number;
  /**
   * Turns on fault injection: `POST /oauth/_faults` and `DELETE /oauth/_faults`
   * ({@link OAuthFaultPlan}) make the token endpoint fail on purpose. Off by
   * default — the routes answer 404 — since anyone who can reach the server
   * could otherwise switch its faults.
   *
   * @example
   * ```ts
   * const server = await startTestServer({ faults: true });
   * await fetch(`${server.url}/oauth/_faults`, { method: "POST", body: JSON.stringify({ next: 1, kind: "503" }) });
   * ```
   */
  faults?: boolean;
  /**
   * Lets `/redirect-to?url=` send any target, as httpbin does. By default it
   * redirects only to a path on this server, to a loopback host (127.0.0.0/8,
   * `[::1]`, `localhost`) or to the host the request was sent to, and answers
   * 403 otherwise, so a server reachable from the network is not an open redirect.
   *
   * @example
   * ```ts
   * const server = await startTestServer({ openRedirects: true });
   * await fetch(`${server.url}/redirect-to?url=https://example.com/`, { redirect: "manual" }); // 302 to example.com
   * ```
   */
  openRedirects?: boolean;
  /** Bounds on what one client can make the server hold ({@link TestServerLimits}). */
  limits?: TestServerLimits;
}

/**
 * How much request data the test server holds, and for how long. Bodies are
 * read only by the routes that use them — `/anything` and Digest `auth-int`
 * (up to `bodyBytes`), `POST /oauth/token` (16 KiB), `POST /oauth/_faults`
 * (4 KiB); every other route discards the body unread. A body over its
 * route's cap gets 413; a body that would take the bytes buffered across all
 * requests in flight over `totalBodyBytes` gets 503 with `Retry-After`.
 *
 * @example
 * ```ts
 * const server = await startTestServer({ limits: { bodyBytes: 64 * 1024, totalBodyBytes: 1024 * 1024, requestTimeoutMs: 5000 } });
 * ```
 */
export interface TestServerLimits {
  /** Largest body `/anything` and Digest `auth-int` read, in bytes (default 1 MiB). */
  bodyBytes?: number;
  /** Body bytes buffered at once across every request in flight (default 8 MiB). */
  totalBodyBytes?: number;
  /** Time to receive a whole request, headers and body, in ms (default 30 000; headers alone: at most 10 000). */
  requestTimeoutMs?: number;
}

/** {@link TestServerLimits} with the defaults filled in. */
export interface ResolvedLimits {
  readonly bodyBytes: number;
  readonly totalBodyBytes: number;
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
}

/** What every route family is built from. */
export interface ServerContext {
  readonly options: TestServerOptions;
  readonly stats: ServerStats;
  readonly limits: ResolvedLimits;
}

/** Counters every route family shares; `/_stats` and `stats()` report them. */
export interface ServerStats {
  /** Requests seen, by route name (`"basic-auth"`, `"digest-auth"`, …). */
  routes: Record<string, number>;
  /** Every request the server answered. */
  requests: number;
  /** TCP connections accepted (shows whether clients reuse sockets). */
  connections: number;
  /** Authentication challenges sent (401 with WWW-Authenticate). */
  challenges: number;
  /** Tokens issued by `POST /oauth/token`. */
  tokensIssued: number;
  /** Calls to `POST /oauth/token`, successful or not. */
  tokenRequests: number;
  /** Request-body bytes held right now, across every request in flight (at most `limits.totalBodyBytes`). */
  bodyBytesBuffered: number;
  /** The highest `bodyBytesBuffered` since start or the last `reset()`. */
  bodyBytesBufferedPeak: number;
  /** Requests refused for their body: over the route's cap (413) or the server-wide one (503). */
  bodiesRefused: number;
}

export function emptyStats(): ServerStats {
  return {
    routes: {},
    requests: 0,
    connections: 0,
    challenges: 0,
    tokensIssued: 0,
    tokenRequests: 0,
    bodyBytesBuffered: 0,
    bodyBytesBufferedPeak: 0,
    bodiesRefused: 0,
  };
}

/** What a route handler gets: the parsed request, with its body read when the route reads bodies. */
export interface RouteContext {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly url: URL;
  /** Path parameters by name (`:user` → `params.user`), percent-decoded. */
  readonly params: Readonly<Record<string, string | undefined>>;
  /** The request body, read in full for a route with a `bodyLimit`; empty (the body discarded) otherwise. */
  readonly body: Buffer;
  /** The server's own origin, e.g. `http://127.0.0.1:41234`. */
  readonly origin: string;
  readonly stats: ServerStats;
}

export interface Route {
  /** Name counted in `stats.routes`. */
  readonly name: string;
  /** `GET`, `POST`, …; absent means any method. */
  readonly method?: string;
  /** Path pattern: `/basic-auth/:user/:passwd`; a trailing `?` makes a segment optional (`/:algorithm?`), a final `*` matches any rest. */
  readonly path: string;
  /** Largest body the route reads, in bytes (413 beyond); absent or 0: the body is discarded unread. */
  readonly bodyLimit?: number | ((params: Readonly<Record<string, string | undefined>>) => number);
  handle(context: RouteContext): void | Promise<void>;
}

/** A group of routes with its own state (nonces, tokens…), cleared by `reset()`. */
export interface RouteFamily {
  readonly routes: readonly Route[];
  reset?(): void;
}

/** Matches `pathname` against a route pattern; returns the parameters, or null. */
export function matchPath(pattern: string, pathname: string): Record<string, string> | null {
  const patternSegments = pattern.split("/").slice(1);
  const pathSegments = pathname.split("/").slice(1);
  const rest = patternSegments[patternSegments.length - 1] === "*";
  if (rest) patternSegments.pop();
  if (pathSegments.length > patternSegments.length && !rest) return null;
  const params: Record<string, string> = {};
  for (let index = 0; index < patternSegments.length; index++) {
    const segment = patternSegments[index] as string;
    const actual = pathSegments[index];
    const optional = segment.endsWith("?");
    if (actual === undefined || actual === "") {
      if (optional) continue;
      if (actual === "" && segment === "") continue;
      return null;
    }
    if (segment.startsWith(":")) {
      const name = optional ? segment.slice(1, -1) : segment.slice(1);
      try {
        params[name] = decodeURIComponent(actual);
      } catch {
        return null;
      }
    } else if (segment !== actual) {
      return null;
    }
  }
  return params;
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

export function sendEmpty(
  response: ServerResponse,
  status: number,
  headers: Record<string, string | string[]> = {},
): void {
  response.writeHead(status, { "content-length": 0, ...headers });
  response.end();
}
