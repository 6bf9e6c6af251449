/**
 * The TLS hop to an `https://` proxy, apart from the origins' TLS: its own
 * CA (`proxy.ca`, else the origins' `tls.ca`, else the platform's roots), no
 * client certificate, and a handshake failure named as the proxy's — a
 * {@link TlsError} whose `origin` is the proxy and whose `option` is the one
 * that fixes it (`proxy.ca`), not the origins' `tls.ca`.
 */
import type { buildConnector } from "undici";
import { tlsFailure } from "../engine/tls-failure.js";
import { ProxyError, TlsError, type TlsFailureReason } from "../errors.js";
import { tlsConnector } from "../node/tls-connector.js";
import type { ProxyEndpoint } from "../schemes/proxy-options.js";

/**
 * undici's connector to the proxy of `endpoint`, trusting `ca` (undefined:
 * the platform's roots); `option` is what the caller set it with, for the
 * message (`"proxy.ca"` or `"tls.ca"`).
 *
 * @example
 * ```ts
 * const pool = new Pool(endpoint.origin, { connect: proxyConnector(endpoint, endpoint.ca, "proxy.ca") });
 * ```
 */
export function proxyConnector(
  endpoint: ProxyEndpoint,
  ca: readonly string[] | undefined,
  option: "proxy.ca" | "tls.ca",
): buildConnector.connector {
  const base = tlsConnector(ca === undefined ? {} : { ca: [...ca] });
  const secure = endpoint.url.protocol === "https:";
  return (options, callback) =>
    base(options, (...args: buildConnector.CallbackArgs) => {
      const error = args[0];
      if (error === null) {
        callback(...args);
        return;
      }
      const named =
        (secure ? proxyTlsFailure(error, endpoint.origin, ca === undefined ? undefined : option) : undefined) ??
        unreachable(error, endpoint.origin);
      callback(named ?? error, null);
    });
}

/** Socket errors by which a proxy could not be reached at all (not an answer of the proxy's). */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "ECONNRESET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/**
 * A {@link ProxyError} (no `status`) for a proxy that could not be reached,
 * so the message names the proxy rather than the origin the request was for.
 */
function unreachable(error: Error, origin: string): ProxyError | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string" || !UNREACHABLE.has(code)) return undefined;
  return new ProxyError(
    `the proxy ${origin} could not be reached (${code}); check the proxy URL and that the proxy is up`,
    { proxy: origin, cause: error },
  );
}

/**
 * The {@link TlsError} for a failed handshake with the proxy at `origin`, or
 * undefined when `error` is not a TLS failure. `option` is the option that
 * set the CA, when one did.
 *
 * @example
 * ```ts
 * proxyTlsFailure(error, "https://proxy.internal:3129", undefined); // TlsError unknown-ca, option "proxy.ca"
 * ```
 */
export function proxyTlsFailure(
  error: Error,
  origin: string,
  option: "proxy.ca" | "tls.ca" | undefined,
): TlsError | undefined {
  const found = tlsFailure(error, origin, undefined);
  if (found === undefined) return undefined;
  const { reason } = found;
  return new TlsError(`the TLS connection to the proxy ${origin} failed: ${advice(reason, option)}`, {
    origin,
    reason,
    // proxy.ca fixes it either way: tls.ca is the origins' CA.
    option: reason === "unknown-ca" ? "proxy.ca" : undefined,
    cause: error,
  });
}

function advice(reason: TlsFailureReason, option: "proxy.ca" | "tls.ca" | undefined): string {
  switch (reason) {
    case "unknown-ca":
      return option === undefined
        ? "its certificate is not signed by a CA this client trusts; give the proxy's CA as proxy.ca (PEM)"
        : `its certificate does not chain to the CA in ${option}; give the proxy's own CA as proxy.ca (PEM)`;
    case "hostname":
      return "its certificate is for another name; use the proxy URL with the name it was issued for";
    case "expired":
    case "not-yet-valid":
    case "revoked":
      return `its certificate is ${reason === "revoked" ? "revoked" : "outside its validity period"}; the proxy must renew it (or the clock is wrong)`;
    case "client-certificate":
      return "it asks for a client certificate, which authflow does not present to proxies";
    default:
      return "the handshake failed; if the proxy speaks plain HTTP on that port, use an http:// proxy URL";
  }
}
