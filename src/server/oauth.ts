import { DPOP_ALGORITHMS } from "./dpop.js";
import { authenticateClient, defaultClients, mtlsTestClients, type OAuthClientRegistration } from "./oauth-clients.js";
import { type OAuthFaultPlan, OAuthFaults, playFault } from "./oauth-faults.js";
import type { Route, RouteContext, RouteFamily, ServerContext } from "./router.js";
import { sendJson } from "./router.js";
import { countIn, type MtlsRefusalReason } from "./stats.js";
import { type PeerCertificate, peerCertificate } from "./tls.js";
import type { TokenBinding } from "./tokens.js";

export type { OAuthClientRegistration, TestClientAuthMethod } from "./oauth-clients.js";
export { defaultClients, mtlsTestClients, TEST_CLIENT_PRIVATE_JWK } from "./oauth-clients.js";
export type { OAuthFaultKind, OAuthFaultPlan } from "./oauth-faults.js";

/** Parameters that may appear at most once (RFC 6749 §3.2). */
const SINGLE_PARAMS = ["grant_type", "scope", "audience", "client_id", "client_secret", "client_assertion"];
const AUTH_METHODS = ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"];
const TLS_AUTH_METHODS = ["tls_client_auth", "self_signed_tls_client_auth"];
/** A token request's form: a few parameters and at most one signed assertion (an RS256 JWT with a 4096-bit key is about 1 KiB). */
export const TOKEN_BODY_BYTES = 16 * 1024;
/** A fault plan is a small JSON object. */
export const FAULTS_BODY_BYTES = 4 * 1024;

/**
 * The OAuth 2.0 authorization server routes of the test server:
 * - `POST /oauth/token` — client credentials grant (RFC 6749 §4.4) for the
 *   registered `clients` (default {@link defaultClients}, plus
 *   {@link mtlsTestClients} with `tls.requestCert`), every client
 *   authentication method checked strictly, RFC 8705 mutual TLS included;
 *   `resource=` (RFC 8707) must be absolute URIs and becomes the token's
 *   audience; a valid `DPoP` proof (RFC 9449) makes a DPoP-bound token
 *   (`token_type: "DPoP"`), a mutual-TLS client a certificate-bound one;
 *   tokens live `tokenTtlSeconds`;
 * - `GET /.well-known/oauth-authorization-server` — RFC 8414 metadata, with
 *   `dpop_signing_alg_values_supported`, and with `tls.requestCert`
 *   `tls_client_certificate_bound_access_tokens` and `mtls_endpoint_aliases`;
 * - `POST /oauth/_faults`, `DELETE /oauth/_faults` — fault injection
 *   ({@link OAuthFaultPlan}), only with `faults: true` (else 404).
 *
 * The protected routes that check these tokens are in `protected.ts` and `resource.ts`.
 * Bodies: the token endpoint reads at most {@link TOKEN_BODY_BYTES}, the
 * fault route {@link FAULTS_BODY_BYTES}; the other routes discard theirs.
 *
 * @example
 * ```ts
 * const families = [httpbinRoutes(context), oauthRoutes(context)];
 * ```
 */
