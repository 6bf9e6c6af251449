import type { FetchLike } from "../engine/flow.js";
import type { TlsOptions } from "../engine/tls.js";
import type { ProxySetting } from "../schemes/proxy-options.js";
import type { Token, TokenStore } from "../stores/store.js";

/**
 * How the client proves its identity to the token endpoint (RFC 6749 §2.3,
 * RFC 7523 §2.2, RFC 8705 §2: `tls_client_auth` by its certificate's
 * subject, `self_signed_tls_client_auth` by the registered certificate, both
 * with `tls`). Exactly one method is used per request (RFC 6749 §2.3.1).
 *
 * @example
 * ```ts
 * const method: ClientAuthMethod = "private_key_jwt";
 * ```
 */
export type ClientAuthMethod =
  | "client_secret_basic"
  | "client_secret_post"
  | "client_secret_jwt"
  | "private_key_jwt"
  | "tls_client_auth"
  | "self_signed_tls_client_auth";

/**
 * A private key for `private_key_jwt`: a JWK object (its `alg` is used when
 * present), a PKCS#8 PEM string (`-----BEGIN PRIVATE KEY-----`, needs
 * `signingAlgorithm`) or a WebCrypto `CryptoKey`.
 *
 * @example
 * ```ts
 * const key: PrivateKeyInput = { kty: "EC", crv: "P-256", x: "…", y: "…", d: "…", alg: "ES256", kid: "k1" };
 * ```
 */
export type PrivateKeyInput = JsonWebKey | string | CryptoKey;

/**
 * A DPoP key pair (RFC 9449) supplied by the application, so that every
 * process of a fleet signs with the same key and shares its tokens (the cache
 * key holds the key's RFC 7638 thumbprint). `privateKey`: a private JWK or a
 * CryptoKey with the `sign` usage — ES256 (P-256), EdDSA (Ed25519), RS256, or
 * PS256 (an RSA JWK whose `alg` is `PS256`, or an RSA-PSS CryptoKey).
 * `publicKey`: needed only with a non-extractable private CryptoKey.
 *
 * @example
 * ```ts
 * const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
 * const dpop: DpopKeyPair = { privateKey: pair.privateKey, publicKey: pair.publicKey };
 * ```
 */
export interface DpopKeyPair {
  /** The signing key: a private JWK (its `d` is never sent) or a CryptoKey. */
  privateKey: CryptoKey | JsonWebKey;
  /** The public half; derived from `privateKey` when that is a JWK or an extractable CryptoKey. */
  publicKey?: CryptoKey | JsonWebKey;
}

/**
 * Options of {@link ClientCredentialsAuth}. Give one of `tokenUrl`, `issuer`
 * or `allowedIssuers` (resource discovery).
 *
 * @example
 * ```ts
 * const options: ClientCredentialsOptions = {
 *   tokenUrl: "https://auth.example.com/oauth/token",
 *   clientId: "my-service",
 *   clientSecret: process.env.CLIENT_SECRET,
 *   scope: ["orders:read", "orders:write"],
 *   resource: "https://api.example.com",
 * };
 * ```
 */
