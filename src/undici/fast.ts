import type { IncomingHttpHeaders } from "node:http";
import type { Duplex } from "node:stream";
import type { Dispatcher } from "undici";
import type { BodySource } from "../engine/body.js";
import { Exchange, redirectBeneath } from "./exchange.js";
import { type FlowJob, type FlowPolicy, runGeneral } from "./flow.js";
import { locationOf, redirectRefusal } from "./redirect.js";

type Handler = Dispatcher.DispatchHandler;
type Controller = Dispatcher.DispatchController;
/** A handler with the old-style methods (a `compose` wrapper has them all). */
type LegacyHandler = Handler & Required<Pick<Handler, "onConnect" | "onHeaders" | "onData" | "onComplete" | "onError">>;

/**
 * True when `handler` takes the old-style calls as its own, which costs no
 * header conversions: undici's `compose` wraps an old-style handler (the ones
 * `undici.request` and `fetch` pass) in a WrapHandler, whose old-style methods
 * go straight through to it. A handler of the new style that also has
 * old-style methods gets the new calls, as undici itself would give it.
 */
export function speaksLegacy(handler: Handler): handler is LegacyHandler {
  if (typeof handler.onHeaders !== "function" || typeof handler.onConnect !== "function") return false;
  return typeof handler.onResponseStart !== "function" || handler.constructor?.name === "WrapHandler";
}

/** A request on the fast path: everything the general path needs should its answer be a 401. */
export interface FastJob extends Omit<FlowJob, "captured"> {
  readonly stream: BodySource | undefined;
  /** Whether a 401 may be taken over (not for upgrades and tunnels). */
  readonly retryable: boolean;
}

// The guard reads only the status (and a challenge, absent here); shared answers save an allocation per request.
const ACCEPTED = new Response(null, { status: 200 });
const PROXY_REJECTED = new Response(null, { status: 407 });

/** Tells the guard how a fast attempt the caller got the answer to ended. */
function outcome(policy: FlowPolicy, job: FastJob, status: number | undefined): void {
  const { guard } = policy;
  if (guard === null || (status !== undefined && status < 200)) return;
  if (status === undefined) guard.abandon(policy.auth, job.origin, job.ticket);
  else guard.record(policy.auth, job.origin, status === 407 ? PROXY_REJECTED : ACCEPTED, job.ticket);
}

/** Hands a final answer's `Authentication-Info` to an Auth that learns from it (Digest's `nextnonce`). */
function acknowledged(policy: FlowPolicy, job: FastJob, status: number, info: string | undefined): void {
  if (info === undefined || status < 200 || status === 401) return;
  policy.acknowledge?.(job.url, job.authorization as string, info);
}

/**
 * The fast attempt for callers that speak undici's handler API of old
 * (`onConnect`/`onHeaders`/…: `undici.request`, `fetch`, wrapped by
 * `compose`): events pass straight through, so neither side converts
 * headers between raw buffers and objects. A 401 is taken over as the answer
 * to the flow's first request, and the general path carries on from there
 * (a Digest nonce gone stale costs one more round trip, not two).
 */
export class LegacyFastAttempt {
  readonly #policy: FlowPolicy;
  readonly #job: FastJob;
  readonly #caller: LegacyHandler;
  #abort: ((reason?: Error) => void) | undefined;
  #context: unknown;
  #captured: Exchange | undefined;
  #controller: LegacyController | undefined;
  /** The guard heard the outcome already (an error after the headers is no rejection). */
  #answered = false;

  constructor(policy: FlowPolicy, job: FastJob) {
    this.#policy = policy;
    this.#job = job;
    this.#caller = job.handler as LegacyHandler;
  }

