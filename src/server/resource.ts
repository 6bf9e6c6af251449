import { checkAccess } from "./access.js";
import { DPOP_ALGORITHMS } from "./dpop.js";
import { describeToken } from "./protected.js";
import type { RouteContext, RouteFamily, ServerContext } from "./router.js";
import { sendJson } from "./router.js";

/**
 * RFC 9728 §3: the well-known suffix, inserted between the host and the resource's path (§3.1).
 *
 * @example
 * ```ts
 * await fetch(`${server.url}${RESOURCE_METADATA_PATH}/resource/data`); // the metadata of /resource/data
 * ```
 */
export const RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource";

/**
 * The RFC 9728 protected resources of the test server:
 * - `/resource/*` (any method; `/resource/data`, `/resource/mcp`, …) — each
 *   path is a resource whose identifier is its URL without query
 *   (`http://127.0.0.1:41234/resource/data`); it accepts only tokens issued
 *   for that identifier (RFC 8707 `resource=`), bound tokens with their proof,
 *   and with `resourceMetadata.dpopRequired` only DPoP-bound ones. Its 401s
 *   say where the metadata is: `WWW-Authenticate: Bearer realm="authflow",
 *   resource_metadata="<origin>/.well-known/oauth-protected-resource/resource/data"`
 *   (§5.1; `DPoP algs="…", resource_metadata=…` when DPoP is required);
 * - `GET /.well-known/oauth-protected-resource/resource/*` — the metadata
 *   (§3.2): `resource`, `authorization_servers` (this server),
 *   `bearer_methods_supported`, `dpop_signing_alg_values_supported`,
 *   `dpop_bound_access_tokens_required`, and
 *   `tls_client_certificate_bound_access_tokens` with `tls.requestCert`.
 *
 * `resourceMetadata` can make the document lie (another `resource`, other
 * authorization servers) or the challenge leave the link out, for clients'
 * refusal tests.
 *
 * @example
 * ```ts
 * const response = await fetch(`${server.url}/resource/data`); // 401, resource_metadata="…"
 * ```
 */
export function resourceRoutes(context: ServerContext): RouteFamily {
  const { options, oauth, stats } = context;
  const settings = options.resourceMetadata ?? {};
  const dpopRequired = settings.dpopRequired === true;

  async function resource(route: RouteContext): Promise<void> {
    const identifier = `${route.publicOrigin}${route.url.pathname}`;
    const access = await checkAccess(route, oauth, {
      binding: dpopRequired ? "dpop" : "any",
      resource: identifier,
      ...(settings.linkInChallenge === false ? {} : { resourceMetadata: metadataUrl(identifier) }),
    });
    if (access.ok)
      sendJson(
        route.response,
        200,
        { ...describeToken(access.record), resource_identifier: identifier },
        access.headers,
      );
  }

  function metadata(route: RouteContext): void {
    stats.metadataFetches.protectedResource += 1;
    const identifier = `${route.publicOrigin}${route.url.pathname.slice(RESOURCE_METADATA_PATH.length)}`;
    sendJson(route.response, 200, {
      resource: settings.resource ?? identifier,
      authorization_servers: [...(settings.authorizationServers ?? [route.origin])],
      bearer_methods_supported: ["header"],
      dpop_signing_alg_values_supported: DPOP_ALGORITHMS,
      dpop_bound_access_tokens_required: dpopRequired,
      ...(options.tls?.requestCert === true ? { tls_client_certificate_bound_access_tokens: true } : {}),
      resource_name: "authflow test resource",
    });
  }

  return {
    routes: [
      { name: "resource", path: "/resource/*", handle: resource },
      { name: "resource-metadata", method: "GET", path: `${RESOURCE_METADATA_PATH}/resource/*`, handle: metadata },
    ],
  };
}

/**
 * The RFC 9728 §3.1 metadata URL of a resource identifier: the well-known
 * path inserted between the host and the path (a query, if any, stays at the end).
 *
 * @example
 * ```ts
 * metadataUrl("http://127.0.0.1:8080/resource/data"); // "http://127.0.0.1:8080/.well-known/oauth-protected-resource/resource/data"
 * ```
 */
export function metadataUrl(identifier: string): string {
  const url = new URL(identifier);
  const path = url.pathname === "/" ? "" : url.pathname;
  return `${url.origin}${RESOURCE_METADATA_PATH}${path}${url.search}`;
}
