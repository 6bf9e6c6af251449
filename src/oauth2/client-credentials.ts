import type { Auth, AuthFlow } from "../engine/auth.js";
import { authorizationFor } from "../engine/capabilities.js";
import type { FetchLike } from "../engine/flow.js";
import { parseChallenges } from "../headers/challenge.js";
import { checkBoolean } from "../policy/validate.js";
import { MemoryTokenStore } from "../stores/memory.js";
import type { Token, TokenStore } from "../stores/store.js";
import { REDACTED, redactable } from "../support/redact.js";
import { credentialKey, tokenCacheKey } from "./cache-key.js";
import { type ClientAuthenticator, createClientAuthenticator } from "./client-auth.js";
import { credentialIdentity } from "./credential-id.js";
import { discover } from "./discovery.js";
import type { ClientCredentialsOptions, ResolvedOptions } from "./options.js";
import { CredentialGuard } from "./rejections.js";
import { resolveOptions } from "./resolve-options.js";
import { raceAbort } from "./retry.js";
import { TokenCache } from "./token-cache.js";
import { describeEndpoint, requestToken } from "./token-endpoint.js";

/**
 * Options of {@link ClientCredentialsAuth.getToken}.
 *
 * @example
 * ```ts
 * await auth.getToken({ forceRefresh: true, signal: AbortSignal.timeout(5_000) });
 * ```
 */
export interface GetTokenOptions {
  /**
   * Ignore the cached token and fetch a new one (shared with any refresh
   * already running); the next request of this process sends the new one.
   * It does not get past the bad-credential guard: after rejected
   * credentials, call `reset()` first.
   */
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
 *   honouring `Retry-After`, then {@link TokenEndpointError}. Every request
 *   made on your behalf (discovery, token) ends within `retryBudgetMs`, and
 *   the caller's signal releases the caller at once.
 * - A rejected client secret or key (`invalid_client`, `unauthorized_client`,
 *   401) is a bad credential, guarded like a wrong password: after 3
 *   rejections, `AuthRejectedError` at once and a growing pause (60 s, doubling,
 *   at most 30 min) — at most 3 token requests in the first minute, 8 in an
 *   hour. `reset()`, or other credentials, start afresh.
 * - Tokens are cached per configuration *and credential*: two secrets for one
 *   client id never share a token (the key holds a slow keyed digest of the
 *   secret, or the public key's RFC 7638 thumbprint, never the credential).
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
  /**
   * The configured token endpoint, when given directly, for display: its
   * query redacted (`https://as.example/token?[redacted]`), since a query may
   * carry a secret. Requests go to the URL as configured.
   */
  readonly tokenUrl: string | undefined;
  /** The configured issuer, when the token endpoint is discovered (it has no query: RFC 8414 §2). */
  readonly issuer: string | undefined;

  readonly #options: ResolvedOptions;
  readonly #authenticator: ClientAuthenticator;
  readonly #identity: Promise<string>;
  readonly #store: TokenStore;
  readonly #fetch: FetchLike;
  readonly #hooks: {
    onToken: ((token: Token) => void) | undefined;
    onRefreshError: ((error: Error) => void) | undefined;
  };
  /** The cache once built (the token endpoint known): what every call and the fast path use. */
  #built: TokenCache | undefined;
  /** The Authorization value of the token last sent, so the fast path builds no string per request. */
  #header: { readonly token: Token; readonly value: string } | undefined;

