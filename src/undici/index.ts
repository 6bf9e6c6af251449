/**
 * `authflow/undici`: authflow inside undici (Node). `authInterceptor(auth)`
 * authenticates every request of a dispatcher by the rules of `Client`;
 * `proxyAgent` and `tlsAgent` make dispatchers for proxies and private CAs or
 * client certificates. Uses the application's own undici (7 or 8).
 *
 * @example
 * ```ts
 * import { Agent } from "undici";
 * import { authInterceptor } from "authflow/undici";
 * const agent = new Agent().compose(authInterceptor(["user", "pass"], { origins: ["https://api.example.com"] }));
 * ```
 *
 * @module authflow/undici
 */
import type { Dispatcher } from "undici";
import type { AuthLike } from "../engine/auth.js";
import { bodySource } from "../engine/body.js";
import { authorizationFor, authorizes, mayAuthorize } from "../engine/capabilities.js";
import { untilAborted } from "../engine/flow.js";
import type { GuardTicket } from "../guard/guard.js";
import { insecureTransportError } from "../policy/rules.js";
import { asError, ChainController } from "./chain.js";
import { Exchange } from "./exchange.js";
import { FastAttempt, type FastJob, LegacyFastAttempt, speaksLegacy } from "./fast.js";
import { type FlowJob, isStreamBody, runGeneral, streamChunks } from "./flow.js";
import { hasAnyHeader, pathWithQuery, withAuthorization, withoutHeaders } from "./headers.js";
import { CheckedHop, chainStanding, type Follower, followerOf } from "./redirect.js";
import { type AuthInterceptorOptions, type InterceptorState, resolveState, type Site, siteOf } from "./state.js";

export type { ProxyAgentOptions } from "./proxy-agent.js";
export { proxyAgent } from "./proxy-agent.js";
export type { AuthInterceptorOptions } from "./state.js";
export { tlsAgent } from "./tls.js";

type DispatchBody = Exclude<Dispatcher.DispatchOptions["body"], undefined>;
/** One call of the interceptor: where to send, what, and whom to tell. */
type Call = Pick<FlowJob, "dispatch" | "options" | "handler">;

/**
 * Handed to fast-path methods that declare no parameters (Basic, a static
 * Bearer token): they ignore the URL, and parsing one per request is
 * measurable at undici's speed.
 */
const UNUSED_URL = new URL("http://authflow.invalid/");

/**
 * An undici interceptor that authenticates every request of a dispatcher
 * with `auth`, by the same rules as {@link authflow!Client}: credentials are refused
 * over plain `http:` to anything but loopback (`InsecureTransportError`,
 * before any connection), request bodies are replayed after a challenge
 * (strings and bytes always; streams up to `maxReplayBytes`, else
 * `BodyNotReplayableError`), and the bad-credential guard applies.
 *
 * Preemptive schemes — Basic, a static Bearer token, Digest with a cached
 * challenge, a cached OAuth token — take the fast path: one header added to
 * the dispatch, nothing else. A 401 there, and every other scheme, runs the
 * full auth flow over the next dispatcher.
 *
 * Redirects: compose undici's redirect interceptor *after* this one, so it
 * runs outside and every hop passes through here. Credentials are then bound
 * to the origin of a chain's first request (plus `origins`); on other hops,
 * the sensitive headers are stripped. With `origins` unset, any origin may
 * start a chain.
 *
 * @example
 * ```ts
 * import { Agent, interceptors, request, setGlobalDispatcher } from "undici";
 * import { BasicAuth } from "authflow";
 * import { authInterceptor } from "authflow/undici";
 *
 * const agent = new Agent().compose(
 *   authInterceptor(new BasicAuth("user", "pass"), { origins: ["https://api.example.com"] }),
 *   interceptors.redirect({ maxRedirections: 5 }),
 * );
 * const { statusCode } = await request("https://api.example.com/private", { dispatcher: agent });
 * setGlobalDispatcher(agent); // global fetch() authenticates too
 * ```
 */
export function authInterceptor(
  auth: AuthLike,
  options: AuthInterceptorOptions = {},
): Dispatcher.DispatcherComposeInterceptor {
  const state = resolveState(auth, options);
  return (dispatch) =>
    function authenticate(dispatchOptions: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      return intercept(state, { dispatch, options: dispatchOptions, handler });
    };
}

/** Decides whether a request gets credentials, then admits it past the bad-credential guard. */
function intercept(state: InterceptorState, call: Call): boolean {
  const { dispatch, options, handler } = call;
  const site = siteOf(state, options.origin);
  if (site === undefined) return dispatch(options, handler);
  const follower = followerOf(handler);
  if (follower !== undefined && chainStanding(follower, site, state.origins) === "foreign") {
    const stripped = { ...options, headers: withoutHeaders(options.headers, state.credentials) };
    const hop = { follower, url: site.origin + pathWithQuery(options.path, options.query), options };
    return dispatch(stripped, new CheckedHop(hop, handler, state.origins));
  }
  if (!site.configured) return dispatch(options, handler);
  if (site.plainHttp) return plainHttp(state, call, site);
  let entered: GuardTicket | Promise<GuardTicket> = false;
  try {
    entered = state.guard?.enter(state.auth, site.origin, signalOf(options)) ?? false;
  } catch (error) {
    return fail(handler, asError(error));
  }
  if (typeof entered === "boolean") return authenticate(state, call, site, { ticket: entered, follower });
  // Credentials not yet accepted here go one at a time (the guard's rule). The caller holds the
  // exchange meanwhile, so that its abort settles the request at once.
  const chain = new ChainController(handler);
  chain.start({});
  entered.then(
    (ticket) => {
      if (chain.aborted) state.guard?.abandon(state.auth, site.origin, ticket);
      else authenticate(state, call, site, { ticket, follower, chain });
    },
    (error: unknown) => chain.abort(asError(error)),
  );
  return true;
}

