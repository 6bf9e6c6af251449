/**
 * authflow's embedded test server (`authflow/server`, `authflow serve`): a
 * TEST SERVER, not for production. It answers httpbin's authentication
 * routes and an OAuth 2.0 token endpoint for fixed, published client secrets
 * (`defaultClients()`), and reports what it saw, so tests and examples run
 * offline against real sockets. It listens on loopback by default; bound to
 * another interface, anyone who can reach it gets tokens for those secrets.
 * Fault injection is off unless `faults: true`, `/redirect-to` sends only to
 * this server or loopback unless `openRedirects: true`, and what one client
 * can make it hold is bounded (`limits`). It speaks HTTPS with `tls` (with
 * RFC 8705 mutual TLS when `tls.requestCert`), DPoP (RFC 9449), RFC 9728
 * protected resource metadata, and CORS with `cors`.
 *
 * @example
 * ```ts
 * import { startTestServer } from "authflow/server";
 * const server = await startTestServer(); // http://127.0.0.1:<free port>
 * await fetch(`${server.url}/basic-auth/user/pass`, { headers: { authorization: `Basic ${btoa("user:pass")}` } });
 * await server.close();
 * ```
 *
 * @module authflow/server
 */
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { basicRoutes } from "./basic.js";
import { BodyBudget, type BodyOutcome, discardBody } from "./body.js";
import { type CorsPolicy, corsPolicy } from "./cors.js";
import { digestRoutes } from "./digest.js";
import { publicOrigin } from "./hosts.js";
import { httpbinRoutes } from "./httpbin.js";
import { oauthRoutes } from "./oauth.js";
import { createOAuthState } from "./oauth-state.js";
import type { TestServerTlsOptions } from "./option-types.js";
import { checkServerOptions } from "./options.js";
import { protectedRoutes } from "./protected.js";
import { resourceRoutes } from "./resource.js";
import {
  emptyStats,
  matchPath,
  type ResolvedLimits,
  type Route,
  type RouteFamily,
  type ServerStats,
  sendJson,
  type TestServerOptions,
} from "./router.js";
import { tlsServerOptions } from "./tls.js";

export type {
  TestCertificateOptions,
  TestCertificates,
  TestClientCertificate,
  TestKeyPair,
} from "./certificates.js";
export { createTestCertificates, DEFAULT_CLIENT_SUBJECT, TestCertificateError } from "./certificates.js";
export { DPOP_ALGORITHMS, tokenHash } from "./dpop.js";
export { isLoopbackHost } from "./hosts.js";
export type { OAuthClientRegistration, OAuthFaultKind, OAuthFaultPlan, TestClientAuthMethod } from "./oauth.js";
export { defaultClients, mtlsTestClients, TEST_CLIENT_PRIVATE_JWK } from "./oauth.js";
export { metadataUrl, RESOURCE_METADATA_PATH } from "./resource.js";
export type {
  DpopRefusalReason,
  DpopStats,
  MtlsRefusalReason,
  MtlsStats,
  ServerStats,
  TestServerCorsOptions,
  TestServerDpopOptions,
  TestServerLimits,
  TestServerOptions,
  TestServerResourceOptions,
  TestServerTlsOptions,
} from "./router.js";
export { certificateThumbprint } from "./tls.js";

/**
 * A running test server.
 *
 * @example
 * ```ts
 * const server = await startTestServer();
 * await fetch(`${server.url}/anything`);
 * console.log(server.stats().requests); // 1
 * await server.close();
 * ```
 */
export interface TestServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234` (`https://…` with `tls`). */
  readonly url: string;
  /** Counters since start or the last `reset()`. */
  stats(): ServerStats;
  /** Zeroes the counters and forgets nonces and issued tokens. */
  reset(): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * Starts the embedded test server (for tests and examples — not for
 * production): httpbin's authentication routes (`/basic-auth/:user/:passwd`,
 * `/hidden-basic-auth/…`, `/digest-auth/…`, `/bearer`, `/redirect-to`,
 * `/status/:code`, `/anything`), the OAuth 2.0 routes (`POST /oauth/token`,
 * `/oauth/protected`, `/oauth/dpop-protected`, `/oauth/mtls-protected`, RFC
 * 8414 metadata), the RFC 9728 resources (`/resource/*` and their
 * `/.well-known/oauth-protected-resource/resource/*`), and `/_stats`, so the
 * examples that point at httpbin.org run offline by swapping the host.
 * Options are checked first: a bad one is an `InvalidArgumentError` (a
 * `TypeError` with a `code`) naming it. Bodies are read only by the routes
 * that use them, within {@link TestServerLimits}; a request that has not
 * arrived whole within `limits.requestTimeoutMs` is cut off (408).
 *
 * @example
 * ```ts
 * import { startTestServer } from "authflow/server";
 * const server = await startTestServer();
 * const response = await get(`${server.url}/basic-auth/user/pass`, { auth: ["user", "pass"] });
 * await server.close();
 * ```
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const limits = checkServerOptions(options);
  const stats = emptyStats();
  const oauth = createOAuthState(options, stats);
  const context = { options, stats, limits, oauth };
  const families: RouteFamily[] = [
    httpbinRoutes(context),
    basicRoutes(context),
    digestRoutes(context),
    oauthRoutes(context),
    protectedRoutes(context),
    resourceRoutes(context),
    { routes: [], reset: () => oauth.reset() },
  ];
  const routes = families.flatMap((family) => family.routes);
  const budget = new BodyBudget(stats, limits.totalBodyBytes);
  const cors = corsPolicy(options.cors);
  let origin = "";

  const server = createHttpServer(limits, options.tls, (request, response) => {
    void handle({ request, response, routes, stats, budget, origin, cors });
  });
  server.on("connection", () => {
    stats.connections += 1;
  });
  await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  origin = `${options.tls === undefined ? "http" : "https"}://${host}:${address.port}`;

  return {
    url: origin,
    stats: () => structuredClone(stats),
    reset() {
      // Connections and the bytes held right now are facts about the present, not counters.
      const { connections, bodyBytesBuffered } = stats;
      Object.assign(stats, emptyStats(), { connections, bodyBytesBuffered, bodyBytesBufferedPeak: bodyBytesBuffered });
      for (const family of families) family.reset?.();
    },
    close: () => close(server),
  };
}