export function oauthRoutes(context: ServerContext): RouteFamily {
  const { options, stats, oauth } = context;
  const mutualTls = options.tls?.requestCert === true;
  const clients = options.clients ?? (mutualTls ? [...defaultClients(), ...mtlsTestClients()] : defaultClients());
  const seenJti = new Map<string, number>();
  const faults = new OAuthFaults();
  const { now } = oauth;

  async function token(route: RouteContext): Promise<void> {
    stats.tokenRequests += 1;
    const fault = faults.take();
    if (fault !== undefined && (await playFault(fault, route.response))) return;
    const usedDpop = route.request.headersDistinct.dpop !== undefined;
    // Every answer to a DPoP request carries the nonce to use next (RFC 9449 §8).
    const headers = { ...noStore, ...oauth.dateHeader(), ...(usedDpop ? oauth.dpop.nonceHeaders() : {}) };
    const outcome = await grant(route, usedDpop);
    if ("error" in outcome) {
      const body = { error: outcome.error, error_description: outcome.description };
      sendJson(route.response, outcome.status, body, { ...headers, ...outcome.extra });
      return;
    }
    issue(route, outcome, headers);
  }

  /** The checks of a token request, in order; the first that fails is the answer. */
  async function grant(route: RouteContext, usedDpop: boolean): Promise<Grant | TokenRefusal> {
    const form = readForm(route);
    if ("error" in form) return form;
    let jkt: string | undefined;
    if (usedDpop) {
      const verdict = await oauth.dpop.check({
        proofs: route.request.headersDistinct.dpop,
        method: "POST",
        targets: [...new Set([`${route.publicOrigin}/oauth/token`, `${route.origin}/oauth/token`])],
      });
      if (!verdict.ok) return refusal(400, verdict.error, verdict.description);
      jkt = verdict.jkt;
    }
    const certificate = peerCertificate(route.request);
    if (certificate !== undefined) stats.mtls.certificatesPresented += 1;
    const client = await authenticate(route, form, certificate);
    if ("error" in client) return client;
    const scope = checkGrant(client, form);
    if (typeof scope === "object") return scope;
    const cnf = binding(jkt, TLS_AUTH_METHODS.includes(client.authMethod) ? certificate : undefined);
    return { client, scope, form, cnf };
  }

  async function authenticate(
    route: RouteContext,
    form: URLSearchParams,
    certificate: PeerCertificate | undefined,
  ): Promise<OAuthClientRegistration | TokenRefusal> {
    pruneJti(seenJti, now());
    const client = await authenticateClient(route.request.headers.authorization, form, clients, {
      audiences: [`${route.origin}/oauth/token`, route.origin],
      now: now(),
      seenJti,
      certificate,
    });
    if ("clientId" in client) {
      countIn(stats.tokenRequestsByAuthMethod, client.authMethod);
      return client;
    }
    if ("reason" in client) countIn(stats.mtls.refusals, client.reason as MtlsRefusalReason);
    const basicUsed = /^basic /i.test(route.request.headers.authorization ?? "");
    // RFC 6749 §5.2: a 401 to a client that used the Authorization header carries a challenge.
    const challenge = client.status === 401 && basicUsed ? { "www-authenticate": 'Basic realm="authflow"' } : {};
    return refusal(client.status, client.error, client.description, challenge);
  }

  function issue(route: RouteContext, grant: Grant, headers: Record<string, string>) {
    const { client, scope, form, cnf } = grant;
    const ttl = options.tokenTtlSeconds ?? 3600;
    const tokenType = cnf?.jkt === undefined ? "Bearer" : "DPoP";
    const record = {
      clientId: client.clientId,
      scope,
      audience: form.get("audience") ?? undefined,
      resource: form.getAll("resource"),
      tokenType,
      cnf,
      expiresAt: now() + ttl * 1000,
    } as const;
    const accessToken = oauth.tokens.issue(record, now());
    stats.tokensIssued += 1;
    countBinding(cnf);
    const body = { access_token: accessToken, token_type: tokenType, expires_in: ttl, ...(scope ? { scope } : {}) };
    sendJson(route.response, 200, body, headers);
  }

  function countBinding(cnf: TokenBinding | undefined): void {
    const counts = stats.tokensIssuedByBinding;
    if (cnf === undefined) counts.bearer += 1;
    if (cnf?.jkt !== undefined) counts.dpop += 1;
    if (cnf?.["x5t#S256"] !== undefined) counts.mtls += 1;
  }

  function metadata(route: RouteContext): void {
    stats.metadataFetches.authorizationServer += 1;
    const tokenEndpoint = `${route.origin}/oauth/token`;
    const mtls = mutualTls
      ? { tls_client_certificate_bound_access_tokens: true, mtls_endpoint_aliases: { token_endpoint: tokenEndpoint } }
      : {};
    sendJson(route.response, 200, {
      issuer: route.origin,
      token_endpoint: tokenEndpoint,
      grant_types_supported: ["client_credentials"],
      token_endpoint_auth_methods_supported: mutualTls ? [...AUTH_METHODS, ...TLS_AUTH_METHODS] : AUTH_METHODS,
      token_endpoint_auth_signing_alg_values_supported: ["HS256", "HS384", "HS512", "RS256", "PS256", "ES256", "EdDSA"],
      dpop_signing_alg_values_supported: DPOP_ALGORITHMS,
      response_types_supported: [],
      ...mtls,
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
      { name: "oauth-metadata", method: "GET", path: "/.well-known/oauth-authorization-server", handle: metadata },
      ...faultRoutes,
    ],
    reset() {
      seenJti.clear();
      faults.reset();
    },
  };
}

/** A token request that passed every check. */
interface Grant {
  readonly client: OAuthClientRegistration;
  readonly scope: string | undefined;
  readonly form: URLSearchParams;
  readonly cnf: TokenBinding | undefined;
}

/** An RFC 6749 §5.2 error answer of the token endpoint. */
interface TokenRefusal {
  readonly status: number;
  readonly error: string;
  readonly description: string;
  readonly extra: Record<string, string>;
}

function refusal(status: number, error: string, description: string, extra: Record<string, string> = {}): TokenRefusal {
  return { status, error, description, extra };
}

/** The form, once its media type, repeated parameters and resource indicators pass. */
function readForm(route: RouteContext): URLSearchParams | TokenRefusal {
  if (!(route.request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
    return refusal(400, "invalid_request", "the body must be application/x-www-form-urlencoded");
  }
  const form = new URLSearchParams(route.body.toString("utf8"));
  const repeated = SINGLE_PARAMS.find((name) => form.getAll(name).length > 1);
  if (repeated !== undefined) return refusal(400, "invalid_request", `${repeated} appears more than once`);
  if (form.getAll("resource").some((resource) => !isResourceIndicator(resource))) {
    return refusal(400, "invalid_target", "resource must be an absolute URI without a fragment (RFC 8707 §2)");
  }
  return form;
}

/** The grant type and the scopes; the normalised scope when they pass. */
function checkGrant(client: OAuthClientRegistration, form: URLSearchParams): string | undefined | TokenRefusal {
  if (form.get("grant_type") !== "client_credentials") {
    return refusal(400, "unsupported_grant_type", "only client_credentials is supported");
  }
  const scope = normaliseScope(form.get("scope"));
  const allowed = client.scopes;
  const outside = scope?.split(" ").some((item) => allowed !== undefined && !allowed.includes(item));
  return outside === true ? refusal(400, "invalid_scope", "a requested scope is not allowed for this client") : scope;
}

/** RFC 6749 §5.1: token responses must not be cached. */
const noStore = { "cache-control": "no-store", pragma: "no-cache" };

/** Scopes as a set: deduplicated, sorted, space-separated; undefined when none. */
function normaliseScope(scope: string | null): string | undefined {
  const items = [...new Set((scope ?? "").split(" ").filter((item) => item !== ""))].sort();
  return items.length === 0 ? undefined : items.join(" ");
}

/** The token's `cnf`: the DPoP key's thumbprint and/or, for a mutual-TLS client, its certificate's (RFC 8705 §3). */
function binding(jkt: string | undefined, certificate: PeerCertificate | undefined): TokenBinding | undefined {
  if (jkt === undefined && certificate === undefined) return undefined;
  return {
    ...(jkt === undefined ? {} : { jkt }),
    ...(certificate === undefined ? {} : { "x5t#S256": certificate.thumbprint }),
  };
}

/** RFC 8707 §2: an absolute URI with no fragment. */
function isResourceIndicator(value: string): boolean {
  return !value.includes("#") && URL.canParse(value);
}

function pruneJti(seen: Map<string, number>, now: number): void {
  if (seen.size < 10_000) return;
  for (const [jti, expires] of seen) if (expires * 1000 <= now) seen.delete(jti);
}
