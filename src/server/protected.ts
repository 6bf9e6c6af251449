import { type AccessRequirement, checkAccess } from "./access.js";
import type { RouteContext, RouteFamily, ServerContext } from "./router.js";
import { sendJson } from "./router.js";
import type { IssuedToken } from "./tokens.js";

/**
 * The protected routes of the OAuth family, any method each:
 * - `/oauth/protected` — a live token this server issued: a plain bearer
 *   token, or a bound one with its proof (`Authorization: DPoP` and a `DPoP`
 *   proof; the client certificate it is bound to);
 * - `/oauth/dpop-protected` — only DPoP-bound tokens, with a proof for this
 *   request (RFC 9449 §7); its 401s challenge with `DPoP`;
 * - `/oauth/mtls-protected` — only certificate-bound tokens, on a TLS
 *   connection presenting that certificate (RFC 8705 §3).
 *
 * 200 answers describe the token: `client_id`, `scope`, `audience`,
 * `resource`, `token_type` and `cnf`.
 *
 * @example
 * ```ts
 * const families = [oauthRoutes(context), protectedRoutes(context)];
 * ```
 */
export function protectedRoutes(context: ServerContext): RouteFamily {
  const guarded = (requirement: AccessRequirement) => async (route: RouteContext) => {
    const access = await checkAccess(route, context.oauth, requirement);
    if (access.ok) sendJson(route.response, 200, describeToken(access.record), access.headers);
  };
  return {
    routes: [
      { name: "oauth-protected", path: "/oauth/protected", handle: guarded({ binding: "any" }) },
      { name: "oauth-dpop-protected", path: "/oauth/dpop-protected", handle: guarded({ binding: "dpop" }) },
      { name: "oauth-mtls-protected", path: "/oauth/mtls-protected", handle: guarded({ binding: "mtls" }) },
    ],
  };
}

/**
 * What a protected route tells about the token it accepted.
 *
 * @example
 * ```ts
 * sendJson(response, 200, describeToken(record));
 * ```
 */
export function describeToken(record: IssuedToken): Record<string, unknown> {
  const { clientId, scope, audience, resource, tokenType, cnf } = record;
  return { authenticated: true, client_id: clientId, scope, audience, resource, token_type: tokenType, cnf };
}
