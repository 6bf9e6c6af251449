import type { Auth, AuthFlow } from "../auth.js";
import { authorizationFor } from "../fast-path.js";
import { parseChallenges } from "../headers/challenge.js";
import { REDACTED, redactable } from "../redact.js";
import { MemoryTokenStore } from "../stores/memory.js";
import type { Token, TokenStore } from "../stores/store.js";
import { type ClientAuthenticator, createClientAuthenticator } from "./client-auth.js";
import { checkTransport, discover } from "./discovery.js";
import { type ClientCredentialsOptions, type FetchFunction, type ResolvedOptions, resolveOptions } from "./options.js";
import { TokenCache, tokenCacheKey } from "./token-cache.js";
import { requestToken } from "./token-endpoint.js";

/**
 * Options of {@link ClientCredentialsAuth.getToken}.
 *
 * @example
 * ```ts
 * await auth.getToken({ forceRefresh: true, signal: AbortSignal.timeout(5_000) });
 * ```
 */
export interface GetTokenOptions {
  /** Ignore the cached token and fetch a new one (shared with any refresh already running). */
  forceRefresh?: boolean;
  /** Stop waiting when it aborts; a token request other callers share goes on. */
  signal?: AbortSignal;
}

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4): one object that fetches,
 * caches and refreshes an access token and sends it as `Bearer`.
 *
 * - Concurrent requests share one token request; tokens are cached per
 *   (token endpoint, client, auth method, scope, audience, resource) in `store`.
 * - A token is refreshed in the background once its remaining lifetime falls
 *   under `refreshLeewaySeconds` (at most half its lifetime) while it keeps
 *   serving; an expired token is never sent. If that refresh fails, the old
 *   token serves until it expires and the refresh is tried again later.
 * - A 401 with `WWW-Authenticate: Bearer error="invalid_token"` drops the token
 *   and resends the request once with a new one — or with a newer cached one,
 *   without a token request, if another request already replaced it.
 * - Token endpoint failures: {@link OAuthError} for RFC 6749 §5.2 answers (not
 *   retried); network errors, 5xx and 429 are retried with backoff and jitter,
 *   honouring `Retry-After`, then {@link TokenEndpointError}.
 * - Clock skew: `expires_in` is a duration, so the expiry is counted on the
 *   local clock from when the request was sent — never later than the server's
 *   own expiry, whatever the offset between the two clocks (see
 *   `parseTokenResponse`).
 *
 * @example
 * ```ts
 * const auth = new ClientCredentialsAuth({
 *   tokenUrl: "https://auth.example.com/oauth/token",
 *   clientId: "my-service",
 *   clientSecret: process.env.CLIENT_SECRET,
 *   scope: "orders:read",
 * });
 * const api = withAuth(fetch, auth);
 * const response = await api("https://api.example.com/orders");
 * ```
 */
export class ClientCredentialsAuth implements Auth {
  /** The client identifier. */
  readonly clientId: string;
  /** The client authentication method in use. */
  readonly clientAuth: ResolvedOptions["clientAuth"];
  /** The configured token endpoint, when given directly. */
  readonly tokenUrl: string | undefined;
  /** The configured issuer, when the token endpoint is discovered. */
  readonly issuer: string | undefined;