  constructor(options: ClientCredentialsOptions) {
    this.#options = resolveOptions(options);
    this.clientId = this.#options.clientId;
    this.clientAuth = this.#options.clientAuth;
    this.tokenUrl = this.#options.tokenUrl === undefined ? undefined : shownURL(this.#options.tokenUrl);
    this.issuer = this.#options.issuer;
    this.#authenticator = createClientAuthenticator({
      clientId: this.#options.clientId,
      clientAuth: this.#options.clientAuth,
      clientSecret: options.clientSecret,
      privateKey: options.privateKey,
      signingAlgorithm: options.signingAlgorithm,
    });
    // Started now, off the main thread: the first request rarely waits for it.
    this.#identity = credentialIdentity({
      configuredUrl: this.#configuredUrl(),
      clientId: this.#options.clientId,
      clientAuth: this.#options.clientAuth,
      clientSecret: options.clientSecret,
      privateKey: options.privateKey,
      signingAlgorithm: options.signingAlgorithm,
    });
    // Reported when a token is needed; this keeps a bad key from being an unhandled rejection meanwhile.
    this.#identity.catch(() => {});
    this.#store = options.store ?? new MemoryTokenStore({ now: this.#options.now });
    // Looked up per call, so a fetch patched after construction (test recorders, polyfills) is used.
    this.#fetch = options.fetch ?? defaultFetch;
    this.#hooks = { onToken: options.onToken, onRefreshError: options.onRefreshError };
  }

  /**
   * A usable access token: from the cache, or from the token endpoint when
   * there is none, it expired, or `forceRefresh` is set. After a forced
   * refresh, the new token is what every request of this process sends next
   * (this instance and any other with the same configuration and store).
   *
   * @example
   * ```ts
   * const { accessToken, expiresAt } = await auth.getToken();
   * ```
   */
  async getToken(options: GetTokenOptions = {}): Promise<Token> {
    checkBoolean("forceRefresh", options.forceRefresh);
    const cache = await this.#tokenCache(options.signal);
    return cache.get({ forceRefresh: options.forceRefresh === true, signal: options.signal });
  }

  /**
   * Starts afresh after the token endpoint rejected the client's credentials:
   * forgets those rejections (for every instance with this configuration in
   * this process) and the failures this instance remembers, so the next
   * request asks for a token at once instead of failing with
   * `AuthRejectedError`. Call it once the credentials are fixed on the
   * server side; a new instance with other credentials needs no reset.
   *
   * @example
   * ```ts
   * try {
   *   await auth.getToken();
   * } catch (error) {
   *   if (error instanceof AuthRejectedError) {
   *     await rotateSecretInTheAuthorizationServer();
   *     await auth.reset();
   *   }
   * }
   * ```
   */
  async reset(): Promise<void> {
    this.#built?.reset();
    const identity = await this.#identity.catch(() => undefined);
    if (identity === undefined) return;
    const key = credentialKey(this.#configuredUrl(), this.#options, identity);
    new CredentialGuard(key, "", this.#options.now).reset();
  }

  async *authFlow(request: Request): AuthFlow {
    const cache = await this.#tokenCache(request.signal);
    const token = await cache.get({ signal: request.signal });
    request.headers.set("authorization", this.#headerOf(token));
    const response: Response = yield request;
    if (response.status !== 401 || !isInvalidTokenChallenge(response.headers)) return;
    // RFC 6750 §3.1: the token was revoked or expired early. Once: a second 401 is the caller's answer.
    // The rejected token is the one that went out: a fast path may have sent an older one than `token`.
    const rejected = sentToken(request.headers.get("authorization")) ?? token.accessToken;
    const fresh = await cache.replace(rejected, request.signal);
    if (fresh.accessToken === rejected) return;
    request.headers.set("authorization", this.#headerOf(fresh));
    yield request;
  }

  /**
   * @internal The fast path (src/engine/capabilities.ts): the header of the newest
   * token this process knows, while the cache calls it current (see
   * `TokenCache.current`). Undefined before the first request, once a
   * refresh is due, and once a second has passed since the store was last
   * read: the flow then runs, and picks up a token another process stored.
   */
  [authorizationFor](): string | undefined {
    const token = this.#built?.current();
    return token === undefined ? undefined : this.#headerOf(token);
  }

  #headerOf(token: Token): string {
    const known = this.#header;
    if (known !== undefined && known.token === token) return known.value;
    const value = `Bearer ${token.accessToken}`;
    this.#header = { token, value };
    return value;
  }

  #configuredUrl(): string {
    return this.#options.tokenUrl ?? (this.#options.issuer as string);
  }

  /**
   * The cache, built once the token endpoint is known (after discovery, when
   * `issuer` is set). Each caller waits on discovery with its own signal;
   * concurrent callers share one discovery, and a failed one is not kept.
   */
  async #tokenCache(signal: AbortSignal | undefined): Promise<TokenCache> {
    if (this.#built !== undefined) return this.#built;
    const { tokenUrl, issuer, allowInsecureAuth, retryBudgetMs } = this.#options;
    const endpoint =
      tokenUrl ??
      (
        await discover(issuer as string, this.#fetch, {
          allowInsecure: allowInsecureAuth,
          timeoutMs: retryBudgetMs,
          signal,
        })
      ).token_endpoint;
    const identity = await raceAbort(this.#identity, signal);
    // Concurrent first callers: the first to get here builds it, the others use that one.
    this.#built ??= this.#createCache(endpoint, identity);
    return this.#built;
  }

  #createCache(endpoint: string, identity: string): TokenCache {
    const guardKey = credentialKey(this.#configuredUrl(), this.#options, identity);
    const context = { endpoint, options: this.#options, authenticator: this.#authenticator, fetch: this.#fetch };
    return new TokenCache(tokenCacheKey(endpoint, this.#options, identity), {
      store: this.#store,
      options: this.#options,
      acquire: (timers) => requestToken({ ...context, timers }),
      guard: new CredentialGuard(guardKey, describeEndpoint(endpoint), this.#options.now),
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

/** A parsed URL for display: userinfo (refused anyway) dropped, query and fragment redacted. */
function shownURL(text: string): string {
  const url = new URL(text);
  const query = url.search === "" ? "" : `?${REDACTED}`;
  return `${url.origin}${url.pathname}${query}${url.hash === "" ? "" : `#${REDACTED}`}`;
}

const defaultFetch: FetchLike = (request) => globalThis.fetch(request);

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
