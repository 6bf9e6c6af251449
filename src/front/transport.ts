/**
 * How a Client gets the transport for its `tls` and `proxy` options, or for
 * those of its auth (ClientCredentialsAuth with `tls` or `proxy`): tokens
 * bound to a client certificate (RFC 8705 §3) only work over connections
 * that present it, and a network whose token endpoint is reachable only
 * through a proxy usually has its APIs behind the same proxy.
 */
import type { Auth } from "../engine/auth.js";
import { type ResolvedTls, resolveTls, sameCertificate } from "../engine/tls.js";
import {
  type PlatformTransport,
  platformTransport,
  type TransportIdentity,
  transportIdentityOf,
} from "../engine/transport.js";
import { InvalidArgumentError } from "../errors.js";
import type { RejectionGuard } from "../guard/guard.js";
import { resolveProxy } from "../schemes/proxy-options.js";

/**
 * The Client's transport, or undefined for the plain fetch:
 * - its own `tls`/`proxy`: a transport for them (refused with a `fetch` of
 *   the caller's, which authflow cannot configure);
 * - an auth with a transport of its own (`tls`, `proxy`): what the Client
 *   does not set comes from the auth — its `proxy` when the Client's is
 *   left out (`proxy: false` keeps the Client direct), its certificate
 *   always; with nothing of the Client's own, the auth's very transport
 *   (one set of connections for the token endpoint and the API);
 * - `tls` on both: the Client's `ca`, the auth's certificate, which the
 *   Client's `tls.cert` may repeat but not replace.
 *
 * @example
 * ```ts
 * const transport = clientTransport({ tls: { ca } }, auth, { allowInsecureAuth: false, guard: null });
 * ```
 */
export function clientTransport(
  options: { readonly tls?: unknown; readonly fetch?: unknown; readonly proxy?: unknown },
  auth: Auth | null,
  context: { readonly allowInsecureAuth: boolean; readonly guard: RejectionGuard | null },
): PlatformTransport | undefined {
  const own = options.tls === undefined ? undefined : resolveTls("tls", options.tls);
  const proxy = resolveProxy("proxy", options.proxy, context);
  if ((own !== undefined || proxy !== undefined) && options.fetch !== undefined) {
    const option = own !== undefined ? "tls" : "proxy";
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      option,
      `${option} and fetch cannot both be given: ${option} configures authflow's own transport; with your own ` +
        "fetch, configure it there (authflow/undici's tlsAgent and proxyAgent make the dispatcher)",
    );
  }
  const identity = transportIdentityOf(auth);
  // A fetch of the caller's is trusted to present the auth's certificate and reach its proxy itself (the CLI's does).
  if (identity === undefined || options.fetch !== undefined) {
    return own === undefined && proxy === undefined ? undefined : platformTransport({ tls: own, proxy });
  }
  return lentTransport(own, options.proxy === undefined ? identity.proxy : proxy, identity);
}

/** The transport of a Client whose auth has one: the auth's own when the Client adds nothing to it. */
function lentTransport(
  own: ResolvedTls | undefined,
  proxy: object | undefined,
  identity: TransportIdentity,
): PlatformTransport | undefined {
  if (own === undefined && proxy === identity.proxy) {
    if (identity.transport !== undefined) return identity.transport;
    if (identity.tls === undefined && proxy === undefined) return undefined;
    return platformTransport({ tls: identity.tls, proxy });
  }
  const tls = own === undefined ? identity.tls : identity.tls === undefined ? own : joined(own, identity.tls);
  return tls === undefined && proxy === undefined ? undefined : platformTransport({ tls, proxy });
}

function joined(own: ResolvedTls, auth: ResolvedTls): ResolvedTls {
  if (own.cert === undefined) return { ...own, cert: auth.cert, key: auth.key, passphrase: auth.passphrase };
  if (auth.cert !== undefined && !sameCertificate(own, auth)) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      "tls.cert",
      "the auth's tokens are bound to its client certificate (RFC 8705 §3): give the Client the same tls.cert, " +
        "or leave tls.cert out to use the auth's",
    );
  }
  return own;
}

/**
 * A per-request auth must not need another client certificate than the
 * Client's connections present: its bound tokens would be refused. A
 * Client with a fetch of the caller's (`callerFetch`) is trusted to know.
 *
 * @example
 * ```ts
 * checkRequestAuthTransport(options.auth, transport, false); // throws for another certificate
 * ```
 */
export function checkRequestAuthTransport(
  auth: Auth | null,
  transport: PlatformTransport | undefined,
  callerFetch: boolean,
): void {
  if (callerFetch) return;
  const identity = transportIdentityOf(auth);
  if (identity?.tls?.cert === undefined) return;
  if (transport?.tls !== undefined && sameCertificate(transport.tls, identity.tls)) return;
  throw new InvalidArgumentError(
    "ERR_INVALID_ARG_VALUE",
    "auth",
    "this request's auth presents a client certificate the Client's connections do not: its tokens would be " +
      "refused (RFC 8705 §3). Give that auth to a Client of its own: new Client({ auth })",
  );
}