interface Exchange {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly routes: readonly Route[];
  readonly stats: ServerStats;
  readonly budget: BodyBudget;
  readonly origin: string;
  readonly cors: CorsPolicy | undefined;
}

async function handle(exchange: Exchange): Promise<void> {
  const { request, response, stats, origin, cors } = exchange;
  // A client that goes away mid-body must not crash the process.
  request.on("error", () => {});
  try {
    // Before any answer, so refusals (413, 503, 401) are readable cross-origin too.
    cors?.decorate(request, response, stats);
    const url = new URL(request.url ?? "/", origin);
    const found = url.pathname === "/_stats" ? undefined : findRoute(exchange.routes, request.method, url.pathname);
    const outcome = await bodyFor(exchange, found);
    if (outcome.kind === "aborted") return;
    stats.requests += 1;
    if (outcome.kind === "refused") return refuse(response, outcome.status);
    if (cors?.answerPreflight(request, response, stats) === true) return;
    // Held until the answer has gone out: a client that does not read its echo keeps the bytes counted.
    const release = () => exchange.budget.release(outcome.body.length);
    if (response.destroyed) release();
    else response.once("close", release);
    if (url.pathname === "/_stats") sendJson(response, 200, stats);
    else if (found === undefined) sendJson(response, 404, { error: "not found", path: url.pathname });
    else {
      stats.routes[found.route.name] = (stats.routes[found.route.name] ?? 0) + 1;
      const { params } = found;
      const addressed = publicOrigin(request.headers.host, origin);
      await found.route.handle({
        request,
        response,
        url,
        params,
        body: outcome.body,
        origin,
        publicOrigin: addressed,
        stats,
      });
    }
  } catch (error) {
    if (!response.headersSent) sendJson(response, 500, { error: String(error) });
    else response.destroy();
  }
}

interface Found {
  readonly route: Route;
  readonly params: Record<string, string>;
}

function findRoute(routes: readonly Route[], method: string | undefined, pathname: string): Found | undefined {
  for (const route of routes) {
    if (route.method !== undefined && route.method !== method) continue;
    const params = matchPath(route.path, pathname);
    if (params !== null) return { route, params };
  }
  return undefined;
}

/** The body, read only for a route that uses it; every other body is discarded unread. */
async function bodyFor(exchange: Exchange, found: Found | undefined): Promise<BodyOutcome> {
  const { bodyLimit } = found?.route ?? {};
  const limit = typeof bodyLimit === "function" ? bodyLimit(found?.params ?? {}) : (bodyLimit ?? 0);
  if (limit > 0) return exchange.budget.read(exchange.request, limit);
  const body = await discardBody(exchange.request);
  return exchange.request.complete ? { kind: "read", body } : { kind: "aborted" };
}

function refuse(response: ServerResponse, status: 413 | 503): void {
  if (status === 413) {
    sendJson(response, 413, { error: "request body too large for this route" });
    return;
  }
  sendJson(response, 503, { error: "the server is holding too many request bodies; retry" }, { "retry-after": "1" });
}

function createHttpServer(
  limits: ResolvedLimits,
  tls: TestServerTlsOptions | undefined,
  listener: (request: IncomingMessage, response: ServerResponse) => void,
): Server {
  const options: ServerOptions = {
    keepAliveTimeout: 30_000,
    // A stalled or trickled upload is cut off (408), so it cannot hold a connection or buffered bytes forever.
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, limits.requestTimeoutMs),
  };
  if (tls === undefined) return createServer(options, listener);
  const server = createHttpsServer({ ...options, ...tlsServerOptions(tls) }, listener);
  // The client certificate is read once per connection: TLS 1.2 renegotiation must not swap it afterwards.
  server.on("secureConnection", (socket: TLSSocket) => socket.disableRenegotiation());
  // An https.Server is a tls.Server that speaks HTTP: the same listen/close/closeAllConnections surface.
  return server as unknown as Server;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
