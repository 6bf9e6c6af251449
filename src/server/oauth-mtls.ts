import type { ClientAuthFailure, OAuthClientRegistration } from "./client-types.js";
import { parseCertificateSubject, parseDistinguishedName, sameName } from "./distinguished-names.js";
import type { MtlsRefusalReason } from "./stats.js";
import { certificateThumbprint, type PeerCertificate, withinValidity } from "./tls.js";

/**
 * A refused mutual-TLS client: the RFC 6749 §5.2 answer, and why, for `stats().mtls.refusals`.
 *
 * @example
 * ```ts
 * const refused: MtlsFailure = { status: 401, error: "invalid_client", description: "…", reason: "subject" };
 * ```
 */
export interface MtlsFailure extends ClientAuthFailure {
  readonly reason: MtlsRefusalReason;
}

/**
 * RFC 8705 §2 client authentication by the certificate on the connection:
 * for `tls_client_auth` (§2.1) its chain must lead to the server's `tls.ca`
 * and its subject match the registered `tlsClientAuthSubjectDn`; for
 * `self_signed_tls_client_auth` (§2.2) it must be the registered certificate
 * (by its SHA-256 thumbprint) and within its validity period.
 *
 * @example
 * ```ts
 * const client = checkTlsClient(registration, peerCertificate(request), Date.now());
 * if ("reason" in client) countIn(stats.mtls.refusals, client.reason);
 * ```
 */
export function checkTlsClient(
  client: OAuthClientRegistration,
  certificate: PeerCertificate | undefined,
  now: number,
): OAuthClientRegistration | MtlsFailure {
  if (certificate === undefined) {
    return refused(
      "no-certificate",
      `${client.authMethod} needs a TLS client certificate on the connection (RFC 8705 §2)`,
    );
  }
  if (client.authMethod === "tls_client_auth") {
    if (!certificate.chainVerified) {
      return refused("untrusted", "the client certificate does not chain to a CA this server trusts (RFC 8705 §2.1)");
    }
    const registered = parseDistinguishedName(client.tlsClientAuthSubjectDn ?? "");
    if (!sameName(registered, parseCertificateSubject(certificate.x509.subject))) {
      return refused("subject", "the client certificate's subject is not the registered tls_client_auth_subject_dn");
    }
    return client;
  }
  const expected =
    client.certificateThumbprint ??
    (client.certificate === undefined ? undefined : certificateThumbprint(client.certificate));
  if (expected === undefined || certificate.thumbprint !== expected) {
    return refused("thumbprint", "the client certificate is not the one registered for this client (RFC 8705 §2.2)");
  }
  if (!withinValidity(certificate.x509, now)) {
    return refused("expired", "the client certificate is outside its validity period");
  }
  return client;
}

function refused(reason: MtlsRefusalReason, description: string): MtlsFailure {
  return { status: 401, error: "invalid_client", description, reason };
}
