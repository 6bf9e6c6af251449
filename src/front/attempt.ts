/**
 * One request of a chain, with or without auth: built, admitted past the
 * bad-credential guard, sent (the direct path when the scheme offers it,
 * else the auth flow), every wait bounded by the request's signal.
 */
import type { Auth, AuthFlow } from "../engine/auth.js";
import type { BodySource } from "../engine/body.js";
import {
  type AcknowledgingAuth,
  acknowledge,
  answersChallenges,
  authorizationFor,
  credentialIdentity,
  hasFastPath,
} from "../engine/capabilities.js";
import { discard, type FetchLike, runAuthFlow, untilAborted } from "../engine/flow.js";
import { inBrowser } from "../engine/runtime.js";
import type { RejectionGuard } from "../guard/guard.js";
import { headerIdentity } from "../guard/identity.js";
import { carriesCredentials } from "../policy/rules.js";
import { debug, debugEnabled, schemeName } from "../support/debug.js";

/** Everything that governs how a request (`Outgoing` in send.ts) is sent. */
export interface SendPolicy {
  readonly fetch: FetchLike;
  readonly auth: Auth | null;
  /** Origins besides the first hop's that may receive credentials. */
  readonly trustedOrigins: readonly string[];
  readonly followRedirects: boolean;
  readonly maxRedirects: number;
  readonly allowInsecureAuth: boolean;
  readonly maxFlowSteps: number;
  /** Milliseconds until the final response's headers, or 0 for none. */
  readonly timeout: number;
  /** Lower-case names of the headers that carry credentials (stripped on untrusted hops). */
  readonly sensitiveHeaders: ReadonlySet<string>;
  /** The bad-credential guard, or null when turned off. */
  readonly guard: RejectionGuard | null;
  /**
   * Set only when `fetch` is known to be the platform's own fetch: then a
   * scheme with a synchronous header (Basic, Bearer, a cached Digest
   * challenge, a cached OAuth token) is sent as `direct(url, init)`, without
   * the `Request` that fetch would copy again, and the auth flow runs only
   * when that answer is a 401 (the flow's first request is answered with it:
   * no extra round trip).
   */
  readonly direct?: DirectFetch | undefined;
  /**
   * Client's rule for a transport that gave no answer (`nameNetworkError` in
   * network-error.ts); withAuth leaves it out and keeps fetch's own error, as
   * a drop-in must.
   */
  readonly nameNetworkError?: (error: unknown, attempt: Attempt, platformFetch: boolean) => unknown;
}

/** `fetch`'s (url, init) form. */
export type DirectFetch = (url: string, init: RequestInit) => Promise<Response>;

/** One request of a chain, before auth. */
export interface Attempt {
  readonly url: URL;
  /** `url.origin`, serialised once. */
  readonly origin: string;
  readonly method: string;
  /** Shared with the chain and never written to (Request and fetch copy what they are given). */
  readonly headers: Headers;
  readonly body: BodySource;
  readonly hop: number;
  readonly signal: AbortSignal | undefined;
  readonly extra: RequestInit | undefined;
  /** `manual`, except in a browser following redirects (src/engine/runtime.ts). */
  readonly redirect: RequestRedirect;
}

/** The first hop sends the body as given; later hops (307/308) replay it (a wait the signal ends). */
function bodyOf(attempt: Attempt): BodyInit | null | Promise<BodyInit | null> {
  return attempt.hop === 0 ? attempt.body.first() : untilAborted(attempt.body.replay(), attempt.signal);
}

async function requestFor(attempt: Attempt, auth: Auth | null): Promise<Request> {
  return new Request(attempt.url, {
    ...(attempt.extra === undefined ? {} : attempt.extra),
    method: attempt.method,
    headers: attempt.headers,
    body: await bodyOf(attempt),
    redirect: attempt.redirect,
    ...(attempt.signal === undefined ? {} : { signal: attempt.signal }),
    ...(attempt.body.streaming ? { duplex: "half" } : {}),
    ...(omitsCredentials(auth, attempt) ? { credentials: "omit" } : {}),
  } as RequestInit);
}

