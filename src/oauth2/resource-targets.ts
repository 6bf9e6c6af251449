import type { FetchLike } from "../engine/flow.js";
import { ResourceDiscoveryError } from "../errors.js";
import { getTouched, setBounded } from "./bounded.js";
import { discover } from "./discovery.js";
import { fetchResourceMetadata, metadataUrlOf, type ResourceMetadata } from "./resource-metadata.js";
import { raceAbort } from "./retry.js";
import { tokenChallenge } from "./token-challenge.js";
import type { TokenTarget } from "./token-flow.js";

/** Resources remembered per ClientCredentialsAuth; past this the least recently used is discovered again. */
export const RESOURCES_REMEMBERED = 128;

/**
 * A resource whose authorization server passed the allow-list.
 *
 * @example
 * ```ts
 * const found: DiscoveredResource = { identifier, metadata, issuer: "https://as.example.com", tokenEndpoint: "https://as.example.com/token" };
 * ```
 */
export interface DiscoveredResource {
  /** The resource identifier requests were made to (origin and path). */
  readonly identifier: string;
  readonly metadata: ResourceMetadata;
  /** The authorization server chosen: the first of the metadata's that `allowedIssuers` lists. */
  readonly issuer: string;
  /** Its token endpoint, from RFC 8414 discovery. */
  readonly tokenEndpoint: string;
}

/**
 * What {@link ResourceTargets} needs.
 *
 * @example
 * ```ts
 * const settings: ResourceTargetSettings = { allowedIssuers, allowInsecure: false, timeoutMs: 30_000, fetch, dpop: undefined, build };
 * ```
 */
export interface ResourceTargetSettings {
  /** Exact issuer identifiers; nothing is ever sent to another. */
  readonly allowedIssuers: readonly string[];
  readonly allowInsecure: boolean;
  /** Bound of each metadata fetch and of the authorization server's discovery. */
  readonly timeoutMs: number;
  readonly fetch: FetchLike;
  /** The `dpop` option: false refuses a resource that requires DPoP. */
  readonly dpop: boolean | undefined;
  /** Makes the token target (cache, and signer when DPoP) of a resource that passed. */
  readonly build: (found: DiscoveredResource) => Promise<TokenTarget>;
}

/**
 * The discovered resources of one ClientCredentialsAuth (RFC 9728): per
 * resource identifier, its token target. A resource's first 401 leads to its
 * metadata; its authorization server must be one of `allowedIssuers` — the
 * check comes before any request to it, so a server a resource names but the
 * configuration does not list is never contacted, and the client's
 * credentials never offered to it. Concurrent requests to one resource share
 * one discovery; a failed discovery is not kept.
 *
 * @example
 * ```ts
 * const targets = new ResourceTargets(settings);
 * const target = targets.known(identifier) ?? (await targets.discover(identifier, response.headers, signal));
 * ```
 */
export class ResourceTargets {
  readonly #settings: ResourceTargetSettings;
  readonly #known = new Map<string, TokenTarget>();
  readonly #pending = new Map<string, Promise<TokenTarget>>();

  constructor(settings: ResourceTargetSettings) {
    this.#settings = settings;
  }

  /** The target of a resource discovered before (no LRU touch: the fast path asks this per request). */
  peek(identifier: string): TokenTarget | undefined {
    return this.#known.get(identifier);
  }

  /** The target of a resource discovered before, or the discovery under way for it, else undefined. */
  known(identifier: string): TokenTarget | Promise<TokenTarget> | undefined {
    return getTouched(this.#known, identifier) ?? this.#pending.get(identifier);
  }

  /** Every target known, for `reset()`. */
  targets(): Iterable<TokenTarget> {
    return this.#known.values();
  }

  /**
   * Discovers `identifier` from the 401 it answered (`challenge`: its
   * headers; undefined to go straight to the well-known URL, §3.1).
   */
  discover(identifier: string, challenge: Headers | undefined, signal: AbortSignal | undefined): Promise<TokenTarget> {
    let pending = this.#pending.get(identifier);
    if (pending === undefined) {
      const metadataUrl =
        (challenge === undefined ? undefined : tokenChallenge(challenge).resourceMetadata) ?? metadataUrlOf(identifier);
      // Shared by every caller, so no caller's signal cancels it: each request's bounds are the budget's.
      pending = this.#run(identifier, metadataUrl);
      const started = pending;
      this.#pending.set(identifier, started);
      const clear = () => {
        if (this.#pending.get(identifier) === started) this.#pending.delete(identifier);
      };
      started.then((target) => {
        setBounded(this.#known, identifier, target, RESOURCES_REMEMBERED);
        clear();
      }, clear);
    }
    return raceAbort(pending, signal);
  }

  async #run(identifier: string, metadataUrl: string): Promise<TokenTarget> {
    const { allowedIssuers, allowInsecure, timeoutMs, fetch } = this.#settings;
    const metadata = await fetchResourceMetadata(identifier, metadataUrl, fetch, { allowInsecure, timeoutMs });
    // The allow-list before any request to the authorization server: nothing goes to one it does not list.
    const issuer = metadata.authorizationServers.find((server) => allowedIssuers.includes(server));
    if (issuer === undefined) {
      throw new ResourceDiscoveryError(
        `resource discovery for ${identifier} failed: its metadata names ${describe(metadata.authorizationServers)} ` +
          "as authorization server, and allowedIssuers lists none of them; nothing was sent to them. " +
          "Add the issuer to allowedIssuers if you trust it with this client's credentials.",
        { resource: identifier, authorizationServers: metadata.authorizationServers },
      );
    }
    if (metadata.dpopRequired && this.#settings.dpop === false) {
      throw new ResourceDiscoveryError(
        `resource discovery for ${identifier} failed: the resource requires DPoP-bound tokens ` +
          "(dpop_bound_access_tokens_required, RFC 9728 §2) and this client has dpop: false",
        { resource: identifier, authorizationServers: metadata.authorizationServers },
      );
    }
    const server = await discover(issuer, fetch, { allowInsecure, timeoutMs });
    return this.#settings.build({ identifier, metadata, issuer, tokenEndpoint: server.token_endpoint });
  }
}

/** The servers a metadata document named, for a message: quoted, cut short. */
function describe(servers: readonly string[]): string {
  const shown = servers.slice(0, 3).map((server) => JSON.stringify(server.slice(0, 100)));
  return servers.length > 3 ? `${shown.join(", ")} and ${servers.length - 3} more` : shown.join(", ");
}
