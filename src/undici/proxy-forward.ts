/**
 * http: targets through a proxy (RFC 9112 §3.2.2 absolute-form): the request
 * goes to the proxy as `GET http://origin/path`, with `Host` the origin's
 * and `Proxy-Authorization` for the proxy — preemptively once the proxy's
 * scheme is known, so a steady stream costs one round trip per request. A
 * 407 is answered (Digest or Basic, src/schemes/proxy-auth.ts) and the
 * request re-sent, its body replayed; a 407 that cannot be answered (wrong
 * password, nothing usable offered) is the caller's response, as fetch would
 * give it. The bad-credential guard counts the proxy's refusals.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";
import { type BodySource, bodySource } from "../engine/body.js";
import { discard, untilAborted } from "../engine/flow.js";
import type { GuardTicket } from "../guard/guard.js";
import { newRound, type ProxyRound } from "../schemes/proxy-auth.js";
import type { ProxyEndpoint } from "../schemes/proxy-options.js";
import { asError, ChainController } from "./chain.js";
import { Exchange } from "./exchange.js";
import { speaksLegacy } from "./fast.js";
import { isStreamBody, streamChunks } from "./flow.js";
import { pathWithQuery } from "./headers.js";
import { type ForwardRoute, LegacyForward } from "./proxy-forward-legacy.js";
import { proxyHeaders } from "./proxy-headers.js";
import { CarriedRefusal } from "./proxy-refusal.js";

type Handler = Dispatcher.DispatchHandler;
type DispatchBody = Dispatcher.DispatchOptions["body"];

// The guard reads only the status: shared answers save an allocation per request.
const ACCEPTED = new Response(null, { status: 200 });
const PROXY_REJECTED = new Response(null, { status: 407 });

export type { ForwardRoute };

/** One forwarded request, from the first attempt to the caller's answer. */
interface ForwardJob {
  readonly route: ForwardRoute;
  readonly options: Dispatcher.DispatchOptions;
  /** The caller's handler, which hears everything through `chain`. */
  readonly handler: Handler;
  readonly chain: ChainController;
  /** The absolute URL, as the proxy receives it. */
  readonly url: string;
  /** The target's `host[:port]`, for `Host`. */
  readonly host: string;
  /** Origin-form path and query: what Digest hashes (as curl does for proxies). */
  readonly target: string;
  readonly body: BodySource | undefined;
  readonly round: ProxyRound;
  ticket: GuardTicket;
}

/**
 * Sends `options` (an http: target) through the route's proxy.
 *
 * @example
 * ```ts
 * return forward(route, new URL(options.origin), options, handler);
 * ```
 */
export function forward(
  route: ForwardRoute,
  target: URL,
  options: Dispatcher.DispatchOptions,
  handler: Handler,
  refusalToken?: string,
): boolean {
  const path = pathWithQuery(options.path, options.query as Record<string, unknown> | undefined);
  const url = `${target.origin}${path}`;
  const credentials = route.endpoint.credentials;
  let entered: GuardTicket | Promise<GuardTicket> = false;
  try {
    if (credentials !== undefined) entered = route.guard?.enter(credentials.guardAuth, route.endpoint.origin) ?? false;
  } catch (error) {
    new ChainController(handler).abort(asError(error));
    return true;
  }
  // The steady state: admitted at once, a body that can go again as it is, a caller of undici's old API.
  if (typeof entered === "boolean" && !isStreamBody(options.body) && speaksLegacy(handler)) {
    const job = {
      route,
      options,
      caller: handler,
      url,
      host: target.host,
      target: path,
      ticket: entered,
      refusalToken,
    };
    return new LegacyForward(job).start();
  }
  const caller = refusalToken === undefined ? handler : new CarriedRefusal(handler, refusalToken);
  if (credentials === undefined) {
    const { query: _query, ...rest } = options;
    const headers = proxyHeaders(options.headers, target.host, undefined);
    return route.pool.dispatch({ ...rest, origin: route.endpoint.origin, path: url, headers }, caller);
  }
  return general(route, { options, handler: caller, url, host: target.host, target: path }, entered);
}