/**
 * In a browser, a request answering Basic or Digest challenges goes without the
 * browser's own credentials, unless the caller chose a mode: else a 401 opens
 * the browser's login prompt and never reaches the flow (src/engine/runtime.ts).
 */
function omitsCredentials(auth: Auth | null, attempt: Attempt): boolean {
  return inBrowser && auth !== null && answersChallenges(auth) && attempt.extra?.credentials === undefined;
}

/**
 * A request without auth. The platform's fetch ends on the signal itself; a
 * fetch of the caller's may not, so its answer is raced against the signal.
 */
async function unauthenticated(attempt: Attempt, policy: SendPolicy): Promise<Response> {
  if (policy.guard !== null && carriesCredentials(attempt.headers, policy.sensitiveHeaders)) {
    return authenticated(new HandSetCredentials(attempt.headers, policy.sensitiveHeaders), attempt, policy);
  }
  const { direct } = policy;
  if (direct !== undefined && !attempt.body.streaming) return plainDirect(direct, attempt, policy);
  return flowTransport(policy, attempt)(await requestFor(attempt, null));
}

/** A request without credentials on the platform's fetch: `fetch(url, init)`, no `Request` built first. */
function plainDirect(direct: DirectFetch, attempt: Attempt, policy: SendPolicy): Promise<Response> {
  const { extra, method, headers, redirect } = attempt;
  const body = attempt.body.first();
  const init: RequestInit =
    extra === undefined ? { method, headers, body, redirect } : { ...extra, method, headers, body, redirect };
  if (attempt.signal !== undefined) init.signal = attempt.signal;
  return direct(attempt.url.href, init).catch((error: unknown) => {
    throw policy.nameNetworkError === undefined ? error : policy.nameNetworkError(error, attempt, true);
  });
}

/**
 * Credential headers set by hand (`Authorization`, `Cookie`, `X-Api-Key`…),
 * as the bad-credential guard counts them: the same values are the same
 * credentials, whoever set them, so a wrong key sent by hand is throttled
 * like a wrong password.
 */
class HandSetCredentials implements Auth {
  readonly #identity: string;

  constructor(headers: Headers, names: ReadonlySet<string>) {
    const present: [string, string][] = [];
    for (const name of names) {
      const value = headers.get(name);
      if (value !== null) present.push([name, value]);
    }
    this.#identity = headerIdentity(present);
  }

  [credentialIdentity](): string {
    return this.#identity;
  }

  *authFlow(request: Request): AuthFlow {
    yield request;
  }
}

/**
 * The transport for one attempt: the caller's fetch, handed the caller's own
 * options as `init`, its answer raced against the signal (the platform's
 * fetch ends on the signal itself).
 */
function flowTransport(policy: SendPolicy, attempt: Attempt): FetchLike {
  const { signal, extra } = attempt;
  const fetch = extra === undefined ? policy.fetch : (request: Request) => policy.fetch(request, extra);
  const name = policy.nameNetworkError;
  const named: FetchLike =
    name !== undefined
      ? (request) =>
          fetch(request).catch((error: unknown) => {
            throw name(error, attempt, policy.direct !== undefined);
          })
      : fetch;
  return policy.direct !== undefined || signal === undefined
    ? named
    : (request) => untilAborted(named(request), signal, discard);
}

async function authenticated(auth: Auth, attempt: Attempt, policy: SendPolicy): Promise<Response> {
  const { guard } = policy;
  const { origin, signal } = attempt;
  const entered = guard === null ? false : guard.enter(auth, origin, signal);
  // A turn granted after the abort is handed straight back: a stuck attempt never keeps the slot.
  const ticket =
    typeof entered === "boolean"
      ? entered
      : await untilAborted(entered, signal, (late) => guard?.abandon(auth, origin, late));
  let response: Response;
  try {
    response = await (sentDirectly(auth, attempt, policy) ??
      runAuthFlow(auth, await requestFor(attempt, auth), attempt.body, flowTransport(policy, attempt), policy, signal));
  } catch (error) {
    guard?.abandon(auth, origin, ticket);
    if (debugEnabled())
      debug(`${attempt.method} ${origin} failed: ${(error as Error)?.name ?? "error"} (${schemeName(auth)})`);
    throw error;
  }
  guard?.record(auth, origin, response, ticket);
  return response;
}

