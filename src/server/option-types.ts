import type { OAuthClientRegistration } from "./client-types.js";

/**
 * Options of {@link startTestServer}.
 *
 * @example
 * ```ts
 * const server = await startTestServer({ port: 0, tokenTtlSeconds: 2 });
 * ```
 */
export interface TestServerOptions {
  /** TCP port, an integer from 0 to 65535; `0` (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; loopback (`127.0.0.1`) by default. Anything else exposes a test server to the network. */
  host?: string;
  /** Lifetime of the access tokens `POST /oauth/token` issues, in seconds, >= 0 (default 3600; 0: `expires_in: 0`). */
  tokenTtlSeconds?: number;
  /**
   * The clients `POST /oauth/token` knows (default: `basic-client`, `post-client`, `jwt-client`,
   * `pkjwt-client`, see `defaultClients()`; with `tls.requestCert`, also `mtls-client`, see
   * `mtlsTestClients()`).
   */
  clients?: readonly OAuthClientRegistration[];
  /** Shifts the OAuth routes' clock (Date header, token expiry, assertion and DPoP checks) by this many seconds, to play a server whose clock is off (default 0). */
  oauthClockSkewSeconds?: number;
  /**
   * Turns on fault injection: `POST /oauth/_faults` and `DELETE /oauth/_faults`
   * ({@link OAuthFaultPlan}) make the token endpoint fail on purpose. Off by
   * default — the routes answer 404 — since anyone who can reach the server
   * could otherwise switch its faults.
   *
   * @example
   * ```ts
   * const server = await startTestServer({ faults: true });
   * await fetch(`${server.url}/oauth/_faults`, { method: "POST", body: JSON.stringify({ next: 1, kind: "503" }) });
   * ```
   */
  faults?: boolean;
  /**
   * Lets `/redirect-to?url=` send any target, as httpbin does. By default it
   * redirects only to a path on this server, to a loopback host (127.0.0.0/8,
   * `[::1]`, `localhost`) or to the host the request was sent to, and answers
   * 403 otherwise, so a server reachable from the network is not an open redirect.
   *
   * @example
   * ```ts
   * const server = await startTestServer({ openRedirects: true });
   * await fetch(`${server.url}/redirect-to?url=https://example.com/`, { redirect: "manual" }); // 302 to example.com
   * ```
   */
  openRedirects?: boolean;
  /** Bounds on what one client can make the server hold ({@link TestServerLimits}). */
  limits?: TestServerLimits;
  /**
   * Serves HTTPS instead of HTTP ({@link TestServerTlsOptions}); `url` then starts with `https://`.
   *
   * @example
   * ```ts
   * const certificates = await createTestCertificates();
   * const server = await startTestServer({ tls: { cert: certificates.server.cert, key: certificates.server.key } });
   * ```
   */
  tls?: TestServerTlsOptions;
  /**
   * Answers CORS (Fetch standard §3.2), so pages on another origin can call
   * the server: `true` allows any http(s) origin (echoed, never `*`), or
   * `{ origins }` exactly those. Off by default. Allowed origins get
   * `Access-Control-Allow-Origin: <origin>`, `Access-Control-Allow-Credentials: true`
   * and `Access-Control-Expose-Headers: WWW-Authenticate, Authentication-Info, DPoP-Nonce, Location, Retry-After`;
   * preflights (`OPTIONS` with `Access-Control-Request-Method`) are answered 204
   * allowing `Authorization`, `Content-Type`, `DPoP` and any other requested header;
   * a preflight from another origin gets 403. `cors: true` lets every web page
   * the browser opens read this server's answers: use a list where you can.
   *
   * @example
   * ```ts
   * const server = await startTestServer({ cors: { origins: ["http://127.0.0.1:5173"] } });
   * ```
   */
  cors?: boolean | TestServerCorsOptions;
  /**
   * DPoP (RFC 9449) settings. `POST /oauth/token` always issues a DPoP-bound
   * token (`token_type: "DPoP"`, bound to the proof key's RFC 7638 thumbprint)
   * when a valid `DPoP` proof comes; these options make the server demand
   * nonces and tune the checks ({@link TestServerDpopOptions}).
   *
   * @example
   * ```ts
   * const server = await startTestServer({ dpop: { requireNonce: true, nonceMode: "one-time" } });
   * ```
   */
  dpop?: TestServerDpopOptions;
  /**
   * What the RFC 9728 protected resources (`/resource/*`) say about
   * themselves ({@link TestServerResourceOptions}); the defaults describe
   * them truthfully, with this server as their authorization server.
   *
   * @example
   * ```ts
   * const server = await startTestServer({ resourceMetadata: { dpopRequired: true } });
   * ```
   */
  resourceMetadata?: TestServerResourceOptions;
}