/** The general path: the caller holds one controller across attempts; a streamed body is recorded for a replay. */
function general(
  route: ForwardRoute,
  request: { options: Dispatcher.DispatchOptions; handler: Handler; url: string; host: string; target: string },
  entered: GuardTicket | Promise<GuardTicket>,
): boolean {
  const { options, handler, url, host, target: path } = request;
  const credentials = route.endpoint.credentials as NonNullable<ProxyEndpoint["credentials"]>;
  const chain = new ChainController(handler);
  const job: ForwardJob = {
    route,
    options,
    handler,
    chain,
    url,
    host,
    target: path,
    body: isStreamBody(options.body) ? bodySource(streamChunks(options.body), route.maxReplayBytes) : undefined,
    round: newRound(),
    ticket: false,
  };
  chain.start({});
  const first = () => send(job, credentials.preemptive(options.method, path, job.round), job.body?.first());
  // Credentials the proxy accepted pass at once (no promise); others go one at a time (the guard's rule).
  if (typeof entered === "boolean") {
    job.ticket = entered;
    first();
    return true;
  }
  untilAborted(entered, chain.signal).then(
    (ticket) => {
      job.ticket = ticket;
      first();
    },
    (error: unknown) => chain.abort(asError(error)),
  );
  return true;
}

function send(job: ForwardJob, authorization: string | undefined, body: unknown): void {
  if (job.chain.aborted) {
    settle(job, undefined);
    return;
  }
  const { route, options } = job;
  const { query: _query, ...rest } = options;
  const sent: Dispatcher.DispatchOptions = {
    ...rest,
    origin: route.endpoint.origin,
    path: job.url,
    headers: proxyHeaders(options.headers, job.host, authorization),
  };
  if (body !== undefined) sent.body = body as NonNullable<DispatchBody>;
  try {
    route.pool.dispatch(sent, new ProxyAttempt(job, authorization));
  } catch (error) {
    settle(job, undefined);
    job.chain.abort(asError(error));
  }
}

/** Tells the guard how the exchange with the proxy ended: 407 a refusal, any other status an acceptance. */
function settle(job: ForwardJob, status: number | undefined): void {
  const { guard, endpoint } = job.route;
  const credentials = endpoint.credentials;
  if (guard === null || credentials === undefined) return;
  if (status === undefined) guard.abandon(credentials.guardAuth, endpoint.origin, job.ticket);
  else guard.record(credentials.guardAuth, endpoint.origin, status === 407 ? PROXY_REJECTED : ACCEPTED, job.ticket);
}

/** One attempt: forwards the answer to the caller, or takes over a 407 it may answer. */
class ProxyAttempt extends Exchange {
  readonly #job: ForwardJob;
  readonly #authorization: string | undefined;

  constructor(job: ForwardJob, authorization: string | undefined) {
    super(job.options.method, job.handler, job.chain);
    this.#job = job;
    this.#authorization = authorization;
  }

  protected override capture(status: number): boolean {
    return status === 407;
  }

  protected override forwarded(status: number | undefined, headers?: IncomingHttpHeaders): void {
    if (status !== undefined && status < 200) return;
    settle(this.#job, status);
    if (status === undefined || status === 407) return;
    const info = headers?.["proxy-authentication-info"];
    const { round, route } = this.#job;
    route.endpoint.credentials?.accepted(round, this.#authorization, typeof info === "string" ? info : undefined);
  }

  protected override captured(response: Response): void {
    void this.#answer(response).catch((error: unknown) => {
      settle(this.#job, undefined);
      this.#job.chain.abort(asError(error));
    });
  }

  async #answer(response: Response): Promise<void> {
    const job = this.#job;
    const { options, round, chain } = job;
    const credentials = job.route.endpoint.credentials;
    const next = credentials?.answer(response.headers.get("proxy-authenticate"), options.method, job.target, round);
    const body = next === undefined ? undefined : await this.#replayable();
    if (next === undefined || body === null) {
      // The proxy's verdict stands: the caller gets its 407, as it came.
      settle(job, 407);
      this.adopt(job.handler, chain);
      return;
    }
    await discard(response);
    send(job, next, body);
  }

  /** The body for another attempt; null when it cannot be sent again (a stream past maxReplayBytes). */
  async #replayable(): Promise<unknown> {
    const source = this.#job.body;
    if (source === undefined) return undefined;
    try {
      return await source.replay();
    } catch {
      return null;
    }
  }
}