/**
 * The direct path, when it applies: the header computed synchronously, one
 * `fetch(url, init)`, and the auth flow only if that answer is a 401.
 * Undefined when it does not apply (the caller runs the flow).
 */
function sentDirectly(auth: Auth, attempt: Attempt, policy: SendPolicy): Promise<Response> | undefined {
  const { direct } = policy;
  if (direct === undefined || attempt.body.streaming || !hasFastPath(auth)) return undefined;
  const header = auth[authorizationFor](attempt.method, attempt.url);
  if (header === undefined) return undefined;
  const { headers } = attempt;
  // A body that is not a stream is the same value on every hop.
  const { extra } = attempt;
  const body = attempt.body.first();
  // The caller's own fields go under authflow's; without any, a plain literal (no spread on the hot path).
  const init: RequestInit =
    extra === undefined
      ? { method: attempt.method, body, redirect: attempt.redirect }
      : { ...extra, method: attempt.method, body, redirect: attempt.redirect };
  if (attempt.signal !== undefined) init.signal = attempt.signal;
  if (omitsCredentials(auth, attempt)) init.credentials = "omit";
  if (headers.keys().next().done === true) {
    // No other header: a plain object is the cheapest thing to hand fetch.
    init.headers = { authorization: header };
  } else {
    // A copy: the chain's headers are never written to (instrumentation may read them later).
    const sent = new Headers(headers);
    sent.set("authorization", header);
    init.headers = sent;
  }
  return direct(attempt.url.href, init).then(
    (response) => {
      if (response.status === 401) return afterChallenge(auth, attempt, policy, response, header);
      if (acknowledge in auth) acknowledged(auth, attempt.url.href, header, response);
      return response;
    },
    (error: unknown) => {
      throw policy.nameNetworkError === undefined ? error : policy.nameNetworkError(error, attempt, true);
    },
  );
}

/** Hands a direct answer's `Authentication-Info` to an Auth that learns from it (Digest's `nextnonce`). */
function acknowledged(auth: Auth, url: string, header: string, response: Response): void {
  const info = response.headers.get("authentication-info");
  if (info !== null) (auth as Auth & AcknowledgingAuth)[acknowledge](url, header, info);
}

/**
 * The flow decides what a direct 401 means (a stale nonce, a revoked token, a
 * wrong password): its first request is answered with the 401 already in
 * hand, and shows the header that really went out (the flow may have picked a
 * newer token meanwhile); its later requests go out as usual.
 */
async function afterChallenge(
  auth: Auth,
  attempt: Attempt,
  policy: SendPolicy,
  answer: Response,
  header: string,
): Promise<Response> {
  let captured: Response | undefined = answer;
  const sendOn = flowTransport(policy, attempt);
  const transport: FetchLike = (request) => {
    if (captured === undefined) return sendOn(request);
    const response = captured;
    captured = undefined;
    request.headers.set("authorization", header);
    return Promise.resolve(response);
  };
  const replayed: Attempt = { ...attempt, hop: 1 };
  try {
    return await runAuthFlow(auth, await requestFor(replayed, auth), attempt.body, transport, policy, attempt.signal);
  } finally {
    if (captured !== undefined) void discard(captured);
  }
}

/** Sends one attempt: through the auth flow (and the guard) when `auth` is set, else as it is. */
export function sendAttempt(auth: Auth | null, attempt: Attempt, policy: SendPolicy): Promise<Response> {
  return auth === null ? unauthenticated(attempt, policy) : authenticated(auth, attempt, policy);
}
