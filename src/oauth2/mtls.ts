/**
 * The transport of a ClientCredentialsAuth (its `tls` and `proxy`), and
 * OAuth 2.0 mutual TLS (RFC 8705): the client authenticates by the
 * certificate on the connection (§2.1 `tls_client_auth`: its subject, under
 * a CA the server trusts; §2.2 `self_signed_tls_client_auth`: the
 * registered certificate itself), tokens are bound to that certificate
 * (§3, `cnf.x5t#S256`), and an authorization server may name separate
 * endpoints for it (§5, `mtls_endpoint_aliases`).
 */
import type { FetchLike } from "../engine/flow.js";
import { certificateBody, type ResolvedTls, resolveTls } from "../engine/tls.js";
import { type PlatformTransport, platformTransport } from "../engine/transport.js";
import { InvalidArgumentError, MissingCredentialsError, TokenEndpointError } from "../errors.js";
import { RejectionGuard } from "../guard/guard.js";
import { type ResolvedProxy, resolveProxy } from "../schemes/proxy-options.js";
import type { AuthorizationServerMetadata } from "./discovery.js";
import { checkTransport } from "./discovery.js";

/** The client authentication methods of RFC 8705 §2. */
export const MUTUAL_TLS_METHODS = ["tls_client_auth", "self_signed_tls_client_auth"] as const;

/**
 * True for `tls_client_auth` and `self_signed_tls_client_auth`.
 *
 * @example
 * ```ts
 * isMutualTlsMethod("tls_client_auth"); // true
 * ```
 */
export function isMutualTlsMethod(method: string | undefined): boolean {
  return method === "tls_client_auth" || method === "self_signed_tls_client_auth";
}

/**
 * The transport of a ClientCredentialsAuth, for its token, discovery and
 * resource-metadata requests: `tls` checked (a client certificate and key
 * required by the RFC 8705 methods) and `proxy` resolved by the rules a
 * Client's follows (src/schemes/proxy-options.ts), applied by one transport
 * that a Client given this auth may share. A caller's `fetch` is used as it
 * is: it must then present the certificate itself (authflow/undici's
 * `tlsAgent(tls)` makes such a dispatcher); a proxy cannot be applied to it,
 * so `proxy` with `fetch` is refused. Where proxies cannot be configured
 * (Bun, Deno, browsers) `proxy` is a ProxyError here, at construction.
 *
 * @example
 * ```ts
 * const { tls, proxy, transport } = authTransport({ tls: { ca }, proxy: "http://proxy.internal:3128" });
 * ```
 */
export function authTransport(options: {
  clientAuth?: string | undefined;
  tls?: unknown;
  proxy?: unknown;
  fetch?: FetchLike | undefined;
  allowInsecureAuth?: boolean | undefined;
}): {
  readonly tls: ResolvedTls | undefined;
  readonly proxy: ResolvedProxy | undefined;
  readonly transport: PlatformTransport | undefined;
} {
  const tls = options.tls === undefined ? undefined : resolveTls("tls", options.tls);
  if (isMutualTlsMethod(options.clientAuth) && tls?.cert === undefined) {
    throw new MissingCredentialsError(
      `clientAuth "${options.clientAuth}" needs a client certificate: give tls.cert and tls.key (PEM, RFC 8705 §2)`,
    );
  }
  // The auth's own guard: a wrong proxy password stops costing proxy hits after a few 407s, as on a Client.
  const proxy = resolveProxy("proxy", options.proxy, {
    allowInsecureAuth: options.allowInsecureAuth === true,
    guard: options.proxy === undefined || options.proxy === false ? null : new RejectionGuard(),
  });
  if (proxy !== undefined && options.fetch !== undefined) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      "proxy",
      "proxy and fetch cannot both be given: proxy configures authflow's own transport; with your own fetch, " +
        "configure the proxy there (authflow/undici's proxyAgent makes the dispatcher)",
    );
  }
  const own = tls !== undefined || proxy !== undefined;
  const transport = own && options.fetch === undefined ? platformTransport({ tls, proxy }) : undefined;
  return { tls, proxy, transport };
}

/**
 * The RFC 8705 §3.1 `x5t#S256` of the first certificate in `pem`: the
 * base64url SHA-256 of its DER bytes, as certificate-bound tokens carry it
 * in `cnf`.
 *
 * @example
 * ```ts
 * await certificateThumbprint(cert); // "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"
 * ```
 */
export async function certificateThumbprint(pem: string): Promise<string> {
  const body = certificateBody(pem);
  if (body === "") {
    throw new InvalidArgumentError("ERR_INVALID_ARG_VALUE", "tls.cert", "tls.cert must hold a PEM certificate");
  }
  const binary = atob(body);
  const der = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) der[index] = binary.charCodeAt(index);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  return btoa(String.fromCharCode(...digest))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/**
 * The token endpoint a client with a certificate uses: RFC 8705 §5's
 * `mtls_endpoint_aliases.token_endpoint` when the metadata has one (checked
 * like `token_endpoint`: a URL, TLS unless loopback or `allowInsecure`),
 * else `token_endpoint`.
 *
 * @example
 * ```ts
 * tokenEndpointFor(metadata, true, false); // "https://mtls.as.example/token" when aliased
 * ```
 */
export function tokenEndpointFor(
  metadata: AuthorizationServerMetadata,
  mutualTls: boolean,
  allowInsecure: boolean,
): string {
  const aliases = metadata.mtls_endpoint_aliases;
  if (!mutualTls || aliases === null || typeof aliases !== "object") return metadata.token_endpoint;
  const alias = (aliases as Record<string, unknown>).token_endpoint;
  if (alias === undefined) return metadata.token_endpoint;
  let url: URL;
  try {
    url = new URL(typeof alias === "string" ? alias : "");
  } catch {
    throw new TokenEndpointError(
      `the metadata of ${metadata.issuer} has no valid mtls_endpoint_aliases.token_endpoint (RFC 8705 §5)`,
    );
  }
  checkTransport(url, "mtls_endpoint_aliases.token_endpoint", allowInsecure);
  return alias as string;
}
