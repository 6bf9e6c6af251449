/**
 * The steady-state path of an http: request through a proxy, for callers
 * that speak undici's handler API of old (`undici.request`, `fetch`, both
 * through `compose`): the request goes to the proxy with its
 * `Proxy-Authorization`, and the answer passes straight through — no
 * header conversion, no extra promise. Only a 407 is taken over: answered
 * (a Digest nonce gone stale, say) and the request sent again, its body
 * (a string or bytes) re-sent as it is, under an abort the caller already
 * holds. Streamed bodies and credentials the guard still holds back take
 * the general path (src/undici/proxy-forward.ts).
 */
import type { Duplex } from "node:stream";
import type { Dispatcher } from "undici";
import type { GuardTicket, RejectionGuard } from "../guard/guard.js";
import { newRound, type ProxyRound } from "../schemes/proxy-auth.js";
import type { ProxyEndpoint } from "../schemes/proxy-options.js";
import { proxyHeaders } from "./proxy-headers.js";
import { CARRIER_STATUS } from "./proxy-refusal.js";

type Handler = Dispatcher.DispatchHandler;
/** A handler with the old-style methods. */
export type LegacyHandler = Handler &
  Required<Pick<Handler, "onConnect" | "onHeaders" | "onData" | "onComplete" | "onError">>;

// The guard reads only the status: shared answers save an allocation per request.
const ACCEPTED = new Response(null, { status: 200 });
const PROXY_REJECTED = new Response(null, { status: 407 });

/** What a forwarded request needs: the proxy, its connections, the guard, the replay bound. */
export interface ForwardRoute {
  readonly endpoint: ProxyEndpoint;
  readonly pool: Dispatcher;
  readonly guard: RejectionGuard | null;
  readonly maxReplayBytes: number;
}

/** What one forwarded request needs. */
export interface LegacyJob {
  readonly route: ForwardRoute;
  readonly options: Dispatcher.DispatchOptions;
  readonly caller: LegacyHandler;
  /** The absolute URL, as the proxy receives it. */
  readonly url: string;
  readonly host: string;
  /** The request-target Digest hashes (origin form). */
  readonly target: string;
  readonly ticket: GuardTicket;
  /** Set for the Client's transport: a final 407 travels through fetch marked (src/undici/proxy-refusal.ts). */
  readonly refusalToken: string | undefined;
}

/**
 * One request on the steady-state path, and the handler of each of its
 * dispatches to the proxy.
 *
 * @example
 * ```ts
 * new LegacyForward(job).start();
 * ```
 */
export class LegacyForward {
  readonly #job: LegacyJob;
  readonly #round: ProxyRound = newRound();
  #authorization: string | undefined;
  /** The current dispatch's abort; the caller's abort reaches whichever is current. */
  #abort: ((reason?: Error) => void) | undefined;
  #reason: Error | undefined;
  #connected = false;
  /** A 407 being answered: its body is dropped, then the request goes again with `#next`. */
  #next: string | undefined;
  #settled = false;

  constructor(job: LegacyJob) {
    this.#job = job;
  }

  /** Sends the first attempt, with the preemptive header. */
  start(): boolean {
    const { route, options, target } = this.#job;
    return this.#send(route.endpoint.credentials?.preemptive(options.method, target, this.#round));
  }

  #send(authorization: string | undefined): boolean {
    const { route, options, url, host } = this.#job;
    this.#authorization = authorization;
    this.#next = undefined;
    const { query: _query, ...rest } = options;
    const headers = proxyHeaders(options.headers, host, authorization);
    return route.pool.dispatch({ ...rest, origin: route.endpoint.origin, path: url, headers }, this as Handler);
  }

  onConnect(abort: (reason?: Error) => void, context?: unknown): void {
    this.#abort = abort;
    if (this.#reason !== undefined) {
      abort(this.#reason);
      return;
    }
    if (this.#connected) return;
    this.#connected = true;
    const cancel = (reason?: Error) => {
      this.#reason = reason ?? new DOMException("The operation was aborted.", "AbortError");
      this.#abort?.(this.#reason);
    };
    (this.#job.caller.onConnect as (abort: (reason?: Error) => void, context?: unknown) => void)(cancel, context);
  }

  onResponseStarted(): void {
    if (this.#next === undefined) this.#job.caller.onResponseStarted?.();
  }

  onUpgrade(status: number, headers: Buffer[] | string[] | null, socket: Duplex): void {
    this.#job.caller.onUpgrade?.(status, headers, socket);
  }

  onBodySent(size: number, total: number): void {
    this.#job.caller.onBodySent?.(size, total);
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void, message: string): boolean {
    const { caller, route, options, target, refusalToken } = this.#job;
    if (status === 407 && this.#next === undefined) {
      const challenge = rawHeader(raw, "proxy-authenticate");
      const next = route.endpoint.credentials?.answer(challenge ?? null, options.method, target, this.#round);
      if (next !== undefined) {
        this.#next = next;
        return true;
      }
    }
    if (status < 200) return caller.onHeaders(status, raw, resume, message);
    this.#settle(status);
    if (status !== 407) {
      route.endpoint.credentials?.accepted(
        this.#round,
        this.#authorization,
        rawHeader(raw, "proxy-authentication-info"),
      );
      return caller.onHeaders(status, raw, resume, message);
    }
    if (refusalToken === undefined) return caller.onHeaders(status, raw, resume, message);
    return caller.onHeaders(CARRIER_STATUS, raw, resume, refusalToken);
  }

  onData(chunk: Buffer): boolean {
    return this.#next !== undefined ? true : this.#job.caller.onData(chunk);
  }

  onComplete(trailers: string[] | null): void {
    const next = this.#next;
    if (next === undefined) {
      this.#job.caller.onComplete(trailers);
      return;
    }
    try {
      this.#send(next);
    } catch (error) {
      this.onError(error instanceof Error ? error : new Error(String(error)));
    }
  }

  onError(error: Error): void {
    this.#next = undefined;
    this.#settle(undefined);
    this.#job.caller.onError(error);
  }

  /** Tells the guard how the exchange with the proxy ended (once). */
  #settle(status: number | undefined): void {
    if (this.#settled) return;
    this.#settled = true;
    const { guard, endpoint } = this.#job.route;
    const credentials = endpoint.credentials;
    if (guard === null || credentials === undefined) return;
    const { ticket } = this.#job;
    if (status === undefined) guard.abandon(credentials.guardAuth, endpoint.origin, ticket);
    else guard.record(credentials.guardAuth, endpoint.origin, status === 407 ? PROXY_REJECTED : ACCEPTED, ticket);
  }
}

/** The values of header `name` (lower case) in undici's raw `[name, value, …]` buffers, joined as one list. */
function rawHeader(raw: readonly (Buffer | string)[], name: string): string | undefined {
  let found: string | undefined;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const key = raw[index] as Buffer | string;
    if (key.length !== name.length || String(key).toLowerCase() !== name) continue;
    const value = (raw[index + 1] as Buffer | string).toString("latin1");
    found = found === undefined ? value : `${found}, ${value}`;
  }
  return found;
}