/**
 * Plain HTTP to a host that is not loopback: refused when the auth would add
 * credentials, or the caller set any credential header by hand (one set of
 * credential headers for every rule). A host-scoped auth (netrc) with nothing
 * for this host sends nothing: the request then goes out as it is.
 */
function plainHttp(state: InterceptorState, call: Call, site: Site): boolean {
  const { dispatch, options, handler } = call;
  if (!(mayAuthorize in state.auth) || hasAnyHeader(options.headers, state.credentials)) {
    return fail(handler, insecureTransportError(site.origin));
  }
  const chain = new ChainController(handler);
  chain.start({});
  untilAborted(authorizes(state.auth, new URL(site.origin)), chain.signal).then(
    (adds) => {
      if (adds) chain.abort(insecureTransportError(site.origin));
      else sendUnder(chain, () => dispatch(options, new Exchange(options.method, handler, chain)));
    },
    (error: unknown) => chain.abort(asError(error)),
  );
  return true;
}

/** How an admitted request stands: its guard ticket, its redirect follower, the exchange if the caller holds it already. */
interface Admission {
  readonly ticket: GuardTicket;
  readonly follower: Follower | undefined;
  readonly chain?: ChainController;
}

/** Sends an admitted request; whatever goes wrong before it is on its way settles it and frees the guard's slot. */
function authenticate(state: InterceptorState, call: Call, site: Site, admission: Admission): boolean {
  try {
    return send(state, jobFor(state, call, site, admission));
  } catch (error) {
    state.guard?.abandon(state.auth, site.origin, admission.ticket);
    if (admission.chain === undefined) return fail(call.handler, asError(error));
    admission.chain.abort(asError(error));
    return true;
  }
}

/** Everything the fast and the general path need to know about one admitted request. */
function jobFor(state: InterceptorState, call: Call, site: Site, admission: Admission): FastJob {
  const { options } = call;
  const target = options.query === undefined || options.query === null ? options : withQueryInPath(options);
  const url = site.origin + target.path;
  const stream = isStreamBody(options.body) ? bodySource(streamChunks(options.body), state.maxReplayBytes) : undefined;
  return {
    dispatch: call.dispatch,
    options: target,
    handler: call.handler,
    url,
    origin: site.origin,
    stream,
    ticket: admission.ticket,
    retryable: describable(options),
    authorization: state.fast?.[authorizationFor](options.method, state.fastNeedsUrl ? new URL(url) : UNUSED_URL),
    chain: admission.chain,
    follower: admission.follower,
  };
}

/** The fast path when the scheme has its header, else the full flow (or, for a tunnel, no credentials). */
function send(state: InterceptorState, job: FastJob): boolean {
  const { dispatch, options, handler, chain, authorization } = job;
  if (typeof authorization === "string") {
    // Legacy calls pass straight through; a redirect follower, or a caller holding the exchange, takes the new API.
    const legacy = chain === undefined && job.follower === undefined && speaksLegacy(handler);
    const attempt = legacy ? new LegacyFastAttempt(state, job) : new FastAttempt(state, job);
    const sent: Dispatcher.DispatchOptions = { ...options, headers: withAuthorization(options.headers, authorization) };
    // A stream goes out through its recorder, so that a 401 can still be answered with a replay.
    if (job.stream !== undefined) sent.body = job.stream.first() as unknown as DispatchBody;
    return dispatch(sent, attempt as Dispatcher.DispatchHandler);
  }
  if (!job.retryable) {
    // A tunnel or an upgrade has no Request to describe it: the flow cannot run, no credentials go.
    state.guard?.abandon(state.auth, job.origin, job.ticket);
    return dispatch(options, chain === undefined ? handler : new Exchange(options.method, handler, chain));
  }
  void runGeneral({ ...job, captured: undefined }, state);
  return true;
}

/** The options with `query` serialised into `path`, as the flow's Request (and Digest's `uri`) must see it. */
function withQueryInPath(options: Dispatcher.DispatchOptions): Dispatcher.DispatchOptions {
  const { query, ...rest } = options;
  return { ...rest, path: pathWithQuery(options.path, query) };
}

// Fetch §2.2.1: methods a Request refuses; and upgrades, which are not request/response.
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

function describable(options: Dispatcher.DispatchOptions): boolean {
  const method = options.method;
  // The forbidden methods are 5 to 7 letters long: GET, PUT, POST and HEAD need no case folding.
  return !options.upgrade && (method.length < 5 || !FORBIDDEN_METHODS.has(method.toUpperCase()));
}

/** The caller's AbortSignal, when its dispatch options carry one (`undici.request` passes its `signal` down). */
function signalOf(options: Dispatcher.DispatchOptions): AbortSignal | undefined {
  const signal = (options as { signal?: unknown }).signal;
  return signal instanceof AbortSignal ? signal : undefined;
}

/** Runs a dispatch for a caller that already holds `chain`: a dispatcher that throws settles it. */
function sendUnder(chain: ChainController, send: () => unknown): void {
  try {
    send();
  } catch (error) {
    chain.abort(asError(error));
  }
}

/** Reports `error` the way a dispatcher does: through the handler, before anything was sent. */
function fail(handler: Dispatcher.DispatchHandler, error: Error): boolean {
  new ChainController(handler).abort(error);
  return true;
}
