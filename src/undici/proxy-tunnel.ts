/**
 * https: targets through a proxy: a `CONNECT host:port` tunnel (RFC 9110
 * §9.3.6), then TLS to the origin inside it. The proxy's credentials go on
 * the CONNECT only — never inside the tunnel, which carries the origin's
 * requests (and the origin's own credentials) end to end. A 407 is answered
 * like a plain request's (Digest or Basic); once the proxy accepted the
 * credentials, new tunnels send them preemptively. A CONNECT the proxy
 * refuses in the end rejects with {@link ProxyError} (`.status`).
 */
import type { Socket } from "node:net";
import type { buildConnector, Dispatcher } from "undici";
import { ProxyError } from "../errors.js";
import type { GuardTicket, RejectionGuard } from "../guard/guard.js";
import { newRound, type ProxyRound } from "../schemes/proxy-auth.js";
import type { ProxyEndpoint } from "../schemes/proxy-options.js";

// The guard reads only the status: shared answers save an allocation per tunnel.
const ACCEPTED = new Response(null, { status: 200 });
const PROXY_REJECTED = new Response(null, { status: 407 });
/** Most CONNECTs for one tunnel: the first, an answer to a fresh challenge, one after `stale=true`, one spare. */
const MOST_ATTEMPTS = 4;

/** Where tunnels are opened: the proxy, a pool of connections to it, the guard. */
export interface TunnelRoute {
  readonly endpoint: ProxyEndpoint;
  /** Connections to the proxy for CONNECTs (each taken out of the pool by its tunnel). */
  readonly pool: Dispatcher;
  readonly guard: RejectionGuard | null;
}

/**
 * undici's connector for an Agent whose connections are tunnels through the
 * route's proxy; `secure` makes the TLS connection to the origin over a
 * tunnel socket (undici's own connector, with the origin's TLS options).
 *
 * @example
 * ```ts
 * const agent = new Agent({ connect: tunnelConnector(route, tlsConnector(tlsConnectOptions(tls))) });
 * ```
 */
export function tunnelConnector(route: TunnelRoute, secure: buildConnector.connector): buildConnector.connector {
  return (options, callback) => {
    const port = options.port === "" ? (options.protocol === "https:" ? "443" : "80") : options.port;
    openTunnel(route, `${options.hostname}:${port}`).then(
      (socket) => {
        if (options.protocol !== "https:") callback(null, socket);
        else secure({ ...options, httpSocket: socket }, callback);
      },
      (error: Error) => callback(error, null),
    );
  };
}

/** The tunnel's socket to `authority` once the proxy answered 2xx. */
async function openTunnel(route: TunnelRoute, authority: string): Promise<Socket> {
  const { endpoint, guard } = route;
  const credentials = endpoint.credentials;
  const round = newRound();
  const ticket = await admit(route);
  let authorization = credentials?.preemptive("CONNECT", authority, round);
  try {
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { host: authority };
      if (authorization !== undefined) headers["proxy-authorization"] = authorization;
      const answer = await route.pool.connect({ origin: endpoint.origin, path: authority, headers });
      const { statusCode } = answer;
      if (statusCode >= 200 && statusCode < 300) {
        record(route, ticket, 200);
        credentials?.accepted(round, authorization, header(answer.headers, "proxy-authentication-info"));
        return answer.socket as Socket;
      }
      // The rest of the answer (a 407's page) is not read: this connection is done.
      answer.socket.destroy();
      const next =
        statusCode === 407 && attempt < MOST_ATTEMPTS
          ? credentials?.answer(header(answer.headers, "proxy-authenticate") ?? null, "CONNECT", authority, round)
          : undefined;
      if (next === undefined) throw refused(route, ticket, round, authority, statusCode);
      authorization = next;
    }
  } catch (error) {
    if (!(error instanceof ProxyError) && guard !== null && credentials !== undefined) {
      guard.abandon(credentials.guardAuth, endpoint.origin, ticket);
    }
    throw error;
  }
}

/** Past the guard: tunnels with credentials the proxy has not accepted yet open one at a time. */
async function admit(route: TunnelRoute): Promise<GuardTicket> {
  const { guard, endpoint } = route;
  const credentials = endpoint.credentials;
  if (guard === null || credentials === undefined) return false;
  return guard.enter(credentials.guardAuth, endpoint.origin);
}

function record(route: TunnelRoute, ticket: GuardTicket, status: number): void {
  const { guard, endpoint } = route;
  const credentials = endpoint.credentials;
  if (guard === null || credentials === undefined) return;
  guard.record(credentials.guardAuth, endpoint.origin, status === 407 ? PROXY_REJECTED : ACCEPTED, ticket);
}

function refused(
  route: TunnelRoute,
  ticket: GuardTicket,
  round: ProxyRound,
  authority: string,
  status: number,
): ProxyError {
  const { origin, credentials } = route.endpoint;
  // Any other status means the credentials were accepted (or not needed): only a 407 counts against them.
  record(route, ticket, status);
  const why =
    status !== 407
      ? "; check that the proxy allows tunnels to that host and port"
      : credentials === undefined
        ? "; the proxy asks for credentials: give proxy.auth (or user:pass@ in the proxy URL)"
        : round.scheme === undefined
          ? "; the proxy offered no scheme these credentials can answer"
          : "; the proxy refused the credentials: check the proxy user name and password";
  return new ProxyError(`the proxy ${origin} refused CONNECT ${authority} with ${status}${why}`, {
    proxy: origin,
    status,
  });
}

/** A response header of undici's parsed object, as one string. */
function header(headers: Record<string, string | string[] | undefined> | null, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value.join(", ") : value;
}
