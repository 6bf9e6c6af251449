import { randomBytes } from "node:crypto";
import { authenticateClient, defaultClients, type OAuthClientRegistration } from "./oauth-clients.js";
import { type OAuthFaultPlan, OAuthFaults, playFault } from "./oauth-faults.js";
import type { Route, RouteContext, RouteFamily, ServerContext } from "./router.js";
import { sendJson } from "./router.js";

export type { OAuthClientRegistration } from "./oauth-clients.js";
export { defaultClients, TEST_CLIENT_PRIVATE_JWK } from "./oauth-clients.js";
export type { OAuthFaultKind, OAuthFaultPlan } from "./oauth-faults.js";

/** What the server remembers of a token it issued. */
interface IssuedToken {
  readonly clientId: string;
  readonly scope: string | undefined;
  readonly audience: string | undefined;
  readonly resource: readonly string[];
  /** Server clock, epoch ms. */
  readonly expiresAt: number;
}

/** Parameters that may appear at most once (RFC 6749 §3.2). */
const SINGLE_PARAMS = ["grant_type", "scope", "audience", "client_id", "client_secret", "client_assertion"];
const AUTH_METHODS = ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"];
/** A token request's form: a few parameters and at most one signed assertion (an RS256 JWT with a 4096-bit key is about 1 KiB). */
export const TOKEN_BODY_BYTES = 16 * 1024;
/** A fault plan is a small JSON object. */
export const FAULTS_BODY_BYTES = 4 * 1024;

/**
 * The OAuth 2.0 routes of the test server:
 * - `POST /oauth/token` — client credentials grant (RFC 6749 §4.4) for the
 *   registered `clients` (default {@link defaultClients}), every client
 *   authentication method checked strictly; tokens live `tokenTtlSeconds`;
 * - `GET /oauth/protected` — 200 with the token's client, scope, audience and
 *   resource for a live token this server issued, else 401
 *   `Bearer error="invalid_token"` (RFC 6750 §3.1);
 * - `GET /.well-known/oauth-authorization-server` — RFC 8414 metadata;
 * - `POST /oauth/_faults`, `DELETE /oauth/_faults` — fault injection
 *   ({@link OAuthFaultPlan}), only with `faults: true` (else 404).
 *
 * Bodies: the token endpoint reads at most {@link TOKEN_BODY_BYTES}, the
 * fault route {@link FAULTS_BODY_BYTES}; the other routes discard theirs.
 *
 * `oauthClockSkewSeconds` shifts this family's clock (Date header, token
 * expiry, assertion checks) to play a server whose clock is off.
 *
 * @example
 * ```ts
 * const families = [httpbinRoutes(context), oauthRoutes(context)];
 * ```
 */
