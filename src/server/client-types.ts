import type { ClientAuthMethod } from "../oauth2/options.js";

/**
 * The client authentication methods the test server knows: RFC 6749 and
 * RFC 7523's, and RFC 8705's mutual-TLS ones (§2.1 `tls_client_auth`, §2.2
 * `self_signed_tls_client_auth`).
 *
 * @example
 * ```ts
 * const method: TestClientAuthMethod = "tls_client_auth";
 * ```
 */
export type TestClientAuthMethod = ClientAuthMethod | "tls_client_auth" | "self_signed_tls_client_auth";

/**
 * A client the test server's `POST /oauth/token` knows.
 *
 * @example
 * ```ts
 * await startTestServer({ clients: [{ clientId: "svc", authMethod: "client_secret_post", clientSecret: "s" }] });
 * ```
 */
export interface OAuthClientRegistration {
  readonly clientId: string;
  /** The one method this client must authenticate with (RFC 7591 `token_endpoint_auth_method`). */
  readonly authMethod: TestClientAuthMethod;
  /** For `client_secret_*`: the secret (also the HMAC key of `client_secret_jwt`). */
  readonly clientSecret?: string;
  /** For `private_key_jwt`: the client's public key as a JWK. */
  readonly publicKey?: JsonWebKey;
  /** Scopes it may ask for; absent means any. */
  readonly scopes?: readonly string[];
  /**
   * For `tls_client_auth` (RFC 8705 §2.1.2 `tls_client_auth_subject_dn`): the
   * subject its certificate must have, an RFC 4514 string; the certificate
   * must also chain to the server's `tls.ca`.
   * @example "CN=mtls-client,O=authflow tests"
   */
  readonly tlsClientAuthSubjectDn?: string;
  /** For `self_signed_tls_client_auth` (RFC 8705 §2.2): its certificate (PEM); or give `certificateThumbprint`. */
  readonly certificate?: string;
  /** For `self_signed_tls_client_auth`: its certificate's `x5t#S256` (base64url SHA-256 of the DER). */
  readonly certificateThumbprint?: string;
}

/**
 * Why a client was refused: an RFC 6749 §5.2 error.
 *
 * @example
 * ```ts
 * const refused: ClientAuthFailure = { status: 401, error: "invalid_client", description: "client authentication failed" };
 * ```
 */
export interface ClientAuthFailure {
  readonly status: number;
  readonly error: string;
  readonly description: string;
}
