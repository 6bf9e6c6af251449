import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";
import { responseHeaders } from "./undici-headers.js";

type Handler = Dispatcher.DispatchHandler;
type Controller = Dispatcher.DispatchController;

/** The status line and headers of a captured response, as undici parsed them. */
export interface ResponseHead {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly message: string;
}

/** Bytes of a captured response body held before the socket is paused. */
const HIGH_WATER = 64 * 1024;
// Fetch §3.1: statuses whose responses never have a body.
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * The controller the caller's handler holds while authflow runs a flow for
 * it: one for the whole exchange, whichever dispatch is current. `abort` stops
 * the dispatch in flight and the flow (through `signal`); `pause`/`resume`
 * reach the dispatch whose response the caller is reading.
 */
export class ChainController implements Controller {
  readonly #abort = new AbortController();
  #reason: Error | null = null;
  #paused = false;
  #inFlight: Controller | undefined;
  #reading: Controller | undefined;
  #resumed: (() => void) | undefined;

  get aborted(): boolean {
    return this.#reason !== null;
  }
  get paused(): boolean {
    return this.#paused;
  }
  get reason(): Error | null {
    return this.#reason;
  }
  /** Aborts when the caller aborts; handed to the flow as `Request.signal`. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  abort(reason?: Error): void {
    if (this.#reason !== null) return;
    this.#reason = reason ?? new DOMException("The operation was aborted.", "AbortError");
    this.#inFlight?.abort(this.#reason);
    this.#abort.abort(this.#reason);
    this.#wakeResumed();
  }
  pause(): void {
    this.#paused = true;
    this.#reading?.pause();
  }
  resume(): void {
    this.#paused = false;
    this.#reading?.resume();
    this.#wakeResumed();
  }

  /** Records the dispatch now in flight, so an abort reaches it. */
  track(controller: Controller): void {
    this.#inFlight = controller;
    if (this.#reason !== null) controller.abort(this.#reason);
  }
  /** Hands the caller's pause/resume to the dispatch whose response it reads. */
  read(controller: Controller | undefined): void {
    this.#reading = controller;
    if (this.#paused) controller?.pause();
  }
  /** Resolves once the caller is no longer paused (or aborted). */
  whenResumed(): Promise<void> {
    if (!this.#paused || this.#reason !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.#resumed = resolve;
    });
  }

  #wakeResumed(): void {
    const wake = this.#resumed;
    this.#resumed = undefined;
    wake?.();
  }
}

/**
 * One dispatch, seen from authflow. In forward mode its events go straight to
 * the caller's handler (the fast path). In capture mode — from the start, or
 * from a status {@link capture} claims — the answer becomes a web `Response`
 * for the auth flow, its body buffered and streamed with backpressure; the
 * final one is then {@link adopt}ed by the caller's handler without a copy.
 */
export class Exchange implements Handler {
  readonly #method: string;
  #forward: Handler | undefined;
  #chain: ChainController | undefined;
  #controller: Controller | undefined;
  #context: unknown;
  #head: ResponseHead | undefined;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #paused = false;
  #ended = false;
  #trailers: IncomingHttpHeaders = {};
  #error: Error | undefined;
  #cancelled = false;
  #touched = false;
  #wake: (() => void) | undefined;
  #settle: { resolve(response: Response): void; reject(error: Error): void } | undefined;
  #response: Response | undefined;
  /** Forward mode: the caller got a final status (a later error is no failed attempt). */
  #answered = false;

  /**
   * @param method the request method (a HEAD answer has no body)
   * @param forward the caller's handler for forward mode; undefined to capture from the start
   * @param chain the controller that must be able to abort this dispatch
   */
  constructor(method: string, forward: Handler | undefined, chain?: ChainController) {
    this.#method = method;
    this.#forward = forward;
    this.#chain = chain;
  }

  /** The context undici passed to `onRequestStart`. */
  get context(): unknown {
    return this.#context;
  }

  /** Whether to take over a response with `status` instead of forwarding it (forward mode only). */
  protected capture(_status: number): boolean {
    return false;
  }
  /** A response was taken over (forward mode) or arrived (capture mode). */
  protected captured(response: Response): void {
    this.#settle?.resolve(response);
  }
  /** A response was forwarded to the caller (forward mode); `undefined`: the dispatch failed before one came. */
  protected forwarded(_status: number | undefined, _headers?: IncomingHttpHeaders): void {}

