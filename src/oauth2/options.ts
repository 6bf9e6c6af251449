import type { FetchLike } from "../engine/flow.js";
import type { Token, TokenStore } from "../stores/store.js";

/**
 * How the client proves its identity to the token endpoint (RFC 6749 §2.3,
 * RFC 7523 §2.2). Exactly one method is used per request (RFC 6749 §2.3.1).
 *
 * @example
 * ```ts
 * const method: ClientAuthMethod = "private_key_jwt";
 * ```
 */
export type ClientAuthMethod = "client_secret_basic" | "client_secret_post" | "client_secret_jwt" | "private_key_jwt";

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
 * Options of {@link ClientCredentialsAuth}. Give either `tokenUrl` or `issuer`.
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
  /** The fetch used for the token endpoint and discovery (default the global fetch). @example undiciFetch */
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
   * false: RFC 6749 §3.2 requires TLS). @example true
   */
  allowInsecureAuth?: boolean;
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
}
