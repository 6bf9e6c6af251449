import { createHash, X509Certificate } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { ServerOptions as HttpsServerOptions } from "node:https";
import { TLSSocket } from "node:tls";
import type { TestServerTlsOptions } from "./option-types.js";

/**
 * A client certificate presented on a TLS connection, with what RFC 8705
 * needs of it.
 *
 * @example
 * ```ts
 * const certificate = peerCertificate(request);
 * if (certificate?.chainVerified) console.log(certificate.x509.subject);
 * ```
 */
export interface PeerCertificate {
  /** The certificate, parsed. */
  readonly x509: X509Certificate;
  /** `x5t#S256`: the base64url SHA-256 of the DER certificate (RFC 8705 §3.1). */
  readonly thumbprint: string;
  /** True when its chain leads to the server's `tls.ca` and it is within its validity period. */
  readonly chainVerified: boolean;
}

/**
 * The https server options for `tls`: certificates requested when
 * `requestCert`, but a connection without one (or with an unverified one) is
 * not refused at the TLS layer — each route decides, so the httpbin routes
 * keep working for clients without certificates.
 *
 * @example
 * ```ts
 * const server = createServer({ ...httpOptions, ...tlsServerOptions(options.tls) }, listener);
 * ```
 */
export function tlsServerOptions(tls: TestServerTlsOptions): HttpsServerOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
    ...(tls.ca === undefined ? {} : { ca: typeof tls.ca === "string" ? tls.ca : [...tls.ca] }),
    requestCert: tls.requestCert === true,
    rejectUnauthorized: false,
  };
}

const parsed = new WeakMap<TLSSocket, PeerCertificate | null>();

/**
 * The client certificate of the connection `request` came on; undefined over
 * plain HTTP or when the client presented none. Parsed once per connection.
 *
 * @example
 * ```ts
 * const thumbprint = peerCertificate(request)?.thumbprint;
 * ```
 */
export function peerCertificate(request: IncomingMessage): PeerCertificate | undefined {
  const socket = request.socket;
  if (!(socket instanceof TLSSocket)) return undefined;
  let found = parsed.get(socket);
  if (found === undefined) {
    const raw = socket.getPeerCertificate(false)?.raw;
    found =
      raw === undefined
        ? null
        : { x509: new X509Certificate(raw), thumbprint: thumbprintOf(raw), chainVerified: socket.authorized };
    parsed.set(socket, found);
  }
  return found ?? undefined;
}

/**
 * The RFC 8705 §3.1 `x5t#S256` of a certificate given as PEM text: the
 * base64url SHA-256 of its DER encoding, as tokens bound to it carry in `cnf`.
 *
 * @example
 * ```ts
 * const certificates = await createTestCertificates();
 * certificateThumbprint(certificates.client.cert) === certificates.client.thumbprint; // true
 * ```
 */
export function certificateThumbprint(pem: string): string {
  return thumbprintOf(new X509Certificate(pem).raw);
}

function thumbprintOf(der: Buffer): string {
  return createHash("sha256").update(der).digest("base64url");
}

/**
 * True when `now` (epoch ms) falls within the certificate's validity period.
 *
 * @example
 * ```ts
 * if (!withinValidity(certificate.x509, Date.now())) refuse("expired");
 * ```
 */
export function withinValidity(certificate: X509Certificate, now: number): boolean {
  return Date.parse(certificate.validFrom) <= now && now <= Date.parse(certificate.validTo);
}