export interface ClientCredentialsOptions {
  /** The token endpoint. Either this or `issuer`. @example "https://auth.example.com/oauth/token" */
  tokenUrl?: string;
  /**
   * The authorization server's issuer identifier; the token endpoint is found by
   * RFC 8414 discovery (`/.well-known/oauth-authorization-server`, then
   * `/.well-known/openid-configuration`). @example "https://auth.example.com"
   */
  issuer?: string;
  /** The client identifier (RFC 6749 §2.2). @example "my-service" */
  clientId: string;
  /** The client secret, for every method but `private_key_jwt`. Never logged. @example "s3cr3t" */
  clientSecret?: string;
  /** How to authenticate to the token endpoint (default `client_secret_basic`). @example "client_secret_post" */
  clientAuth?: ClientAuthMethod;
  /** The signing key for `private_key_jwt`. @example { kty: "OKP", crv: "Ed25519", x: "…", d: "…" } */
  privateKey?: PrivateKeyInput;
  /**
   * The JWS algorithm of the client assertion when the key does not say
   * (default HS256 for `client_secret_jwt`; inferred from a JWK or CryptoKey for
   * `private_key_jwt`). @example "PS256"
   */
  signingAlgorithm?: string;
  /** Scopes to request (RFC 6749 §3.3: printable ASCII, no double quote or backslash); order and duplicates do not matter. @example ["read", "write"] */
  scope?: string | readonly string[];
  /** The `audience` parameter some servers (Auth0, Okta) want. @example "https://api.example.com" */
  audience?: string;
  /** RFC 8707 resource indicators: absolute URIs of the APIs the token is for. @example "https://api.example.com" */
  resource?: string | readonly string[];
  /** More form parameters for the token request; cannot override the ones authflow sets. @example { tenant: "t1" } */
  extraParams?: Readonly<Record<string, string>>;
  /**
   * Refresh this many seconds before expiry, in the background, while the
   * current token keeps serving (default 60; at most half the token's lifetime,
   * so short tokens do not refresh on every request). @example 30
   */
  refreshLeewaySeconds?: number;
  /** Where tokens are cached (default a new {@link MemoryTokenStore}). @example new RedisTokenStore(redis) */
  store?: TokenStore;
  /**
   * The fetch used for the token endpoint and discovery (default the global
   * fetch, or authflow's own transport with `tls` or `proxy`). Not with
   * `proxy`: configure the proxy in your fetch instead. @example undiciFetch
   */
  fetch?: FetchLike;
  /** Called with each token fetched (not on cache hits), for logging and metrics. Errors it throws are ignored. @example (token) => metrics.increment("oauth.token") */
  onToken?: (token: Token) => void;
  /** Called with each failed token request (foreground or background). Errors it throws are ignored. @example (error) => log.warn(error.message) */
  onRefreshError?: (error: Error) => void;
  /** The clock, in epoch milliseconds (default `Date.now`); for tests. @example () => fakeTime */
  now?: () => number;
  /** Retries after a network error, 5xx or 429: an integer from 0 to 100 (default 3). @example 5 */
  maxRetries?: number;
  /**
   * Total time one token acquisition may take, retries and waits included, in
   * milliseconds (default 30 000); discovery gets the same limit. Every request
   * authflow makes on your behalf ends within it, answer body included, even
   * if the server never finishes. @example 10_000
   */
  retryBudgetMs?: number;
  /**
   * Allow a plain `http:` token endpoint on a host that is not loopback (default
   * false: RFC 6749 §3.2 requires TLS), and Basic to a `proxy` reached over
   * plain `http:` that is not loopback. @example true
   */
  allowInsecureAuth?: boolean;
  /**
   * TLS for the token endpoint and discovery (Node, Bun, Deno): a private CA,
   * and the client certificate that `tls_client_auth` and
   * `self_signed_tls_client_auth` need (RFC 8705). Tokens the server binds
   * to the certificate (`cnf.x5t#S256`) are cached under its thumbprint, and
   * a `Client` given this auth (and no `tls` of its own) presents the same
   * certificate. With `fetch`, that fetch must present it itself.
   * @example { cert: readFileSync("client.crt", "utf8"), key: readFileSync("client.key", "utf8") }
   */
  tls?: TlsOptions;
  /**
   * The proxy for the token endpoint, discovery and resource metadata (Node),
   * as a Client's `proxy` takes it: a URL, `{ url, auth, noProxy }`, `"env"`
   * (`HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY`, curl's rules) or `false` (the
   * default: direct). A `Client` given this auth and no `proxy` of its own
   * sends through it too: one object configures both. `allowInsecureAuth`
   * covers this proxy as a Client's covers its own. Elsewhere than Node, a
   * `ProxyError` at construction.
   * @example { url: "http://proxy.internal:3128", auth: ["alice", process.env.PROXY_PASSWORD ?? ""] }
   */
  proxy?: ProxySetting;
  /**
   * DPoP (RFC 9449): sender-constrained tokens. `true`: a fresh ES256 key pair
   * per instance, its private key non-extractable. A {@link DpopKeyPair}: that
   * key, shared by a fleet. Tokens are then requested with a proof and must come
   * back as `token_type` `DPoP`; every request carries `Authorization: DPoP`
   * and a fresh proof, and server nonces are followed. Left unset with
   * `allowedIssuers`, DPoP turns on when the resource's metadata requires it
   * (`dpop_bound_access_tokens_required`); `false` forbids it (such a resource
   * is then a ResourceDiscoveryError). @example true
   */
  dpop?: boolean | DpopKeyPair;
  /**
   * Resource discovery (RFC 9728), instead of `tokenUrl` or `issuer`: the
   * authorization servers this client may get tokens from, as exact issuer
   * identifiers. A request goes out without a token; the resource's 401 names
   * its metadata, the metadata names its authorization server, and only a
   * server on this list is ever contacted (the client secret is never offered
   * to whoever a resource names). Tokens are requested with `resource=` (RFC
   * 8707) and cached per resource. @example ["https://auth.example.com"]
   */
  allowedIssuers?: readonly string[];
}

/**
 * The options with defaults merged in: URLs checked, scopes and resources
 * sorted and deduplicated, durations in milliseconds.
 *
 * @example
 * ```ts
 * const resolved: ResolvedOptions = resolveOptions({ tokenUrl, clientId: "c" });
 * resolved.refreshLeewayMs; // 60000
 * ```
 */
export interface ResolvedOptions {
  /** The token endpoint as configured (query included: it is sent), when given directly. */
  readonly tokenUrl: string | undefined;
  /** The issuer as configured, when the token endpoint is discovered. */
  readonly issuer: string | undefined;
  readonly clientId: string;
  readonly clientAuth: ClientAuthMethod;
  readonly scopes: readonly string[];
  readonly audience: string | undefined;
  readonly resources: readonly string[];
  readonly extraParams: Readonly<Record<string, string>>;
  readonly refreshLeewayMs: number;
  readonly maxRetries: number;
  readonly retryBudgetMs: number;
  readonly allowInsecureAuth: boolean;
  readonly now: () => number;
  /** DPoP: `true` (a key given or generated), `false` (forbidden), undefined (on when a resource requires it). */
  readonly dpop: boolean | undefined;
  /** The issuers resource discovery may use (empty unless discovering). */
  readonly allowedIssuers: readonly string[];
}
