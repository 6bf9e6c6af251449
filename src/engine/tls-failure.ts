/**
 * Names a failed TLS connection: a transport's error (Node's and Bun's
 * OpenSSL codes, Deno's rustls wording) becomes a {@link TlsError} that
 * says what is wrong and which option fixes it, instead of "fetch failed".
 */
import { TlsError, type TlsFailureReason } from "../errors.js";
import type { ResolvedTls } from "./tls.js";

/** OpenSSL's verification results (`X509_V_ERR_*` as Node names them), and Deno's (rustls) words. */
const VERIFICATION: Record<string, TlsFailureReason> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "unknown-ca",
  UNABLE_TO_GET_ISSUER_CERT: "unknown-ca",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "unknown-ca",
  SELF_SIGNED_CERT_IN_CHAIN: "unknown-ca",
  DEPTH_ZERO_SELF_SIGNED_CERT: "unknown-ca",
  CERT_UNTRUSTED: "unknown-ca",
  CERT_SIGNATURE_FAILURE: "unknown-ca",
  UnknownIssuer: "unknown-ca",
  ERR_TLS_CERT_ALTNAME_INVALID: "hostname",
  HOSTNAME_MISMATCH: "hostname",
  NotValidForName: "hostname",
  CERT_HAS_EXPIRED: "expired",
  Expired: "expired",
  CERT_NOT_YET_VALID: "not-yet-valid",
  NotValidYet: "not-yet-valid",
  CERT_REVOKED: "revoked",
  Revoked: "revoked",
};

/** TLS alerts by which a server refuses the client's certificate (RFC 8446 §6.2), OpenSSL's and rustls's names. */
const CLIENT_CERTIFICATE_ALERTS = [
  "ALERT_CERTIFICATE_REQUIRED",
  "ALERT_BAD_CERTIFICATE",
  "ALERT_UNKNOWN_CA",
  "ALERT_CERTIFICATE_UNKNOWN",
  "ALERT_CERTIFICATE_EXPIRED",
  "ALERT_CERTIFICATE_REVOKED",
  "ALERT_UNSUPPORTED_CERTIFICATE",
  "ALERT_ACCESS_DENIED",
  "CertificateRequired",
  "BadCertificate",
  "UnknownCA",
  "CertificateUnknown",
  "CertificateExpired",
  "AccessDenied",
];

/**
 * The {@link TlsError} for `error` (the transport's rejection of a request
 * to `origin`), or undefined when it is not a TLS failure. `tls` is what the
 * transport was given, so the message can say whether to add an option or
 * to check the one given.
 *
 * @example
 * ```ts
 * try { await fetch(url); } catch (error) { throw tlsFailure(error, new URL(url).origin, undefined) ?? error; }
 * ```
 */
export function tlsFailure(error: unknown, origin: string, tls: ResolvedTls | undefined): TlsError | undefined {
  const found = classify(error);
  if (found === undefined) return undefined;
  const { reason, code } = found;
  const message = describe(reason, code, origin, tls);
  return new TlsError(message.text, { origin, reason, option: message.option, cause: error });
}

/** The reason and the code or word that showed it, looking through `cause` (fetch wraps the socket's error). */
function classify(error: unknown): { reason: TlsFailureReason; code: string } | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === "object"; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    const found =
      (typeof code === "string" ? byCode(code, typeof message === "string" ? message : "") : undefined) ??
      (typeof message === "string" ? byWords(message) : undefined);
    if (found !== undefined) return found;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function byCode(code: string, message: string): { reason: TlsFailureReason; code: string } | undefined {
  const verification = VERIFICATION[code];
  if (verification !== undefined) return { reason: verification, code };
  if (CLIENT_CERTIFICATE_ALERTS.some((alert) => code.endsWith(alert))) return { reason: "client-certificate", code };
  if (code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_")) return { reason: "handshake", code };
  if (code === "EPROTO" && /SSL|TLS/.test(message)) return { reason: "handshake", code };
  return undefined;
}

/** Deno's messages: "invalid peer certificate: UnknownIssuer", "received fatal alert: CertificateRequired". */
function byWords(message: string): { reason: TlsFailureReason; code: string } | undefined {
  const peer = /invalid peer certificate: (\w+)/.exec(message);
  if (peer !== null) {
    const word = peer[1] as string;
    return { reason: VERIFICATION[word] ?? "handshake", code: word };
  }
  const alert = /received fatal alert: (\w+)/.exec(message);
  if (alert !== null) {
    const word = alert[1] as string;
    return { reason: CLIENT_CERTIFICATE_ALERTS.includes(word) ? "client-certificate" : "handshake", code: word };
  }
  return undefined;
}

function describe(
  reason: TlsFailureReason,
  code: string,
  origin: string,
  tls: ResolvedTls | undefined,
): { text: string; option: string | undefined } {
  switch (reason) {
    case "unknown-ca":
      return tls?.ca === undefined
        ? {
            text: `the certificate of ${origin} is not signed by a CA this client trusts (${code}); if the server uses a private CA, give its certificate as tls.ca (PEM)`,
            option: "tls.ca",
          }
        : {
            text: `the certificate of ${origin} does not chain to the CA in tls.ca (${code}); check that tls.ca holds the CA that issued it, and any intermediate the server does not send`,
            option: "tls.ca",
          };
    case "hostname":
      return {
        text: `the certificate of ${origin} is not valid for that host name (${code}); use the name the certificate was issued for, or have it reissued (authflow never turns host name checks off)`,
        option: undefined,
      };
    case "expired":
    case "not-yet-valid":
    case "revoked": {
      const state = reason === "revoked" ? "is revoked" : reason === "expired" ? "has expired" : "is not valid yet";
      return {
        text: `the certificate of ${origin} ${state} (${code}); the server's certificate must be renewed (or the clock checked): no client option fixes this`,
        option: undefined,
      };
    }
    case "client-certificate":
      return tls?.cert === undefined
        ? {
            text: `${origin} asks for a client certificate and none was given (${code}); give tls.cert and tls.key`,
            option: "tls.cert",
          }
        : {
            text: `${origin} refused the client certificate in tls.cert (${code}); check that it is issued by a CA the server trusts and valid now, and that tls.key is its key`,
            option: "tls.cert",
          };
    default:
      return { text: handshakeText(code, origin), option: undefined };
  }
}

function handshakeText(code: string, origin: string): string {
  // OpenSSL's "wrong version number": the port answers in plain HTTP.
  if (/WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG/.test(code)) {
    return `the TLS handshake with ${origin} failed (${code}): does that port speak plain http:?`;
  }
  // TLS 1.2 servers refuse a missing client certificate with this generic alert.
  const hint = /HANDSHAKE_FAILURE/.test(code)
    ? "; if the server requires a client certificate, give tls.cert and tls.key"
    : "";
  return `the TLS handshake with ${origin} failed (${code})${hint}`;
}
