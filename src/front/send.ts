import type { Auth } from "../engine/auth.js";
import { type BodySource, emptyBodySource } from "../engine/body.js";
import { authorizes } from "../engine/capabilities.js";
import { requestSignal, startDeadline } from "../engine/deadline.js";
import { discard, untilAborted } from "../engine/flow.js";
import { transportRedirect } from "../engine/runtime.js";
import { InvalidCredentialsError, TimeoutError, TooManyRedirectsError } from "../errors.js";
import {
  CREDENTIAL_HEADERS,
  carriesCredentials,
  insecureTransportError,
  REDIRECT_STATUSES,
  redirectRefusalError,
  redirectVerdict,
  refusesPlainHttp,
  withoutCredentials,
} from "../policy/rules.js";
import { debug, debugEnabled, schemeName } from "../support/debug.js";
import { type Attempt, type DirectFetch, type SendPolicy, sendAttempt } from "./attempt.js";

export type { DirectFetch, SendPolicy };
/** The policy's names, where the undici adapter still imports them from. */
export { CREDENTIAL_HEADERS as DEFAULT_SENSITIVE_HEADERS, insecureTransportError };

/** One logical request, before auth and redirects. */
export interface Outgoing {
  url: URL;
  method: string;
  /** The request's headers: the send path may set a header for one call, and puts it back after. */
  headers: Headers;
  body: BodySource;
  signal?: AbortSignal | undefined;
  /**
   * The caller's other fetch options (withAuth: `dispatcher`, `integrity`,
   * `keepalive`, `priority`…), handed to every request and fetch call of the
   * chain untouched. Undefined when there are none.
   */
  extra?: RequestInit | undefined;
}

// Fetch §4.4 "request-body-header name": dropped with the body when a redirect turns a POST into a GET.
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "content-language", "content-location"];

/**
 * Sends `outgoing` with auth, following redirects by the origin rules. Not an
 * async function: without a timeout the answer is the chain's own promise (one
 * promise layer fewer per request); failures still arrive as rejections.
 */
export function send(outgoing: Outgoing, policy: SendPolicy): Promise<Response> {
  if (outgoing.url.username !== "" || outgoing.url.password !== "") {
    // Fetch refuses these too, but its error message repeats the password.
    return Promise.reject(
      new InvalidCredentialsError(
        `the URL for ${outgoing.url.origin} embeds credentials (user:pass@); pass them with the auth option instead`,
      ),
    );
  }
  if (policy.timeout > 0) return sendTimed(outgoing, policy);
  const { signal } = outgoing;
  return sendChain(signal === undefined ? outgoing : { ...outgoing, signal: requestSignal(signal, undefined) }, policy);
}

async function sendTimed(outgoing: Outgoing, policy: SendPolicy): Promise<Response> {
  const controller = new AbortController();
  const parent = outgoing.signal;
  const release = startDeadline(policy.timeout, controller, timeoutMarker);
  try {
    const signal = parent === undefined ? controller.signal : requestSignal(parent, controller.signal);
    return await sendChain({ ...outgoing, signal }, policy);
  } catch (error) {
    if (controller.signal.reason === timeoutMarker && parent?.aborted !== true) {
      throw new TimeoutError(
        `no response from ${outgoing.url.origin} within ${policy.timeout} ms; raise \`timeout\` or check the server`,
        policy.timeout,
      );
    }
    throw error;
  } finally {
    release();
  }
}

const timeoutMarker = Symbol("authflow timeout");

