/**
 * A small forward proxy for the tests squid cannot drive: an https://
 * proxy, Proxy-Authentication-Info with nextnonce, a CONNECT refused with
 * 403, unique nc under concurrency. It forwards absolute-form requests and
 * tunnels CONNECTs on loopback, checks Basic or Digest (MD5, qop=auth, its
 * own nonces, each nc used once per nonce) and records what it saw.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { type AddressInfo, connect, type Socket } from "node:net";

/** One request the proxy received. */
export interface ProxiedRequest {
  readonly method: string;
  readonly url: string;
  readonly proxyAuthorization: string | undefined;
  readonly status: number;
}

/** How the proxy authenticates. */
export interface TestProxyOptions {
  readonly basic?: { readonly user: string; readonly password: string };
  readonly digest?: { readonly user: string; readonly password: string; readonly nextnonce?: boolean };
  /** Refuse every CONNECT with this status (after authentication). */
  readonly refuseConnect?: number;
  /** Serve TLS with this certificate (an https:// proxy). */
  readonly tls?: { readonly cert: string; readonly key: string };
}

/** A running test proxy. */
export interface TestProxy {
  readonly url: string;
  readonly requests: ProxiedRequest[];
  /** Digest answers refused because their nc was not above the nonce's last. */
  readonly replays: number;
  close(): Promise<void>;
}

const REALM = "test proxy";
const md5 = (text: string) => createHash("md5").update(text, "utf8").digest("hex");

/** Starts a proxy on 127.0.0.1, port 0. */
export async function startTestProxy(options: TestProxyOptions = {}): Promise<TestProxy> {
  const requests: ProxiedRequest[] = [];
  const nonces = new Map<string, Set<number>>();
  const state = { replays: 0 };
  const check = (message: IncomingMessage): { ok: true; info?: string } | { ok: false } =>
    authenticate(message, options, nonces, state);
  const onRequest = (message: IncomingMessage, response: ServerResponse) => {
    const verdict = check(message);
    if (!verdict.ok) {
      requests.push(entry(message, 407));
      challenge(response, options, nonces).end("proxy authentication required");
      return;
    }
    if (verdict.info !== undefined) response.setHeader("proxy-authentication-info", verdict.info);
    forwardRequest(message, response, requests);
  };
  const server: Server =
    options.tls === undefined ? createHttpServer(onRequest) : createHttpsServer(options.tls, onRequest);
  server.on("connect", (message: IncomingMessage, socket: Socket, head: Buffer) => {
    const verdict = check(message);
    if (!verdict.ok || options.refuseConnect !== undefined) {
      const code = verdict.ok ? (options.refuseConnect as number) : 407;
      requests.push(entry(message, code));
      const headers = verdict.ok ? "" : challengeLines(options, nonces);
      socket.end(`HTTP/1.1 ${code} Refused\r\n${headers}content-length: 0\r\n\r\n`);
      return;
    }
    requests.push(entry(message, 200));
    const [host, port] = splitAuthority(message.url ?? "");
    const upstream = connect(Number(port), host, () => {
      const info = verdict.info === undefined ? "" : `proxy-authentication-info: ${verdict.info}\r\n`;
      socket.write(`HTTP/1.1 200 Connection Established\r\n${info}\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const scheme = options.tls === undefined ? "http" : "https";
  return {
    url: `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    get replays() {
      return state.replays;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function entry(message: IncomingMessage, status: number): ProxiedRequest {
  const header = message.headers["proxy-authorization"];
  return { method: message.method ?? "", url: message.url ?? "", proxyAuthorization: header, status };
}

function splitAuthority(authority: string): [string, string] {
  const colon = authority.lastIndexOf(":");
  return [authority.slice(0, colon).replace(/^\[|\]$/g, ""), authority.slice(colon + 1)];
}

function newNonce(nonces: Map<string, Set<number>>): string {
  const nonce = randomBytes(12).toString("hex");
  nonces.set(nonce, new Set());
  return nonce;
}

function challengeLines(options: TestProxyOptions, nonces: Map<string, Set<number>>): string {
  const lines: string[] = [];
  if (options.digest !== undefined) {
    lines.push(
      `proxy-authenticate: Digest realm="${REALM}", nonce="${newNonce(nonces)}", qop="auth", algorithm=MD5\r\n`,
    );
  }
  if (options.basic !== undefined) lines.push(`proxy-authenticate: Basic realm="${REALM}"\r\n`);
  return lines.join("");
}

function challenge(
  response: ServerResponse,
  options: TestProxyOptions,
  nonces: Map<string, Set<number>>,
): ServerResponse {
  const values: string[] = [];
  if (options.digest !== undefined) {
    values.push(`Digest realm="${REALM}", nonce="${newNonce(nonces)}", qop="auth", algorithm=MD5`);
  }
  if (options.basic !== undefined) values.push(`Basic realm="${REALM}"`);
  response.writeHead(407, { "proxy-authenticate": values });
  return response;
}

function authenticate(
  message: IncomingMessage,
  options: TestProxyOptions,
  nonces: Map<string, Set<number>>,
  state: { replays: number },
): { ok: true; info?: string } | { ok: false } {
  if (options.basic === undefined && options.digest === undefined) return { ok: true };
  const header = message.headers["proxy-authorization"] ?? "";
  const { basic, digest } = options;
  if (basic !== undefined && header === `Basic ${Buffer.from(`${basic.user}:${basic.password}`).toString("base64")}`) {
    return { ok: true };
  }
  if (digest === undefined || !header.startsWith("Digest ")) return { ok: false };
  const fields = Object.fromEntries(
    [...header.slice(7).matchAll(/(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)].map((match) => [
      match[1],
      match[2] ?? match[3],
    ]),
  ) as Record<string, string>;
  const seen = nonces.get(fields.nonce ?? "");
  const count = Number.parseInt(fields.nc ?? "", 16);
  if (seen === undefined || fields.username !== digest.user) return { ok: false };
  // RFC 7616 §3.4: an nc used before with this nonce is a replay (concurrent requests may arrive out of order).
  if (!(count > 0) || seen.has(count)) {
    state.replays += 1;
    return { ok: false };
  }
  const ha1 = md5(`${digest.user}:${REALM}:${digest.password}`);
  const ha2 = md5(`${message.method}:${fields.uri}`);
  const expected = md5(`${ha1}:${fields.nonce}:${fields.nc}:${fields.cnonce}:auth:${ha2}`);
  if (fields.response !== expected) return { ok: false };
  seen.add(count);
  if (digest.nextnonce !== true) return { ok: true };
  nonces.delete(fields.nonce as string);
  return { ok: true, info: `nextnonce="${newNonce(nonces)}"` };
}

function forwardRequest(message: IncomingMessage, response: ServerResponse, requests: ProxiedRequest[]): void {
  const target = new URL(message.url ?? "");
  const headers = { ...message.headers };
  delete headers["proxy-authorization"];
  const upstream = request(
    {
      host: target.hostname,
      port: target.port,
      path: `${target.pathname}${target.search}`,
      method: message.method,
      headers,
    },
    (answer) => {
      requests.push(entry(message, answer.statusCode ?? 0));
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  upstream.on("error", () => response.writeHead(502).end());
  message.pipe(upstream);
}