  /** The answer as a `Response`, once its headers are in (capture mode). */
  response(): Promise<Response> {
    if (this.#response !== undefined) return Promise.resolve(this.#response);
    if (this.#error !== undefined) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
  }

  /** True when `response` is this dispatch's answer and nobody read its body: it can go to the caller as it arrives. */
  deliverable(response: Response): boolean {
    return this.#response === response && !this.#touched;
  }

  /** Puts this dispatch (a fast attempt that was taken over) under `chain`, so the caller can abort it. */
  join(chain: ChainController): void {
    this.#chain = chain;
    if (this.#controller !== undefined) chain.track(this.#controller);
  }

  onRequestStart(controller: Controller, context: unknown): void {
    this.#controller = controller;
    this.#context = context;
    this.#chain?.track(controller);
    if (this.#forward !== undefined) this.#forward.onRequestStart?.(this.#chain ?? controller, context);
  }

  onRequestUpgrade(controller: Controller, status: number, headers: IncomingHttpHeaders, socket: never): void {
    this.#forward?.onRequestUpgrade?.(this.#chain ?? controller, status, headers, socket);
  }

  onResponseStart(controller: Controller, status: number, headers: IncomingHttpHeaders, message?: string): void {
    if (this.#forward !== undefined && !this.capture(status)) {
      if (status >= 200) this.#answered = true;
      this.forwarded(status, headers);
      this.#forward.onResponseStart?.(this.#chain ?? controller, status, headers, message);
      return;
    }
    if (status < 200) return; // an informational answer: the real one follows
    this.#forward = undefined;
    this.#head = { status, headers, message: message ?? "" };
    const empty = this.#method === "HEAD" || NULL_BODY.has(status);
    if (empty) this.#ended = true;
    this.#response = new Response(empty ? null : this.#stream(), {
      status,
      statusText: message ?? "",
      headers: responseHeaders(headers),
    });
    this.captured(this.#response);
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.#forward !== undefined) {
      this.#forward.onResponseData?.(this.#chain ?? controller, chunk);
      return;
    }
    if (this.#cancelled) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    if (this.#buffered > HIGH_WATER && !this.#paused) {
      this.#paused = true;
      controller.pause();
    }
    this.#wakeReader();
  }

  onResponseEnd(controller: Controller, trailers: IncomingHttpHeaders): void {
    if (this.#forward !== undefined) {
      this.#forward.onResponseEnd?.(this.#chain ?? controller, trailers);
      return;
    }
    this.#ended = true;
    this.#trailers = trailers;
    this.#wakeReader();
  }

  onResponseError(controller: Controller, error: Error): void {
    if (this.#forward !== undefined) {
      if (!this.#answered) this.forwarded(undefined);
      this.#forward.onResponseError?.(this.#chain ?? controller, error);
      return;
    }
    if (this.#cancelled) return;
    this.#error = error;
    if (this.#response === undefined) this.#settle?.reject(error);
    this.#wakeReader();
  }

  /**
   * Hands this (captured, unread) response to the caller's handler: what is
   * buffered now, the rest as it arrives, with `chain` as its controller.
   */
  adopt(handler: Handler, chain: ChainController): void {
    const head = this.#head as ResponseHead;
    this.#forward = handler;
    this.#chain = chain;
    this.#answered = true;
    chain.read(this.#controller);
    handler.onResponseStart?.(chain, head.status, head.headers, head.message);
    for (const chunk of this.#chunks) handler.onResponseData?.(chain, chunk);
    this.#chunks = [];
    if (this.#error !== undefined) handler.onResponseError?.(chain, this.#error);
    else if (this.#ended) handler.onResponseEnd?.(chain, this.#trailers);
    else if (this.#paused && !chain.paused) this.#controller?.resume();
  }

  #stream(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        pull: (controller) => this.#pull(controller),
        cancel: () => {
          // The flow is done with this body (a large one): drop the connection rather than read it all.
          this.#cancelled = true;
          this.#chunks = [];
          if (!this.#ended && this.#error === undefined) this.#controller?.abort(new Error("response body cancelled"));
        },
      },
      { highWaterMark: 0 },
    );
  }

  #pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> | undefined {
    this.#touched = true;
    const chunk = this.#chunks.shift();
    if (chunk !== undefined) {
      this.#buffered -= chunk.length;
      controller.enqueue(chunk);
      if (this.#paused && this.#buffered <= HIGH_WATER) {
        this.#paused = false;
        this.#controller?.resume();
      }
      return undefined;
    }
    if (this.#error !== undefined) controller.error(this.#error);
    else if (this.#ended) controller.close();
    else return new Promise((resolve) => (this.#wake = resolve));
    return undefined;
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
