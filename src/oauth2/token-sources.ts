import type { FetchLike } from "../engine/flow.js";
import { InvalidArgumentError } from "../errors.js";
import type { Token, TokenStore } from "../stores/store.js";
import { parseURL } from "../support/url.js";
import { credentialKey, tokenCacheKey } from "./cache-key.js";
import type { ClientAuthenticator } from "./client-auth.js";
import { type CredentialInput, credentialIdentity } from "./credential-id.js";
import { discover } from "./discovery.js";
import { DpopSigner } from "./dpop.js";
import { generateDpopKey } from "./dpop-key.js";
import { tokenEndpointFor } from "./mtls.js";
import type { ResolvedOptions } from "./options.js";
import { CredentialGuard } from "./rejections.js";
import { resourceIdentifier } from "./resource-metadata.js";
import { type DiscoveredResource, ResourceTargets } from "./resource-targets.js";
import { raceAbort } from "./retry.js";
import { TokenCache } from "./token-cache.js";
import { describeEndpoint, requestToken } from "./token-endpoint.js";
import { TokenTarget } from "./token-flow.js";

/**
 * What {@link TokenSources} needs from a ClientCredentialsAuth.
 *
 * @example
 * ```ts
 * const settings: TokenSourceSettings = { options, credential, authenticator, store, fetch, hooks, dpop };
 * ```
 */
export interface TokenSourceSettings {
  readonly options: ResolvedOptions;
  /** The credential, for its identity (cache keys, the rejection guard); never kept elsewhere. */
  readonly credential: Omit<CredentialInput, "configuredUrl">;
  readonly authenticator: ClientAuthenticator;
  readonly store: TokenStore;
  readonly fetch: FetchLike;
  readonly hooks: {
    readonly onToken: ((token: Token) => void) | undefined;
    readonly onRefreshError: ((error: Error) => void) | undefined;
  };
  /** The signer of `dpop: true` or a supplied key; undefined otherwise. */
  readonly dpop: DpopSigner | undefined;
}

/**
 * Where a ClientCredentialsAuth's tokens come from: one token target for a
 * configured `tokenUrl` or `issuer`, or one per discovered resource with
 * `allowedIssuers` (RFC 9728). Each target is a TokenCache keyed by
 * endpoint, configuration, credential identity and, for DPoP, the key's
 * thumbprint.
 *
 * @example
 * ```ts
 * const sources = new TokenSources(settings);
 * const target = yield* sources.targetFor(request);
 * ```
 */
export class TokenSources {
  readonly #settings: TokenSourceSettings;
  /** Credential identities per configured URL (the tokenUrl or issuer, or each allowed issuer). */
  readonly #identities = new Map<string, Promise<string>>();
  /** Discovered resources; undefined unless `allowedIssuers` is set. */
  readonly resources: ResourceTargets | undefined;
  /** The one target of a configured endpoint, once built. */
  #fixed: TokenTarget | undefined;
  /** The signer made when a resource requires DPoP and none was configured. */
  #dpop: DpopSigner | undefined;

  constructor(settings: TokenSourceSettings) {
    this.#settings = settings;
    this.#dpop = settings.dpop;
    const { options } = settings;
    if (options.allowedIssuers.length === 0) {
      // Started now, off the main thread: the first request rarely waits for it.
      this.#identityFor(options.tokenUrl ?? (options.issuer as string));
      this.resources = undefined;
      return;
    }
    this.resources = new ResourceTargets({
      allowedIssuers: options.allowedIssuers,
      allowInsecure: options.allowInsecureAuth,
      timeoutMs: options.retryBudgetMs,
      fetch: settings.fetch,
      dpop: options.dpop,
      build: (found) => this.#resourceTarget(found),
    });
  }

  /** The configured endpoint's target, if built: what the fast path reads. */
  get fixed(): TokenTarget | undefined {
    return this.#fixed;
  }

  /**
   * The target for `request`'s URL. With resource discovery, a resource not
   * known yet is asked without a token first: this yields that request, and
   * its 401 leads to the metadata (undefined: the answer was not a 401, and
   * is the caller's).
   */
  async *targetFor(request: Request): AsyncGenerator<Request, TokenTarget | undefined, Response> {
    const resources = this.resources;
    if (resources === undefined) return this.fixedTarget(request.signal);
    const identifier = resourceIdentifier(new URL(request.url));
    const known = resources.known(identifier);
    if (known !== undefined) return raceAbort(Promise.resolve(known), request.signal);
    // RFC 9728 §5: the resource's 401 says where its metadata is.
    const answer: Response = yield request;
    if (answer.status !== 401) return undefined;
    const target = await resources.discover(identifier, answer.headers, request.signal);
    // RFC 9449 §8.2: its DPoP-Nonce too, for the next proof to that server (the token request, when it is the same).
    target.dpop?.learn(request.url, answer.headers);
    return target;
  }

