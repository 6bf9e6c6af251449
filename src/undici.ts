import type { Dispatcher } from "undici";
import { type AuthLike, toAuth } from "./auth.js";
import { bodySource } from "./body.js";
import {
  acknowledgerOf,
  authorizationFor,
  authorizes,
  type FastPathAuth,
  hasFastPath,
  mayAuthorize,
} from "./fast-path.js";
import { type GuardTicket, RejectionGuard, type RejectionGuardOptions } from "./guard.js";
import { ChainController } from "./node/undici-exchange.js";
import { FastAttempt, LegacyFastAttempt, speaksLegacy } from "./node/undici-fast.js";
import { type FlowJob, type FlowPolicy, isStreamBody, runGeneral, streamChunks } from "./node/undici-flow.js";
import { hasHeader, pathWithQuery, withAuthorization, withoutHeaders } from "./node/undici-headers.js";
import { isInsecure, normaliseOrigins } from "./origin.js";
import { DEFAULT_SENSITIVE_HEADERS, insecureTransportError } from "./send.js";

/**
 * Options of {@link authInterceptor}.
 *
 * @example
 * ```ts
 * authInterceptor(new BearerAuth(token), { origins: ["https://api.example.com"], maxReplayBytes: 4 << 20 });
 * ```
 */
export interface AuthInterceptorOptions {
  /**
   * The origins that receive credentials, e.g. `["https://api.example.com"]`;
   * requests to any other origin pass through untouched. Default: every
   * origin the dispatcher talks to. Set it whenever the dispatcher is shared
   * or redirects are followed.
   */
  origins?: readonly string[];
  /** Allow credentials over plain `http:` to hosts that are not loopback (default false). */
  allowInsecureAuth?: boolean;
  /** Most requests one auth flow may send (default 8). */
  maxFlowSteps?: number;
  /** Bytes of a streamed request body kept to re-send it after a challenge (default 1 MiB). */
  maxReplayBytes?: number;
  /** Extra header names that carry credentials and must not follow a redirect to another origin. */
  sensitiveHeaders?: readonly string[];
  /** The bad-credential guard (on by default: 3 failures, then 30 s of fail-fast); `false` turns it off. */
  rejectionGuard?: RejectionGuardOptions | false;
}

/** An origin as the interceptor judges it, computed once per origin string. */
interface Site {
  readonly origin: string;
  readonly protocol: string;
  readonly insecure: boolean;
  /** Whether `origins` lets this origin receive credentials. */
  readonly configured: boolean;
}

interface InterceptorState extends FlowPolicy {
  readonly fast: FastPathAuth | undefined;
  /** Whether the fast-path method reads its arguments (Digest does; Basic does not). */
  readonly fastNeedsUrl: boolean;
  readonly origins: ReadonlySet<string> | undefined;
  readonly allowInsecureAuth: boolean;
  readonly sensitive: ReadonlySet<string>;
  readonly sites: Map<string, Site>;
}

type DispatchBody = Exclude<Dispatcher.DispatchOptions["body"], undefined>;

const MAX_SITES = 256;
/**
 * Handed to fast-path methods that declare no parameters (Basic, a static
 * Bearer token): they ignore the URL, and parsing one per request is
 * measurable at undici's speed.
 */
const UNUSED_URL = new URL("http://authflow.invalid/");

/**
 * An undici interceptor that authenticates every request of a dispatcher
 * with `auth`, by the same rules as {@link Client}: credentials are refused
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
      return intercept(state, dispatch, dispatchOptions, handler);
    };
}

function resolveState(auth: AuthLike, options: AuthInterceptorOptions): InterceptorState {
  const resolved = toAuth(auth);
  if (resolved === null) {
    throw new TypeError("authInterceptor needs an auth: an Auth, a [user, pass] tuple or a function");
  }
  return {
    auth: resolved,
    fast: hasFastPath(resolved) ? resolved : undefined,
    fastNeedsUrl: hasFastPath(resolved) && resolved[authorizationFor].length > 0,
    acknowledge: acknowledgerOf(resolved),
    guard: options.rejectionGuard === false ? null : new RejectionGuard(options.rejectionGuard),
    maxFlowSteps: options.maxFlowSteps ?? 8,
    maxReplayBytes: options.maxReplayBytes ?? 1024 * 1024,
    origins: options.origins === undefined ? undefined : new Set(normaliseOrigins(options.origins)),
    allowInsecureAuth: options.allowInsecureAuth ?? false,
    sensitive: new Set([
      ...DEFAULT_SENSITIVE_HEADERS,
      ...(options.sensitiveHeaders ?? []).map((name) => name.toLowerCase()),
    ]),
    sites: new Map(),
  };
}

/** Decides whether a request gets credentials, then admits it past the bad-credential guard. */
function intercept(
  state: InterceptorState,
  dispatch: Dispatcher.Dispatch,
  options: Dispatcher.DispatchOptions,
  handler: Dispatcher.DispatchHandler,
): boolean {
  const site = siteOf(state, options.origin);
  if (site === undefined) return dispatch(options, handler);
  if (chainStanding(handler, site, state) === "foreign") {
    return dispatch({ ...options, headers: withoutHeaders(options.headers, state.sensitive) }, handler);
  }
  if (!site.configured) return dispatch(options, handler);
  if (site.insecure && !state.allowInsecureAuth) {
    if (!(mayAuthorize in state.auth)) return fail(handler, insecureTransportError(site.origin));
    // A host-scoped auth (netrc) with nothing for this host sends nothing: plain HTTP is then fine,
    // unless the caller set a credential header by hand.
    const byHand = hasHeader(options.headers, "authorization") || hasHeader(options.headers, "proxy-authorization");
    authorizes(state.auth, new URL(site.origin)).then(
      (adds) => (adds || byHand ? fail(handler, insecureTransportError(site.origin)) : dispatch(options, handler)),
      (error: unknown) => fail(handler, error as Error),
    );
    return true;
  }
  let entered: GuardTicket | Promise<GuardTicket> = false;
  try {
    entered = state.guard?.enter(state.auth, site.origin, signalOf(options)) ?? false;
  } catch (error) {
    return fail(handler, error as Error);
  }
  if (typeof entered === "boolean") return authenticate(state, { dispatch, options, handler }, site, entered);
  // Credentials not yet accepted here go one request at a time (the guard's rule): wait for the turn.
  entered.then(
    (ticket) => authenticate(state, { dispatch, options, handler }, site, ticket),
    (error: unknown) => fail(handler, error as Error),
  );
  return true;
}

