import { DPOP_ALGORITHMS } from "./dpop.js";
import type { OAuthState } from "./oauth-state.js";
import { type RouteContext, sendJson } from "./router.js";
import { countIn, type MtlsRefusalReason } from "./stats.js";
import { peerCertificate } from "./tls.js";
import type { IssuedToken } from "./tokens.js";

/**
 * What a protected route asks of the token it is shown.
 *
 * @example
 * ```ts
 * const requirement: AccessRequirement = { binding: "dpop", resource: `${origin}/resource/data` };
 * ```
 */
export interface AccessRequirement {
  /** `"any"`: a bearer token, or a bound one with its proof; `"dpop"`/`"mtls"`: only tokens bound that way. */
  readonly binding: "any" | "dpop" | "mtls";
  /** The RFC 8707 resource the token must have been issued for. */
  readonly resource?: string;
  /** Named in every challenge as `resource_metadata` (RFC 9728 §5.1). */
  readonly resourceMetadata?: string;
  /** The scheme to challenge a request without a token with (default `DPoP` for `binding: "dpop"`, else `Bearer`). */
  readonly scheme?: "Bearer" | "DPoP";
}

/**
 * A token that passed, with the headers every answer to it carries (a fresh
 * `DPoP-Nonce`, a skewed `Date`); or a refusal already sent.
 *
 * @example
 * ```ts
 * const access = await checkAccess(route, oauth, { binding: "any" });
 * if (access.ok) sendJson(route.response, 200, describe(access.record), access.headers);
 * ```
 */
export type Access =
  | { readonly ok: true; readonly record: IssuedToken; readonly headers: Record<string, string> }
  | { readonly ok: false };

interface Refusal {
  readonly scheme: "Bearer" | "DPoP";
  readonly error?: string;
  readonly description?: string;
}

/**
 * Checks the access token of a request to a protected route and answers 401
 * itself when it does not pass: no token; unknown or expired (RFC 6750 §3.1
 * `invalid_token`); a DPoP-bound token sent as `Bearer` or a plain one sent as
 * `DPoP` (RFC 9449 §7.1); not bound the way the route needs; not issued for
 * the route's resource (RFC 8707); a DPoP proof that fails (`invalid_dpop_proof`,
 * `use_dpop_nonce` with `DPoP-Nonce`) or was made with another key; a
 * certificate-bound token without that very certificate on the connection
 * (RFC 8705 §3). A bound token never passes without its proof, on any route.
 *
 * @example
 * ```ts
 * const access = await checkAccess(route, oauth, { binding: "mtls" });
 * if (!access.ok) return;
 * ```
 */
export async function checkAccess(
  route: RouteContext,
  oauth: OAuthState,
  requirement: AccessRequirement,
): Promise<Access> {
  const presented = /^(bearer|dpop) +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(route.request.headers.authorization ?? "");
  const usedDpop = presented?.[1]?.toLowerCase() === "dpop";
  const defaultScheme = requirement.scheme ?? (requirement.binding === "dpop" ? "DPoP" : "Bearer");
  const refuse = (refusal: Refusal): Access => {
    const nonce = refusal.scheme === "DPoP" || usedDpop ? oauth.dpop.nonceHeaders() : {};
    sendChallenge(route, { ...nonce, ...oauth.dateHeader() }, refusal, requirement.resourceMetadata);
    return { ok: false };
  };
  if (presented === null) return refuse({ scheme: defaultScheme });
  const token = presented[2] as string;
  const record = oauth.tokens.get(token, oauth.now());
  const scheme = usedDpop ? "DPoP" : defaultScheme;
  if (record === undefined) return refuse(invalidToken(scheme, "the token is unknown or expired: get a new one"));
  const problem = bindingProblem(record, usedDpop, requirement);
  if (problem !== undefined) {
    if (problem.dpop !== undefined) oauth.dpop.refuse(problem.dpop);
    if (problem.mtls !== undefined) countIn(route.stats.mtls.refusals, problem.mtls);
    return refuse(invalidToken(problem.scheme, problem.description));
  }
  if (record.cnf?.jkt !== undefined) {
    const refusal = await checkProof(route, oauth, token, record.cnf.jkt);
    if (refusal !== undefined) return refuse(refusal);
  }
  const certificateProblem = checkCertificate(route, record);
  if (certificateProblem !== undefined) return refuse(invalidToken(scheme, certificateProblem));
  const nonce = usedDpop ? oauth.dpop.nonceHeaders() : {};
  return { ok: true, record, headers: { ...nonce, ...oauth.dateHeader() } };
}

