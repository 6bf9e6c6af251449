import type { IncomingMessage, ServerResponse } from "node:http";
import type { OAuthState } from "./oauth-state.js";
import type { ResolvedLimits, TestServerOptions } from "./option-types.js";
import type { ServerStats } from "./stats.js";

export type {
  ResolvedLimits,
  TestServerCorsOptions,
  TestServerDpopOptions,
  TestServerLimits,
  TestServerOptions,
  TestServerResourceOptions,
  TestServerTlsOptions,
} from "./option-types.js";
export type { DpopRefusalReason, DpopStats, MtlsRefusalReason, MtlsStats, ServerStats } from "./stats.js";
export { emptyStats } from "./stats.js";

/** What every route family is built from. */
export interface ServerContext {
  readonly options: TestServerOptions;
  readonly stats: ServerStats;
  readonly limits: ResolvedLimits;
  /** Tokens, DPoP state and the OAuth clock, shared by the token endpoint and the protected routes. */
  readonly oauth: OAuthState;
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
  /** The origin the client addressed — from `Host`, when it names this server (`http://localhost:41234`) — else `origin`. */
  readonly publicOrigin: string;
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
