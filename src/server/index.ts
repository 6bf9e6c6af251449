import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { basicRoutes } from "./basic.js";
import { digestRoutes } from "./digest.js";
import { httpbinRoutes } from "./httpbin.js";
import { oauthRoutes } from "./oauth.js";
import {
  emptyStats,
  matchPath,
  type Route,
  type RouteFamily,
  type ServerStats,
  sendJson,
  type TestServerOptions,
} from "./router.js";

export type { OAuthClientRegistration, OAuthFaultKind, OAuthFaultPlan } from "./oauth.js";
export { defaultClients, TEST_CLIENT_PRIVATE_JWK } from "./oauth.js";
export type { ServerStats, TestServerOptions } from "./router.js";

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
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Counters since start or the last `reset()`. */
  stats(): ServerStats;
  /** Zeroes the counters and forgets nonces and issued tokens. */
  reset(): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * Starts the embedded test server: httpbin's authentication routes
 * (`/basic-auth/:user/:passwd`, `/hidden-basic-auth/…`, `/bearer`,
 * `/redirect-to`, `/status/:code`, `/anything`) plus `/_stats`, so the
 * examples that point at httpbin.org run offline by swapping the host.
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
  const stats = emptyStats();
  const context = { options, stats };
  const families: RouteFamily[] = [
    httpbinRoutes(context),
    basicRoutes(context),
    digestRoutes(context),
    oauthRoutes(context),
  ];
  const routes = families.flatMap((family) => family.routes);
  let origin = "";

  const server = createServer({ keepAliveTimeout: 30_000 }, (request, response) => {
    void handle(request, response, routes, stats, origin);
  });
  server.on("connection", () => {
    stats.connections += 1;
  });
  await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  origin = `http://${host}:${address.port}`;

  return {
    url: origin,
    stats: () => structuredClone(stats),
    reset() {
      Object.assign(stats, emptyStats(), { connections: stats.connections });
      for (const family of families) family.reset?.();
    },
    close: () => close(server),
  };
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  routes: readonly Route[],
  stats: ServerStats,
  origin: string,
): Promise<void> {
  try {
    const url = new URL(request.url ?? "/", origin);
    const body = await readBody(request);
    stats.requests += 1;
    if (url.pathname === "/_stats") {
      sendJson(response, 200, stats);
      return;
    }
    for (const route of routes) {
      if (route.method !== undefined && route.method !== request.method) continue;
      const params = matchPath(route.path, url.pathname);
      if (params === null) continue;
      stats.routes[route.name] = (stats.routes[route.name] ?? 0) + 1;
      await route.handle({ request, response, url, params, body, origin, stats });
      return;
    }
    sendJson(response, 404, { error: "not found", path: url.pathname });
  } catch (error) {
    if (!response.headersSent) sendJson(response, 500, { error: String(error) });
    else response.destroy();
  }
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.destroy();
        reject(new Error("request body too large"));
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
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