  onConnect(abort: (reason?: Error) => void, context?: unknown): void {
    const beneath = redirectBeneath(context);
    if (beneath !== undefined) {
      abort(beneath);
      return;
    }
    this.#abort = abort;
    this.#context = context;
    (this.#caller.onConnect as (abort: (reason?: Error) => void, context?: unknown) => void)(abort, context);
  }

  onResponseStarted(): void {
    this.#caller.onResponseStarted?.();
  }

  onUpgrade(status: number, headers: Buffer[] | string[] | null, socket: Duplex): void {
    this.#caller.onUpgrade?.(status, headers, socket);
  }

  onBodySent(size: number, total: number): void {
    this.#caller.onBodySent?.(size, total);
  }

  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void, message: string): boolean {
    if (status !== 401 || !this.#job.retryable) {
      if (status >= 200) this.#answered = true;
      outcome(this.#policy, this.#job, status);
      if (this.#policy.acknowledge !== undefined) {
        acknowledged(this.#policy, this.#job, status, rawHeader(rawHeaders, "authentication-info"));
      }
      return this.#caller.onHeaders(status, rawHeaders, resume, message);
    }
    const controller = new LegacyController(this.#abort ?? (() => {}), resume);
    const exchange = new Exchange(this.#job.options.method, undefined);
    this.#controller = controller;
    this.#captured = exchange;
    exchange.onRequestStart(controller, this.#context);
    exchange.onResponseStart(controller, status, parseRawHeaders(rawHeaders), message);
    void runGeneral({ ...this.#job, captured: exchange }, this.#policy);
    return !controller.paused;
  }

  onData(chunk: Buffer): boolean {
    if (this.#captured === undefined) return this.#caller.onData(chunk);
    this.#captured.onResponseData(this.#controller as LegacyController, chunk);
    return !(this.#controller as LegacyController).paused;
  }

  onComplete(trailers: string[] | null): void {
    if (this.#captured === undefined) this.#caller.onComplete(trailers);
    else this.#captured.onResponseEnd(this.#controller as LegacyController, parseRawHeaders(trailers ?? []));
  }

  onError(error: Error): void {
    if (this.#captured !== undefined) {
      this.#captured.onResponseError(this.#controller as LegacyController, error);
      return;
    }
    if (!this.#answered) outcome(this.#policy, this.#job, undefined);
    this.#caller.onError(error);
  }
}

/**
 * The fast attempt for callers that speak the handler API of undici 7
 * (`onRequestStart`/`onResponseStart`/…: undici's redirect interceptor, other
 * interceptors), and for requests whose caller already holds the exchange's
 * controller (they waited for the guard): the same behaviour as
 * {@link LegacyFastAttempt}, and a redirect the policy refuses never reaches
 * undici's redirect handler.
 */
export class FastAttempt extends Exchange {
  readonly #policy: FlowPolicy;
  readonly #job: FastJob;

  constructor(policy: FlowPolicy, job: FastJob) {
    super(job.options.method, job.handler, job.chain);
    this.#policy = policy;
    this.#job = job;
  }

  protected override capture(status: number): boolean {
    return status === 401 && this.#job.retryable;
  }

  protected override refusal(status: number, headers: IncomingHttpHeaders): Error | undefined {
    if (this.#job.follower === undefined) return undefined;
    return redirectRefusal(this.#job, this.#policy.origins, true, status, locationOf(headers));
  }

  protected override forwarded(status: number | undefined, headers?: IncomingHttpHeaders): void {
    outcome(this.#policy, this.#job, status);
    if (this.#policy.acknowledge === undefined || status === undefined) return;
    const info = headers?.["authentication-info"];
    acknowledged(this.#policy, this.#job, status, typeof info === "string" ? info : undefined);
  }

  protected override captured(): void {
    void runGeneral({ ...this.#job, captured: this }, this.#policy);
  }
}

/** The undici 7 controller over an old-style dispatch: `abort` and `resume` as undici handed them over. */
class LegacyController implements Controller {
  readonly #abort: (reason?: Error) => void;
  readonly #resume: () => void;
  #reason: Error | null = null;
  #paused = false;

  constructor(abort: (reason?: Error) => void, resume: () => void) {
    this.#abort = abort;
    this.#resume = resume;
  }

  get aborted(): boolean {
    return this.#reason !== null;
  }
  get paused(): boolean {
    return this.#paused;
  }
  get reason(): Error | null {
    return this.#reason;
  }
  abort(reason: Error): void {
    if (this.#reason !== null) return;
    this.#reason = reason;
    this.#abort(reason);
  }
  pause(): void {
    this.#paused = true;
  }
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#resume();
  }
}

/** The first value of header `name` (lower case) in undici's raw `[name, value, …]` buffers. */
function rawHeader(raw: readonly (Buffer | string)[], name: string): string | undefined {
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const key = raw[index] as Buffer | string;
    if (key.length === name.length && String(key).toLowerCase() === name) {
      return (raw[index + 1] as Buffer | string).toString("latin1");
    }
  }
  return undefined;
}

/** undici's raw `[name, value, …]` buffers as a header object: names lower case, repeats as arrays. */
function parseRawHeaders(raw: readonly (Buffer | string)[]): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = Object.create(null);
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = String(raw[index]).toLowerCase();
    const value = (raw[index + 1] as Buffer | string).toString("latin1");
    const existing = headers[name];
    if (existing === undefined) headers[name] = name === "set-cookie" ? [value] : value;
    else if (Array.isArray(existing)) existing.push(value);
    else headers[name] = [existing, value];
  }
  return headers as IncomingHttpHeaders;
}