interface BindingProblem {
  readonly scheme: "Bearer" | "DPoP";
  readonly description: string;
  readonly dpop?: "bearer-scheme" | "not-dpop-bound";
  readonly mtls?: MtlsRefusalReason;
}

/** The scheme must match the token's DPoP binding; the route may need a binding; the audience must fit. */
function bindingProblem(
  record: IssuedToken,
  usedDpop: boolean,
  requirement: AccessRequirement,
): BindingProblem | undefined {
  const dpopBound = record.cnf?.jkt !== undefined;
  if (dpopBound && !usedDpop) {
    const description = "this token is DPoP-bound: send it as Authorization: DPoP with a proof (RFC 9449 §7.1)";
    return { scheme: "DPoP", description, dpop: "bearer-scheme" };
  }
  if (!dpopBound && (usedDpop || requirement.binding === "dpop")) {
    const description = "this route needs a DPoP-bound token (request it with a DPoP proof)";
    return { scheme: "DPoP", description, dpop: "not-dpop-bound" };
  }
  if (requirement.binding === "mtls" && record.cnf?.["x5t#S256"] === undefined) {
    const description =
      "this route needs a certificate-bound token (RFC 8705 §3): authenticate with a TLS client certificate";
    return { scheme: "Bearer", description, mtls: "not-bound" };
  }
  if (requirement.resource !== undefined && !record.resource.includes(requirement.resource)) {
    const description = `the token was not issued for this resource: request it with resource=${requirement.resource}`;
    return { scheme: usedDpop ? "DPoP" : "Bearer", description };
  }
  return undefined;
}

async function checkProof(
  route: RouteContext,
  oauth: OAuthState,
  token: string,
  jkt: string,
): Promise<Refusal | undefined> {
  const { request, url, origin, publicOrigin } = route;
  const targets = [...new Set([`${publicOrigin}${url.pathname}`, `${origin}${url.pathname}`])];
  const verdict = await oauth.dpop.check({
    proofs: request.headersDistinct.dpop,
    method: request.method ?? "GET",
    targets,
    accessToken: token,
  });
  if (!verdict.ok) return { scheme: "DPoP", error: verdict.error, description: verdict.description };
  if (verdict.jkt === jkt) return undefined;
  oauth.dpop.refuse("key-mismatch");
  return invalidToken("DPoP", "the proof is signed with a key other than the one the token is bound to (cnf.jkt)");
}

/** RFC 8705 §3: a certificate-bound token passes only with the very certificate on this connection. */
function checkCertificate(route: RouteContext, record: IssuedToken): string | undefined {
  const bound = record.cnf?.["x5t#S256"];
  if (bound === undefined) return undefined;
  const certificate = peerCertificate(route.request);
  if (certificate === undefined) {
    countIn(route.stats.mtls.refusals, "no-certificate");
    return "this token is certificate-bound: present its client certificate over TLS (RFC 8705 §3)";
  }
  route.stats.mtls.certificatesPresented += 1;
  if (certificate.thumbprint === bound) return undefined;
  countIn(route.stats.mtls.refusals, "binding");
  return "the client certificate is not the one the token is bound to (cnf.x5t#S256, RFC 8705 §3)";
}

function invalidToken(scheme: "Bearer" | "DPoP", description: string): Refusal {
  return { scheme, error: "invalid_token", description };
}

function sendChallenge(
  route: RouteContext,
  headers: Record<string, string>,
  refusal: Refusal,
  metadata: string | undefined,
): void {
  const params: string[] = refusal.scheme === "DPoP" ? [`algs="${DPOP_ALGORITHMS.join(" ")}"`] : ['realm="authflow"'];
  if (refusal.error !== undefined) params.push(`error="${refusal.error}"`);
  if (refusal.description !== undefined) params.push(`error_description="${quotable(refusal.description)}"`);
  if (metadata !== undefined) params.push(`resource_metadata="${quotable(metadata)}"`);
  route.stats.challenges += 1;
  const body =
    refusal.error === undefined
      ? { error: "unauthorized" }
      : { error: refusal.error, error_description: refusal.description };
  sendJson(route.response, 401, body, { "www-authenticate": `${refusal.scheme} ${params.join(", ")}`, ...headers });
}

/** RFC 6750 §3: error_description is NQSCHAR — no `"` or `\`. */
function quotable(text: string): string {
  return text.replace(/["\\]/g, "'");
}
