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
  /** TCP port; `0` (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; loopback (`127.0.0.1`) by default. */
  host?: string;
  /** Lifetime of the access tokens `POST /oauth/token` issues, in seconds (default 3600). */
  tokenTtlSeconds?: number;
  /** The clients `POST /oauth/token` knows (default: `basic-client`, `post-client`, `jwt-client`, `pkjwt-client`, see `defaultClients()`). */
  clients?: readonly OAuthClientRegistration[];
  /** Shifts the OAuth routes' clock (Date header, token expiry, assertion checks) by this many seconds, to play a server whose clock is off (default 0). */
  oauthClockSkewSeconds?: number;
}

/** What every route family is built from. */
export interface ServerContext {
  readonly options: TestServerOptions;
  readonly stats: ServerStats;
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
}

export function emptyStats(): ServerStats {
  return { routes: {}, requests: 0, connections: 0, challenges: 0, tokensIssued: 0, tokenRequests: 0 };
}

/** What a route handler gets: the parsed request with its whole body read. */
export interface RouteContext {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly url: URL;
  /** Path parameters by name (`:user` → `params.user`), percent-decoded. */
  readonly params: Readonly<Record<string, string | undefined>>;
  /** The request body, read in full. */
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