/** Sends an admitted request: the fast path when the scheme offers it, else the full flow. */
function authenticate(
  state: InterceptorState,
  call: Pick<FlowJob, "dispatch" | "options" | "handler">,
  site: Site,
  ticket: GuardTicket,
): boolean {
  const { dispatch, options, handler } = call;
  const target = options.query === undefined || options.query === null ? options : withQueryInPath(options);
  const url = site.origin + target.path;
  const stream = isStreamBody(options.body) ? bodySource(streamChunks(options.body), state.maxReplayBytes) : undefined;
  const authorization = state.fast?.[authorizationFor](options.method, state.fastNeedsUrl ? new URL(url) : UNUSED_URL);
  const retryable = describable(options);
  const job = {
    dispatch,
    options: target,
    handler,
    url,
    origin: site.origin,
    stream,
    ticket,
    captured: undefined,
    retryable,
    authorization,
  };
  if (typeof authorization === "string") {
    const attempt = speaksLegacy(handler) ? new LegacyFastAttempt(state, job) : new FastAttempt(state, job);
    const sent: Dispatcher.DispatchOptions = { ...target, headers: withAuthorization(target.headers, authorization) };
    // A stream goes out through its recorder, so that a 401 can still be answered with a replay.
    if (stream !== undefined) sent.body = stream.first() as unknown as DispatchBody;
    return dispatch(sent, attempt as Dispatcher.DispatchHandler);
  }
  if (!retryable) {
    // A tunnel or an upgrade has no Request to describe it: the flow cannot run, no credentials go.
    state.guard?.abandon(state.auth, site.origin, ticket);
    return dispatch(options, handler);
  }
  void runGeneral(job, state);
  return true;
}

/**
 * Where a request stands in a redirect chain followed by undici's redirect
 * interceptor (which keeps the URLs of earlier hops in its handler's
 * `history`): the first request, a hop still within the chain's origins, or
 * a hop that must not carry credentials — once a chain leaves them, or goes
 * from https to http, it stays out (Go CVE-2024-45336).
 */
function chainStanding(handler: object, site: Site, state: InterceptorState): "first" | "bound" | "foreign" {
  const history = (handler as { history?: unknown }).history;
  if (!Array.isArray(history) || history.length === 0 || !(history[0] instanceof URL)) return "first";
  const first = history[0].origin;
  let previous = history[0].protocol;
  for (let index = 1; index <= history.length; index++) {
    const hop: { origin: string; protocol: string } = index < history.length ? (history[index] as URL) : site;
    if (previous === "https:" && hop.protocol === "http:") return "foreign";
    if (hop.origin !== first && state.origins?.has(hop.origin) !== true) return "foreign";
    previous = hop.protocol;
  }
  return "bound";
}

function siteOf(state: InterceptorState, origin: string | URL | undefined): Site | undefined {
  if (origin === undefined) return undefined;
  const key = typeof origin === "string" ? origin : origin.href;
  let site = state.sites.get(key);
  if (site === undefined) {
    let url: URL;
    try {
      url = new URL(key);
    } catch {
      return undefined;
    }
    site = {
      origin: url.origin,
      protocol: url.protocol,
      insecure: isInsecure(url),
      configured: state.origins === undefined || state.origins.has(url.origin),
    };
    if (state.sites.size >= MAX_SITES) state.sites.clear();
    state.sites.set(key, site);
  }
  return site;
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

/** Reports `error` the way a dispatcher does: through the handler, before anything was sent. */
function fail(handler: Dispatcher.DispatchHandler, error: Error): boolean {
  const controller = new ChainController();
  controller.abort(error);
  handler.onResponseError?.(controller, error);
  return true;
}