export function oauthRoutes(context: ServerContext): RouteFamily {
  const { options, stats } = context;
  const clients = options.clients ?? defaultClients();
  const issued = new Map<string, IssuedToken>();
  const seenJti = new Map<string, number>();
  const faults = new OAuthFaults();
  const skewMs = (options.oauthClockSkewSeconds ?? 0) * 1000;
  const now = () => Date.now() + skewMs;
  const dateHeader = (): Record<string, string> => (skewMs === 0 ? {} : { date: new Date(now()).toUTCString() });

  async function token(route: RouteContext): Promise<void> {
    stats.tokenRequests += 1;
    const fault = faults.take();
    if (fault !== undefined && (await playFault(fault, route.response))) return;
    const refuse = (status: number, error: string, description: string, extra: Record<string, string> = {}) =>
      sendJson(
        route.response,
        status,
        { error, error_description: description },
        { ...noStore, ...dateHeader(), ...extra },
      );
    if (!(route.request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
      return refuse(400, "invalid_request", "the body must be application/x-www-form-urlencoded");
    }
    const form = new URLSearchParams(route.body.toString("utf8"));
    const repeated = SINGLE_PARAMS.find((name) => form.getAll(name).length > 1);
    if (repeated !== undefined) return refuse(400, "invalid_request", `${repeated} appears more than once`);
    pruneJti(seenJti, now());
    const tokenEndpoint = `${route.origin}/oauth/token`;
    const client = await authenticateClient(route.request.headers.authorization, form, clients, {
      audiences: [tokenEndpoint, route.origin],
      now: now(),
      seenJti,
    });
    if (!("clientId" in client)) {
      const basicUsed = /^basic /i.test(route.request.headers.authorization ?? "");
      // RFC 6749 §5.2: a 401 to a client that used the Authorization header carries a challenge.
      const challenge = client.status === 401 && basicUsed ? { "www-authenticate": 'Basic realm="authflow"' } : {};
      return refuse(client.status, client.error, client.description, challenge);
    }
    if (form.get("grant_type") !== "client_credentials") {
      return refuse(400, "unsupported_grant_type", "only client_credentials is supported");
    }
    const scope = normaliseScope(form.get("scope"));
    const allowed = client.scopes;
    const outside = scope?.split(" ").some((item) => allowed !== undefined && !allowed.includes(item));
    if (outside === true) {
      return refuse(400, "invalid_scope", "a requested scope is not allowed for this client");
    }
    issue(route, client, scope, form);
  }

  function issue(
    route: RouteContext,
    client: OAuthClientRegistration,
    scope: string | undefined,
    form: URLSearchParams,
  ) {
    const ttl = options.tokenTtlSeconds ?? 3600;
    const accessToken = randomBytes(24).toString("base64url");
    prune(issued, now());
    issued.set(accessToken, {
      clientId: client.clientId,
      scope,
      audience: form.get("audience") ?? undefined,
      resource: form.getAll("resource"),
      expiresAt: now() + ttl * 1000,
    });
    stats.tokensIssued += 1;
    const body = { access_token: accessToken, token_type: "Bearer", expires_in: ttl, ...(scope ? { scope } : {}) };
    sendJson(route.response, 200, body, { ...noStore, ...dateHeader() });
  }

  function protectedResource(route: RouteContext): void {
    const match = /^bearer +([\x21-\x7e]+) *$/i.exec(route.request.headers.authorization ?? "");
    const record = match === null ? undefined : issued.get(match[1] as string);
    if (record === undefined || now() >= record.expiresAt) {
      stats.challenges += 1;
      const challenge = match === null ? 'Bearer realm="authflow"' : 'Bearer realm="authflow", error="invalid_token"';
      sendJson(route.response, 401, { error: "invalid_token" }, { "www-authenticate": challenge, ...dateHeader() });
      return;
    }
    const { clientId, scope, audience, resource } = record;
    sendJson(
      route.response,
      200,
      { authenticated: true, client_id: clientId, scope, audience, resource },
      dateHeader(),
    );
  }

  function metadata(route: RouteContext): void {
    sendJson(route.response, 200, {
      issuer: route.origin,
      token_endpoint: `${route.origin}/oauth/token`,
      grant_types_supported: ["client_credentials"],
      token_endpoint_auth_methods_supported: AUTH_METHODS,
      token_endpoint_auth_signing_alg_values_supported: ["HS256", "HS384", "HS512", "RS256", "PS256", "ES256", "EdDSA"],
      response_types_supported: [],
    });
  }

  function configureFaults(route: RouteContext): void {
    if (route.request.method === "DELETE") {
      faults.reset();
      sendJson(route.response, 200, { faults: "cleared" });
      return;
    }
    let plan: OAuthFaultPlan;
    try {
      plan = JSON.parse(route.body.toString("utf8") || "{}") as OAuthFaultPlan;
    } catch {
      sendJson(route.response, 400, { error: "the body must be JSON" });
      return;
    }
    const problem = faults.configure(plan);
    sendJson(
      route.response,
      problem === undefined ? 200 : 400,
      problem === undefined ? { faults: plan } : { error: problem },
    );
  }

  // Off unless asked for: anyone who reaches the server could otherwise switch its token endpoint's faults.
  const faultRoutes: Route[] =
    options.faults === true
      ? [
          {
            name: "oauth-faults",
            method: "POST",
            path: "/oauth/_faults",
            bodyLimit: FAULTS_BODY_BYTES,
            handle: configureFaults,
          },
          { name: "oauth-faults", method: "DELETE", path: "/oauth/_faults", handle: configureFaults },
        ]
      : [];
  return {
    routes: [
      { name: "oauth-token", method: "POST", path: "/oauth/token", bodyLimit: TOKEN_BODY_BYTES, handle: token },
      { name: "oauth-protected", path: "/oauth/protected", handle: protectedResource },
      { name: "oauth-metadata", method: "GET", path: "/.well-known/oauth-authorization-server", handle: metadata },
      ...faultRoutes,
    ],
    reset() {
      issued.clear();
      seenJti.clear();
      faults.reset();
    },
  };
}

/** RFC 6749 §5.1: token responses must not be cached. */
const noStore = { "cache-control": "no-store", pragma: "no-cache" };

/** Scopes as a set: deduplicated, sorted, space-separated; undefined when none. */
function normaliseScope(scope: string | null): string | undefined {
  const items = [...new Set((scope ?? "").split(" ").filter((item) => item !== ""))].sort();
  return items.length === 0 ? undefined : items.join(" ");
}

function prune(issued: Map<string, IssuedToken>, now: number): void {
  if (issued.size < 10_000) return;
  for (const [key, record] of issued) if (record.expiresAt <= now) issued.delete(key);
}

function pruneJti(seen: Map<string, number>, now: number): void {
  if (seen.size < 10_000) return;
  for (const [jti, expires] of seen) if (expires * 1000 <= now) seen.delete(jti);
}