  readonly #options: ResolvedOptions;
  readonly #authenticator: ClientAuthenticator;
  readonly #store: TokenStore;
  readonly #fetch: FetchFunction;
  readonly #hooks: {
    onToken: ((token: Token) => void) | undefined;
    onRefreshError: ((error: Error) => void) | undefined;
  };
  #cache: Promise<TokenCache> | undefined;
  /** The token the flow sent last, for the fast path. */
  #sent: { readonly cache: TokenCache; readonly token: Token; readonly header: string } | undefined;

  constructor(options: ClientCredentialsOptions) {
    this.#options = resolveOptions(options);
    this.clientId = this.#options.clientId;
    this.clientAuth = this.#options.clientAuth;
    this.tokenUrl = options.tokenUrl;
    this.issuer = options.issuer;
    // Fail at construction, not at the first request: a bad URL or plain HTTP is a configuration error.
    const configured = options.tokenUrl === undefined ? "issuer" : "tokenUrl";
    checkTransport(new URL(options.tokenUrl ?? options.issuer ?? ""), configured, this.#options.allowInsecureAuth);
    this.#authenticator = createClientAuthenticator({
      clientId: this.#options.clientId,
      clientAuth: this.#options.clientAuth,
      clientSecret: options.clientSecret,
      privateKey: options.privateKey,
      signingAlgorithm: options.signingAlgorithm,
    });
    this.#store = options.store ?? new MemoryTokenStore({ now: this.#options.now });
    // Looked up per call, so a fetch patched after construction (test recorders, polyfills) is used.
    this.#fetch = options.fetch ?? defaultFetch;
    this.#hooks = { onToken: options.onToken, onRefreshError: options.onRefreshError };
  }

  /**
   * A usable access token: from the cache, or from the token endpoint when
   * there is none, it expired, or `forceRefresh` is set.
   *
   * @example
   * ```ts
   * const { accessToken, expiresAt } = await auth.getToken();
   * ```
   */
  async getToken(options: GetTokenOptions = {}): Promise<Token> {
    const cache = await this.#tokenCache();
    return cache.get({ forceRefresh: options.forceRefresh === true, signal: options.signal });
  }

  async *authFlow(request: Request): AuthFlow {
    const cache = await this.#tokenCache();
    const token = await cache.get({ signal: request.signal });
    request.headers.set("authorization", this.#sending(cache, token));
    const response: Response = yield request;
    if (response.status !== 401 || !isInvalidTokenChallenge(response.headers)) return;
    // RFC 6750 §3.1: the token was revoked or expired early. Once: a second 401 is the caller's answer.
    // The rejected token is the one that went out: a fast path may have sent an older one than `token`.
    const rejected = sentToken(request.headers.get("authorization")) ?? token.accessToken;
    const fresh = await cache.replace(rejected, request.signal);
    if (fresh.accessToken === rejected) return;
    request.headers.set("authorization", this.#sending(cache, fresh));
    yield request;
  }

  /**
   * @internal The fast path (src/fast-path.ts): the header of the token the
   * flow sent last, while the cache calls it fresh. Undefined before the
   * first request and once a refresh is due: the flow then runs (and refreshes).
   */
  [authorizationFor](): string | undefined {
    const sent = this.#sent;
    return sent !== undefined && sent.cache.fresh(sent.token) ? sent.header : undefined;
  }

  /** Remembers `token` for the fast path; returns its Authorization value. */
  #sending(cache: TokenCache, token: Token): string {
    const header = `Bearer ${token.accessToken}`;
    this.#sent = { cache, token, header };
    return header;
  }

  /** The cache, built once the token endpoint is known (after discovery, when `issuer` is set). */
  #tokenCache(): Promise<TokenCache> {
    if (this.#cache === undefined) {
      this.#cache = this.#buildCache();
      // Discovery failures are not remembered: the next call tries again.
      this.#cache.catch(() => {
        this.#cache = undefined;
      });
    }
    return this.#cache;
  }

  async #buildCache(): Promise<TokenCache> {
    const endpoint =
      this.tokenUrl ??
      (await discover(this.issuer as string, this.#fetch, this.#options.allowInsecureAuth)).token_endpoint;
    const context = { endpoint, options: this.#options, authenticator: this.#authenticator, fetch: this.#fetch };
    return new TokenCache(tokenCacheKey(endpoint, this.#options), {
      store: this.#store,
      options: this.#options,
      acquire: (timers) => requestToken({ ...context, timers }),
      onToken: this.#hooks.onToken,
      onRefreshError: this.#hooks.onRefreshError,
    });
  }
}
redactable(ClientCredentialsAuth.prototype, "ClientCredentialsAuth", (auth) => ({
  clientId: auth.clientId,
  clientAuth: auth.clientAuth,
  ...(auth.tokenUrl === undefined ? { issuer: auth.issuer } : { tokenUrl: auth.tokenUrl }),
  clientSecret: REDACTED,
}));

const defaultFetch: FetchFunction = (request) => globalThis.fetch(request);

/**
 * RFC 6750 §3: a Bearer challenge with `error="invalid_token"`. A header that
 * does not parse is not one.
 *
 * @example
 * ```ts
 * isInvalidTokenChallenge(new Headers({ "www-authenticate": 'Bearer realm="api", error="invalid_token"' })); // true
 * ```
 */
export function isInvalidTokenChallenge(headers: Headers): boolean {
  const header = headers.get("www-authenticate");
  if (header === null) return false;
  try {
    return parseChallenges(header).some(
      (challenge) => challenge.scheme.toLowerCase() === "bearer" && challenge.params.error === "invalid_token",
    );
  } catch {
    return false;
  }
}

/** The token of a `Bearer` Authorization value. */
function sentToken(authorization: string | null): string | undefined {
  return authorization?.startsWith("Bearer ") ? authorization.slice(7) : undefined;
}
