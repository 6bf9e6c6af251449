import { createHash } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

/** What a recorder saw of one request. */
export interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  bodySha256: string;
  bodyLength: number;
  body: string;
}

export type Handler = (request: IncomingMessage, response: ServerResponse, body: Buffer, log: Recorded[]) => void;

/** A loopback server that records every request and answers with `handler`. */
export interface Recorder {
  /** e.g. `http://127.0.0.1:40123` */
  url: string;
  port: number;
  requests: Recorded[];
  connections: () => number;
  close(): Promise<void>;
}

export interface RecorderOptions {
  host?: string;
  tls?: { key: string; cert: string };
}

const ok: Handler = (_request, response) => {
  response.writeHead(200, { "content-type": "text/plain" });
  response.end("ok");
};

export async function startRecorder(handler: Handler = ok, options: RecorderOptions = {}): Promise<Recorder> {
  const requests: Recorded[] = [];
  let connections = 0;
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      requests.push({
        method: request.method ?? "",
        path: request.url ?? "",
        headers: { ...request.headers },
        bodySha256: sha256(body),
        bodyLength: body.length,
        body: body.toString("utf8"),
      });
      handler(request, response, body, requests);
    });
  };
  const server: Server = options.tls ? createHttpsServer(options.tls, listener) : createHttpServer(listener);
  server.on("connection", () => {
    connections += 1;
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? "https" : "http"}://${host}:${port}`,
    port,
    requests,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A handler that redirects every request to `location` with `status`. */
export function redirectTo(location: string, status = 302): Handler {
  return (_request, response) => {
    response.writeHead(status, { location, "content-length": 0 });
    response.end();
  };
}
