import type { Dispatcher } from "undici";
import type { Auth } from "../engine/auth.js";
import { type BodySource, bodySource, emptyBodySource } from "../engine/body.js";
import { discard, runAuthFlow, untilAborted } from "../engine/flow.js";
import { BodyNotReplayableError } from "../errors.js";
import type { GuardTicket, RejectionGuard } from "../guard/guard.js";
import { asError, ChainController } from "./chain.js";
import { Exchange } from "./exchange.js";
import { fromWebHeaders, hasHeader, toIncomingHeaders, toWebHeaders } from "./headers.js";
import { type Follower, redirectRefusal } from "./redirect.js";

type Handler = Dispatcher.DispatchHandler;

/** What the general path needs from the interceptor's options. */
export interface FlowPolicy {
  readonly auth: Auth;
  readonly guard: RejectionGuard | null;
  readonly maxFlowSteps: number;
  readonly maxReplayBytes: number;
  /** The Auth's `acknowledge` method, bound, when it learns from answers (Digest's `nextnonce`). */
  readonly acknowledge?: ((url: string, authorization: string, authenticationInfo: string) => void) | undefined;
  /** The origins that may receive credentials besides a chain's first (undefined: only that one). */
  readonly origins: ReadonlySet<string> | undefined;
}

/** One request taken down the general path. */
export interface FlowJob {
  readonly dispatch: Dispatcher.Dispatch;
  /** The caller's dispatch options (`path` already carries any `query`). */
  readonly options: Dispatcher.DispatchOptions;
  readonly handler: Handler;
  /** The absolute URL, as the flow's `Request` shows it. */
  readonly url: string;
  /** The serialised origin: the bad-credential guard's key. */
  readonly origin: string;
  /** The body as a replay source when it is a stream; started if the fast path already sent it. */
  readonly stream: BodySource | undefined;
  /** The fast attempt whose 401 answers the flow's first request, if there was one. */
  readonly captured: Exchange | undefined;
  /** The Authorization value the fast attempt sent (shown on the flow's first request when it answers it). */
  readonly authorization?: string | undefined;
  /** What the bad-credential guard handed out when it admitted the request; given back with the outcome. */
  readonly ticket: GuardTicket;
  /** The exchange, when the caller already holds it (the request waited before its first dispatch). */
  readonly chain?: ChainController | undefined;
  /** undici's redirect handler, when it is the caller: its redirects are judged before it follows them. */
  readonly follower: Follower | undefined;
}

/**
 * The general path: runs the auth flow on a web `Request` built from the
 * dispatch options, sending each request the flow yields through the next
 * dispatcher; intermediate answers are drained by the driver, the final one
 * goes to the caller's handler as it arrives. Errors (a flow error,
 * BodyNotReplayableError, a network error) reach the handler's
 * `onResponseError`.
 */
export async function runGeneral(job: FlowJob, policy: FlowPolicy): Promise<void> {
  const chain = job.chain ?? new ChainController(job.handler);
  job.captured?.join(chain);
  chain.start(job.captured?.context ?? {});
  let transport: Transport;
  let final: Response;
  try {
    if (chain.aborted) throw chain.reason;
    // Every wait ends when the caller aborts: a flow stuck on a token provider cannot hold the request.
    const plan = await untilAborted(planBody(job, policy), chain.signal);
    const request = flowRequest(job, plan, chain);
    // The Request constructor labels string, Blob and FormData bodies; undici labels what it sends itself.
    const addedType = hasHeader(job.options.headers, "content-type") ? null : request.headers.get("content-type");
    transport = new Transport(job, plan, request, chain, addedType);
    final = await runAuthFlow(policy.auth, request, plan.source, transport.send, policy, chain.signal);
  } catch (error) {
    policy.guard?.abandon(policy.auth, job.origin, job.ticket);
    chain.abort(asError(error));
    return;
  }
  policy.guard?.record(policy.auth, job.origin, final, job.ticket);
  const refused = redirectRefusal(job, policy.origins, true, final.status, final.headers.get("location") ?? undefined);
  if (refused !== undefined) {
    void discard(final);
    chain.abort(refused);
    return;
  }
  try {
    transport.deliver(final);
  } catch (error) {
    chain.abort(asError(error));
  }
}

