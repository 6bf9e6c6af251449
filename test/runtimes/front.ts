import { readFile } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

/**
 * A small server in front of the test server, for the browser pages:
 * - `/__page/<file>` serves a file of `pageDirectory` (the page, the scenario, the bundle);
 * - with `proxyTo`, every other path is forwarded to the test server as it is, so the page and
 *   the API share one origin (the same-origin page);
 * - with `corsFor`, the forwarded answers carry CORS headers for that page origin and preflights
 *   are answered here — what the test server's CORS option should do (issue 21), until it has one.
 */
export interface FrontOptions {
  readonly pageDirectory: string;
  readonly proxyTo?: string;
  readonly corsFor?: string;
}

export interface Front {
  readonly url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { ".html": "text/html", ".mjs": "text/javascript" };

// Fetch §3.2.5 (CORS protocol): the headers a cross-origin script may read, and those it may send.
const EXPOSED = "WWW-Authenticate, Authentication-Info, Location, DPoP-Nonce";
const ALLOWED_HEADERS = "Authorization, Content-Type, DPoP";

export async function startFront(options: FrontOptions): Promise<Front> {
  const server = createServer((request, response) => {
    void handle(options, request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain" });
      response.end(`front: ${String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(options: FrontOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? "/", "http://front").pathname;
  if (path.startsWith("/__page/")) return servePage(options.pageDirectory, path.slice("/__page/".length), response);
  if (options.proxyTo === undefined) {
    response.writeHead(404).end();
    return;
  }
  const cors = corsHeaders(options.corsFor);
  if (cors !== undefined && request.method === "OPTIONS") {
    response.writeHead(204, {
      ...cors,
      "access-control-allow-methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
      "access-control-allow-headers": ALLOWED_HEADERS,
      "access-control-max-age": "600",
    });
    response.end();
    return;
  }
  forward(options.proxyTo, request, response, cors ?? {});
}

function corsHeaders(origin: string | undefined): Record<string, string> | undefined {
  if (origin === undefined) return undefined;
  return { "access-control-allow-origin": origin, "access-control-expose-headers": EXPOSED, vary: "Origin" };
}

async function servePage(directory: string, name: string, response: ServerResponse): Promise<void> {
  if (!/^[\w.-]+$/.test(name)) {
    response.writeHead(404).end();
    return;
  }
  const body = await readFile(join(directory, name)).catch(() => undefined);
  if (body === undefined) {
    response.writeHead(404).end();
    return;
  }
  const type = TYPES[name.slice(name.lastIndexOf("."))] ?? "application/octet-stream";
  response.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(body);
}

/** Forwards one request byte for byte (the Host header names the test server, as a reverse proxy does). */
function forward(target: string, request: IncomingMessage, response: ServerResponse, extra: Record<string, string>) {
  const { host, ...headers } = request.headers;
  const upstream = httpRequest(
    new URL(request.url ?? "/", target),
    { method: request.method, headers: { ...headers, host: new URL(target).host } },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...extra });
      answer.pipe(response);
    },
  );
  upstream.on("error", (error) => {
    if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain", ...extra });
    response.end(`front: ${error.message}`);
  });
  request.pipe(upstream);
}
