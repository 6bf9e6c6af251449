import type { Auth, AuthFlow } from "../engine/auth.js";
import { authorizationFor } from "../engine/capabilities.js";
import type { FetchLike } from "../engine/flow.js";
import { type TransportIdentity, transportIdentity } from "../engine/transport.js";
import { checkBoolean, checkString } from "../policy/validate.js";
import { MemoryTokenStore } from "../stores/memory.js";
import type { Token } from "../stores/store.js";
import { REDACTED, redactable } from "../support/redact.js";
import { createClientAuthenticator } from "./client-auth.js";
import { DpopSigner } from "./dpop.js";
import { generateDpopKey, loadDpopKey } from "./dpop-key.js";
import { authTransport } from "./mtls.js";
import type { ClientCredentialsOptions, ResolvedOptions } from "./options.js";
import { resolveOptions } from "./resolve-options.js";
import { resourceIdentifier } from "./resource-metadata.js";
import { sendWithToken } from "./token-flow.js";
import { TokenSources } from "./token-sources.js";

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
  /**
   * With `allowedIssuers` (resource discovery), the resource the token is
   * for: its URL. Its metadata is read from the RFC 9728 §3.1 well-known URL.
   */
  resource?: string;
}

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4): one object that fetches,
 * caches and refreshes an access token and sends it as `Bearer` — or, with
 * `dpop`, as a DPoP-bound token with a fresh proof per request (RFC 9449).
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
 * - DPoP (`dpop: true` or a key pair): the token request and every request
 *   carry a proof (`htm`, `htu` without query, `iat`, a unique `jti`, `ath`
 *   on resource requests, the server's `nonce`); the answer must be a `DPoP`
 *   token; `use_dpop_nonce` (400 from the token endpoint, 401 from a
 *   resource) is answered once with the nonce given, and a `DPoP-Nonce` on
 *   any answer is used for that server's next proof. The cache key holds the
 *   key's RFC 7638 thumbprint.
 * - Resource discovery (`allowedIssuers`, no `tokenUrl`/`issuer`, RFC 9728):
 *   the first request to a resource goes without a token; its 401 names its
 *   metadata, whose `resource` must be that resource and whose authorization
 *   server must be in `allowedIssuers` — else {@link ResourceDiscoveryError},
 *   and nothing is sent to the server named. Tokens are requested with
 *   `resource=` (RFC 8707) and cached per resource; a resource that requires
 *   DPoP turns it on (or is refused with `dpop: false`).
 * - Transport (`tls`, `proxy`; Node, and Bun/Deno for `tls`): token,
 *   discovery and metadata requests go through authflow's own transport with
 *   them; a `Client` given this auth and no `tls`/`proxy` of its own uses
 *   the same, so one object configures both.
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
 *
 * // DPoP-bound tokens, the authorization server found from the resource (RFC 9449, RFC 9728):
 * const mcp = new ClientCredentialsAuth({ clientId: "agent", clientSecret, allowedIssuers: ["https://auth.example.com"], dpop: true });
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

  /** The authorization servers resource discovery may use (RFC 9728), when discovering. */
  readonly allowedIssuers: readonly string[] | undefined;

  readonly #sources: TokenSources;
  /** `tls`, `proxy` and the transport applying them, lent to a Client given this auth. */
  readonly #transport: TransportIdentity | undefined;

  constructor(options: ClientCredentialsOptions) {
    const resolved = resolveOptions(options);
    const { tls, proxy, transport } = authTransport(options);
    this.#transport = tls === undefined && proxy === undefined ? undefined : { tls, proxy, transport };
    this.clientId = resolved.clientId;
    this.clientAuth = resolved.clientAuth;
    this.tokenUrl = resolved.tokenUrl === undefined ? undefined : shownURL(resolved.tokenUrl);
    this.issuer = resolved.issuer;
    this.allowedIssuers = resolved.allowedIssuers.length === 0 ? undefined : resolved.allowedIssuers;
    const credential = {
      clientId: resolved.clientId,
      clientAuth: resolved.clientAuth,
      clientSecret: options.clientSecret,
      privateKey: options.privateKey,
      signingAlgorithm: options.signingAlgorithm,
      certificate: tls?.cert,
    };
    const dpop = options.dpop;
    this.#sources = new TokenSources({
      options: resolved,
      credential,
      authenticator: createClientAuthenticator(credential),
      store: options.store ?? new MemoryTokenStore({ now: resolved.now }),
      // Looked up per call, so a fetch patched after construction (test recorders, polyfills) is used.
      fetch: options.fetch ?? transport?.fetch ?? defaultFetch,
      hooks: { onToken: options.onToken, onRefreshError: options.onRefreshError },
      dpop:
        dpop === undefined || dpop === false
          ? undefined
          : new DpopSigner(dpop === true ? generateDpopKey() : loadDpopKey(dpop)),
    });
    const resources = this.#sources.resources;
    if (resources !== undefined) {
      // Declared with its URL parameter: the undici adapter builds a URL per request only for a fast path that reads it.
      const byResource = (_method: string, url: URL) => resources.peek(resourceIdentifier(url))?.current();
      Object.defineProperty(this, authorizationFor, { value: byResource });
    }
  }

  /**
   * A usable access token: from the cache, or from the token endpoint when
   * there is none, it expired, or `forceRefresh` is set. After a forced
   * refresh, the new token is what every request of this process sends next
   * (this instance and any other with the same configuration and store).
   * With `allowedIssuers`, name the resource: its metadata is read from its
   * well-known URL (RFC 9728 §3.1).
   *
   * @example
   * ```ts
   * const { accessToken, expiresAt } = await auth.getToken();
   * ```
   */
  async getToken(options: GetTokenOptions = {}): Promise<Token> {
    checkBoolean("forceRefresh", options.forceRefresh);
    checkString("resource", options.resource);
    const target = await this.#sources.targetForToken(options.resource, options.signal);
    return target.cache.get({ forceRefresh: options.forceRefresh === true, signal: options.signal });
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
  reset(): Promise<void> {
    return this.#sources.reset();
  }

  async *authFlow(request: Request): AuthFlow {
    const target = yield* this.#sources.targetFor(request);
    if (target === undefined) return;
    yield* sendWithToken(target, request);
  }

  /**
   * @internal The fast path (src/engine/capabilities.ts): the header of the newest
   * token this process knows, while the cache calls it current (see
   * `TokenCache.current`). Undefined before the first request, once a
   * refresh is due, and once a second has passed since the store was last
   * read: the flow then runs, and picks up a token another process stored.
   * Always undefined for DPoP: each request needs its own signed proof.
   * With `allowedIssuers`, an own property that reads the URL replaces it.
   */
  [authorizationFor](): string | undefined {
    return this.#sources.fixed?.current();
  }

  /**
   * @internal Its `tls` and `proxy`, for a Client given this auth: bound tokens need the same certificate
   * (RFC 8705 §3), and a network that needs the proxy for the token endpoint needs it for the API.
   */
  [transportIdentity](): TransportIdentity | undefined {
    return this.#transport;
  }
}
redactable(ClientCredentialsAuth.prototype, "ClientCredentialsAuth", (auth) => ({
  clientId: auth.clientId,
  clientAuth: auth.clientAuth,
  ...(auth.tokenUrl !== undefined
    ? { tokenUrl: auth.tokenUrl }
    : auth.issuer !== undefined
      ? { issuer: auth.issuer }
      : { allowedIssuers: auth.allowedIssuers }),
  clientSecret: REDACTED,
}));

/** A parsed URL for display: userinfo (refused anyway) dropped, query and fragment redacted. */
function shownURL(text: string): string {
  const url = new URL(text);
  const query = url.search === "" ? "" : `?${REDACTED}`;
  return `${url.origin}${url.pathname}${query}${url.hash === "" ? "" : `#${REDACTED}`}`;
}

const defaultFetch: FetchLike = (request) => globalThis.fetch(request);

export { isInvalidTokenChallenge } from "./token-challenge.js";