  /** The target for `getToken()`: the configured endpoint's, or a named resource's (discovered by §3.1). */
  async targetForToken(resource: string | undefined, signal: AbortSignal | undefined): Promise<TokenTarget> {
    const resources = this.resources;
    if (resources === undefined && resource !== undefined) {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        "resource",
        "getToken({ resource }) is for a ClientCredentialsAuth with allowedIssuers; set resource in its options instead",
      );
    }
    if (resources === undefined) return this.fixedTarget(signal);
    if (resource === undefined) {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        "resource",
        "getToken() of a ClientCredentialsAuth with allowedIssuers needs { resource }: the resource's URL",
      );
    }
    const identifier = resourceIdentifier(parseURL(resource, "the resource"));
    const known = resources.known(identifier);
    return known !== undefined
      ? raceAbort(Promise.resolve(known), signal)
      : resources.discover(identifier, undefined, signal);
  }

  /**
   * The configured endpoint's target, built once the token endpoint is known
   * (after RFC 8414 discovery with `issuer`). Each caller waits with its own
   * signal; concurrent callers share one discovery; a failed one is not kept.
   */
  async fixedTarget(signal: AbortSignal | undefined): Promise<TokenTarget> {
    if (this.#fixed !== undefined) return this.#fixed;
    const { tokenUrl, issuer, allowInsecureAuth, retryBudgetMs } = this.#settings.options;
    // RFC 8705 §5: a client presenting a certificate uses the mTLS alias of the token endpoint, when named.
    const endpoint =
      tokenUrl ??
      tokenEndpointFor(
        await discover(issuer as string, this.#settings.fetch, {
          allowInsecure: allowInsecureAuth,
          timeoutMs: retryBudgetMs,
          signal,
        }),
        this.#settings.credential.certificate !== undefined,
        allowInsecureAuth,
      );
    const configuredUrl = tokenUrl ?? (issuer as string);
    const cache = await raceAbort(this.#cache(endpoint, configuredUrl, this.#settings.options, this.#dpop), signal);
    // Concurrent first callers: the first to get here builds it, the others use that one.
    this.#fixed ??= new TokenTarget(cache, this.#dpop);
    return this.#fixed;
  }

  /** Forgets the rejections and failures remembered for these credentials (`ClientCredentialsAuth.reset()`). */
  async reset(): Promise<void> {
    this.#fixed?.cache.reset();
    for (const target of this.resources?.targets() ?? []) target.cache.reset();
    for (const [configuredUrl, pending] of this.#identities) {
      const identity = await pending.catch(() => undefined);
      if (identity === undefined) continue;
      const key = credentialKey(configuredUrl, this.#settings.options, identity);
      new CredentialGuard(key, "", this.#settings.options.now).reset();
    }
  }

  /** A discovered resource's target: tokens requested with `resource=` its identifier (RFC 8707), DPoP if required. */
  async #resourceTarget(found: DiscoveredResource): Promise<TokenTarget> {
    const dpop = found.metadata.dpopRequired ? this.#requiredSigner() : this.#dpop;
    const options: ResolvedOptions = { ...this.#settings.options, resources: [found.metadata.resource] };
    return new TokenTarget(await this.#cache(found.tokenEndpoint, found.issuer, options, dpop), dpop);
  }

  /** The configured signer, or one made now with a fresh key (DPoP left unset, and a resource requires it). */
  #requiredSigner(): DpopSigner {
    this.#dpop ??= new DpopSigner(generateDpopKey());
    return this.#dpop;
  }

  async #cache(
    endpoint: string,
    configuredUrl: string,
    options: ResolvedOptions,
    dpop: DpopSigner | undefined,
  ): Promise<TokenCache> {
    const { authenticator, fetch, store, hooks } = this.#settings;
    const identity = await this.#identityFor(configuredUrl);
    // RFC 7638 thumbprint in the key: tokens bound to different keys never mix.
    const binding = dpop === undefined ? undefined : (await dpop.key()).thumbprint;
    const guardKey = credentialKey(configuredUrl, options, identity);
    const context = { endpoint, options, authenticator, fetch, dpop };
    return new TokenCache(tokenCacheKey(endpoint, options, identity, binding), {
      store,
      options,
      acquire: (timers) => requestToken({ ...context, timers }),
      guard: new CredentialGuard(guardKey, describeEndpoint(endpoint), options.now),
      onToken: hooks.onToken,
      onRefreshError: hooks.onRefreshError,
    });
  }

  #identityFor(configuredUrl: string): Promise<string> {
    let identity = this.#identities.get(configuredUrl);
    if (identity === undefined) {
      identity = credentialIdentity({ ...this.#settings.credential, configuredUrl });
      // Reported when a token is needed; this keeps a bad key from being an unhandled rejection meanwhile.
      identity.catch(() => {});
      this.#identities.set(configuredUrl, identity);
    }
    return identity;
  }
}