async function sendChain(outgoing: Outgoing, policy: SendPolicy): Promise<Response> {
  const first = outgoing.url.origin;
  const { url, method, headers, body, signal, extra } = outgoing;
  const chain: Chain = { url, method, headers, body, signal, extra, first, credentials: true };
  const redirect = transportRedirect(policy.followRedirects);
  for (let hop = 0; ; hop++) {
    const origin = hop === 0 ? first : chain.url.origin;
    // Request and fetch copy the headers they are given, so an attempt can share the chain's own.
    const sent = chain.credentials ? chain.headers : withoutCredentials(chain.headers, policy.sensitiveHeaders);
    const admitted = admittedAuth(chain, sent, origin, policy);
    const auth = admitted instanceof Promise ? await admitted : admitted;
    const attempt: Attempt = {
      url: chain.url,
      origin,
      method: chain.method,
      headers: sent,
      body: chain.body,
      hop,
      signal,
      extra,
      redirect,
    };
    const response = await sendAttempt(auth, attempt, policy);
    if (debugEnabled()) {
      const stripped = chain.credentials ? "" : ", credentials stripped";
      debug(`${chain.method} ${origin} → ${response.status} (${schemeName(auth)}, hop ${hop}${stripped})`);
    }
    const location =
      policy.followRedirects && REDIRECT_STATUSES.has(response.status) ? response.headers.get("location") : null;
    if (location === null) {
      if (!chain.body.streaming) chain.body.dispose();
      return response;
    }
    await discard(response);
    const credentialed = auth !== null || carriesCredentials(sent, policy.sensitiveHeaders);
    follow(chain, { location, status: response.status, credentialed, hop }, policy);
  }
}

/** A chain of requests as it follows redirects: the next hop's URL, method, body, and whether credentials go. */
interface Chain extends Outgoing {
  readonly first: string;
  credentials: boolean;
}

/**
 * The auth for the chain's next hop, after the plain-HTTP rule: any auth or
 * credential header to a host that is not loopback over http: is refused.
 * Synchronous unless the rule applies (no await on the usual path).
 */
function admittedAuth(
  chain: Chain,
  headers: Headers,
  origin: string,
  policy: SendPolicy,
): Auth | null | Promise<Auth | null> {
  const auth = chain.credentials ? policy.auth : null;
  if (!refusesPlainHttp(chain.url, policy.allowInsecureAuth)) return auth;
  if (auth === null) return refuseCredentialHeaders(headers, origin, policy);
  // A host-scoped auth (netrc) with nothing for this host sends nothing, so plain HTTP is fine.
  return untilAborted(authorizes(auth, chain.url), chain.signal).then((adds) =>
    adds ? Promise.reject(insecureTransportError(origin)) : refuseCredentialHeaders(headers, origin, policy),
  );
}

function refuseCredentialHeaders(headers: Headers, origin: string, policy: SendPolicy): null {
  if (carriesCredentials(headers, policy.sensitiveHeaders)) throw insecureTransportError(origin);
  return null;
}

/** A redirect answer, as {@link follow} needs it. */
interface Redirect {
  readonly location: string;
  readonly status: number;
  /** Whether the answered request carried credentials. */
  readonly credentialed: boolean;
  readonly hop: number;
}

/** Moves `chain` to the redirect's target by the policy's verdict, or throws the refusal. */
function follow(chain: Chain, { location, status, credentialed, hop }: Redirect, policy: SendPolicy): void {
  const { first } = chain;
  if (hop >= policy.maxRedirects) {
    throw new TooManyRedirectsError(
      `more than ${policy.maxRedirects} redirects starting from ${first}; raise maxRedirects if this is expected`,
    );
  }
  const verdict = redirectVerdict({
    from: chain.url,
    location,
    status,
    method: chain.method,
    credentialed,
    credentialsKept: chain.credentials,
    hasBody: hasBody(chain.method, chain.body),
    trusted: (target) => trusted(target, first, policy),
  });
  if (!verdict.follow) throw redirectRefusalError(verdict, chain.url, status);
  if (verdict.dropBody) {
    chain.body.dispose();
    chain.body = emptyBodySource();
    chain.headers = new Headers(chain.headers);
    for (const name of BODY_HEADERS) chain.headers.delete(name);
  }
  // Once stripped, credentials stay stripped for the rest of the chain (Go CVE-2024-45336).
  chain.credentials = verdict.credentials;
  chain.method = verdict.method;
  chain.url = verdict.url;
}

/** Whether `origin` may receive the credentials of a chain that started at `first`. */
function trusted(origin: string, first: string, policy: SendPolicy): boolean {
  return origin === first || policy.trustedOrigins.includes(origin);
}

function hasBody(method: string, body: BodySource): boolean {
  return method !== "GET" && method !== "HEAD" && body !== emptyBodySource();
}