/**
 * TLS for the test server, as PEM text. With `requestCert`, clients are asked
 * for a certificate (RFC 8705 mutual TLS) but not refused at the TLS layer
 * without one: the routes that need one decide (`POST /oauth/token` for the
 * `tls_client_auth` and `self_signed_tls_client_auth` clients,
 * `/oauth/mtls-protected` and certificate-bound tokens everywhere).
 *
 * @example
 * ```ts
 * const c = await createTestCertificates();
 * await startTestServer({ tls: { cert: c.server.cert, key: c.server.key, ca: c.ca.cert, requestCert: true } });
 * ```
 */
export interface TestServerTlsOptions {
  /** The server's certificate chain (PEM). */
  cert: string;
  /** The server's private key (PEM). */
  key: string;
  /** Passphrase of an encrypted `key`. */
  passphrase?: string;
  /** The CA certificates (PEM) that client certificates must chain to for `tls_client_auth`; required with `requestCert`. */
  ca?: string | readonly string[];
  /** Ask clients for a certificate (default false). */
  requestCert?: boolean;
}

/**
 * The origins a CORS-enabled test server answers.
 *
 * @example
 * ```ts
 * const cors: TestServerCorsOptions = { origins: ["http://127.0.0.1:5173", "http://localhost:5173"] };
 * ```
 */
export interface TestServerCorsOptions {
  /** Serialised origins (`scheme://host[:port]`, no path), compared exactly with the request's `Origin`. */
  origins: readonly string[];
}

/**
 * DPoP checks and nonces (RFC 9449 §4.3, §8, §9).
 *
 * @example
 * ```ts
 * const dpop: TestServerDpopOptions = { requireNonce: true, nonceLifetimeSeconds: 30, iatToleranceSeconds: 10 };
 * ```
 */
export interface TestServerDpopOptions {
  /**
   * Demand a server nonce in every proof (default false: nonces optional and
   * none sent). A proof without a current one gets 400 `use_dpop_nonce` at the
   * token endpoint and 401 `WWW-Authenticate: DPoP error="use_dpop_nonce"` at a
   * resource, with `DPoP-Nonce`; every answer to a DPoP request carries one.
   */
  requireNonce?: boolean;
  /**
   * `"rotating"` (default): one nonce at a time, replaced every
   * `nonceLifetimeSeconds` (the one before stays good for another lifetime);
   * `"one-time"`: every answer carries a fresh nonce and each is good for one proof.
   */
  nonceMode?: "rotating" | "one-time";
  /** How long a nonce is good, in seconds (default 300). */
  nonceLifetimeSeconds?: number;
  /** How far a proof's `iat` may be from the server's clock, either way, in seconds (default 60). */
  iatToleranceSeconds?: number;
  /** Proof `jti`s remembered for replay detection (default 10 000); past it, proofs older than the oldest forgotten one are refused. */
  replayCacheSize?: number;
}

/**
 * What `/.well-known/oauth-protected-resource/resource/*` (RFC 9728) says,
 * and how `/resource/*` challenges. The overrides exist to test clients'
 * refusals: a `resource` that is not the identifier (§3.3), an authorization
 * server the client does not trust.
 *
 * @example
 * ```ts
 * const metadata: TestServerResourceOptions = { authorizationServers: ["https://evil.example"] };
 * ```
 */
export interface TestServerResourceOptions {
  /** `dpop_bound_access_tokens_required`: the resources then accept only DPoP-bound tokens (default false). */
  dpopRequired?: boolean;
  /** Serve this `resource` value instead of the resource's own URL (a mismatch, for a client's refusal test). */
  resource?: string;
  /** Serve these `authorization_servers` instead of this server's URL. */
  authorizationServers?: readonly string[];
  /** Put `resource_metadata="<url>"` in the 401's challenge (RFC 9728 §5.1; default true). False: the client must derive it (§3.1). */
  linkInChallenge?: boolean;
}

/**
 * How much request data the test server holds, and for how long. Bodies are
 * read only by the routes that use them — `/anything` and Digest `auth-int`
 * (up to `bodyBytes`), `POST /oauth/token` (16 KiB), `POST /oauth/_faults`
 * (4 KiB); every other route discards the body unread. A body over its
 * route's cap gets 413; a body that would take the bytes buffered across all
 * requests in flight over `totalBodyBytes` gets 503 with `Retry-After`.
 *
 * @example
 * ```ts
 * const server = await startTestServer({ limits: { bodyBytes: 64 * 1024, totalBodyBytes: 1024 * 1024, requestTimeoutMs: 5000 } });
 * ```
 */
export interface TestServerLimits {
  /** Largest body `/anything` and Digest `auth-int` read, in bytes (default 1 MiB). */
  bodyBytes?: number;
  /** Body bytes buffered at once across every request in flight (default 8 MiB). */
  totalBodyBytes?: number;
  /** Time to receive a whole request, headers and body, in ms (default 30 000; headers alone: at most 10 000). */
  requestTimeoutMs?: number;
}

/** {@link TestServerLimits} with the defaults filled in. */
export interface ResolvedLimits {
  readonly bodyBytes: number;
  readonly totalBodyBytes: number;
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
}