/** The web Request the flow works on: the caller's method, URL, headers and (where it fits) body. */
function flowRequest(job: FlowJob, plan: BodyPlan, chain: ChainController): Request {
  return new Request(job.url, {
    method: job.options.method,
    headers: toWebHeaders(job.options.headers),
    body: plan.requestBody,
    signal: chain.signal,
    redirect: "manual",
    ...(plan.requestBody instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
}

/** How the body travels: inside the flow's Request, or beside it. */
interface BodyPlan {
  /** What the flow's Request carries (what Digest auth-int hashes). */
  readonly requestBody: BodyInit | null;
  /** Replays for the driver, once the flow's Request body was consumed. */
  readonly source: BodySource;
  /** Sent as it is with our own request while its body is unread (cheaper than streaming the Request's copy). */
  readonly fixed: unknown;
  /** A body that cannot travel in the Request (GET, HEAD, or a stream the fast path sent and could not keep). */
  readonly detached: BodySource | undefined;
}

const NO_BODY_METHODS = new Set(["GET", "HEAD"]);

async function planBody(job: FlowJob, policy: FlowPolicy): Promise<BodyPlan> {
  const body = job.options.body;
  const carries = !NO_BODY_METHODS.has(job.options.method.toUpperCase());
  const stream = job.stream;
  if (stream === undefined) {
    if (body === null || body === undefined) {
      return { requestBody: null, source: emptyBodySource(), fixed: undefined, detached: undefined };
    }
    const fixed = body as unknown as BodyInit;
    return {
      requestBody: carries ? fixed : null,
      source: bodySource(fixed, policy.maxReplayBytes),
      fixed,
      detached: undefined,
    };
  }
  if (!carries) return { requestBody: null, source: emptyBodySource(), fixed: undefined, detached: stream };
  if (job.captured === undefined) {
    return { requestBody: stream.first(), source: stream, fixed: undefined, detached: undefined };
  }
  // The fast path sent the stream already: what it kept becomes a fixed body, or the resend fails when it comes.
  try {
    const bytes = (await stream.replay()) as Uint8Array<ArrayBuffer>;
    return { requestBody: bytes, source: bodySource(bytes, 0), fixed: bytes, detached: undefined };
  } catch (error) {
    if (!(error instanceof BodyNotReplayableError)) throw error;
    return { requestBody: null, source: emptyBodySource(), fixed: undefined, detached: failing(error) };
  }
}

/** Sends the flow's requests through the next dispatcher and hands the final answer to the caller. */
class Transport {
  readonly #job: FlowJob;
  readonly #plan: BodyPlan;
  readonly #initial: Request;
  readonly #chain: ChainController;
  readonly #drop: ReadonlySet<string> | undefined;
  readonly #addedType: string | null;
  #captured: Exchange | undefined;
  #last: Exchange | undefined;

  constructor(job: FlowJob, plan: BodyPlan, initial: Request, chain: ChainController, addedType: string | null) {
    this.#job = job;
    this.#plan = plan;
    this.#initial = initial;
    this.#chain = chain;
    this.#captured = job.captured;
    this.#drop = addedType === null ? undefined : new Set(["content-type"]);
    this.#addedType = addedType;
  }

  /** The driver's `send`: one dispatch per request the flow yields. */
  readonly send = async (request: Request): Promise<Response> => {
    if (this.#chain.aborted) throw this.#chain.reason;
    const captured = this.#captured;
    if (captured !== undefined) {
      // The fast attempt already got this request's answer (a 401): hand it over instead of sending again.
      this.#captured = undefined;
      this.#last = captured;
      // What really went out: the flow may have chosen a newer token since (token-aware 401 handling).
      if (this.#job.authorization !== undefined) request.headers.set("authorization", this.#job.authorization);
      return captured.response();
    }
    const body = await this.#wireBody(request);
    const exchange = new Exchange(request.method, undefined, this.#chain);
    this.#last = exchange;
    const typeChanged = request.headers.get("content-type") !== this.#addedType;
    const options: Dispatcher.DispatchOptions = {
      ...this.#job.options,
      method: request.method as Dispatcher.HttpMethod,
      headers: fromWebHeaders(request.headers, typeChanged ? undefined : this.#drop),
      body: body as Exclude<Dispatcher.DispatchOptions["body"], undefined>,
    };
    if (request.url !== this.#job.url) {
      // The flow changed the URL: send it where the flow says.
      const url = new URL(request.url);
      options.origin = url.origin;
      options.path = `${url.pathname}${url.search}`;
    }
    try {
      this.#job.dispatch(options, exchange);
    } catch (error) {
      exchange.onResponseError(undefined as never, error as Error);
    }
    return exchange.response();
  };

  /** Streams the final answer to the caller's handler: as it arrives when unread, else from the Response. */
  deliver(final: Response): void {
    const { handler } = this.#job;
    if (this.#last?.deliverable(final)) this.#last.adopt(handler, this.#chain);
    else void pump(final, this.#chain);
  }

  async #wireBody(request: Request): Promise<unknown> {
    // A request the flow built itself, or one the driver rebuilt around a replay: send what it holds.
    if (request !== this.#initial || request.bodyUsed) return request.body;
    const plan = this.#plan;
    if (plan.fixed !== undefined) return plan.fixed;
    if (plan.detached !== undefined) return plan.detached.replay();
    return request.body;
  }
}

/** A body source whose every send fails with `error`. */
function failing(error: Error): BodySource {
  const fail = async (): Promise<never> => {
    throw error;
  };
  return { first: () => null, replay: fail, dispose() {}, streaming: true };
}

async function pump(response: Response, chain: ChainController): Promise<void> {
  chain.read(undefined);
  chain.responseStart(response.status, toIncomingHeaders(response.headers), response.statusText);
  const body = response.body;
  if (body === null || body.locked) {
    chain.responseEnd({});
    return;
  }
  const reader = body.getReader();
  try {
    for (;;) {
      await chain.whenResumed();
      if (chain.aborted) throw chain.reason;
      const step = await reader.read();
      if (step.done) break;
      const chunk = step.value;
      chain.responseData(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
  } catch (error) {
    reader.cancel().catch(() => {});
    chain.abort(asError(error));
    return;
  }
  chain.responseEnd({});
}

/** True for a body undici streams (Readable, async or sync iterable, web stream), as opposed to one it sends as bytes. */
export function isStreamBody(body: unknown): boolean {
  if (body === null || typeof body !== "object") return false;
  if (ArrayBuffer.isView(body) || body instanceof ArrayBuffer) return false;
  if (body instanceof Blob || body instanceof FormData || body instanceof URLSearchParams) return false;
  return (
    Symbol.asyncIterator in body || Symbol.iterator in body || typeof (body as { pipe?: unknown }).pipe === "function"
  );
}

/** A stream body as the async iterable of bytes `bodySource` records. */
export function streamChunks(body: unknown): AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> {
  if (body instanceof ReadableStream) return body as ReadableStream<Uint8Array>;
  return (async function* chunks() {
    for await (const chunk of body as AsyncIterable<unknown>) {
      yield typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Uint8Array);
    }
  })();
}
