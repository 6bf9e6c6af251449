import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";
import { UnsafeRedirectError } from "../errors.js";
import type { ChainController } from "./chain.js";
import { responseHeaders } from "./headers.js";

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
 * The error for a redirect followed beneath the interceptor, when the
 * dispatch's `context` shows one (undici's redirect handler, composed before
 * authInterceptor, hands its `history` to the handler it wraps): authflow
 * cannot see where that hop goes, so an authenticated request may not take it.
 */
export function redirectBeneath(context: unknown): UnsafeRedirectError | undefined {
  const history = (context as { history?: unknown } | null | undefined)?.history;
  if (!Array.isArray(history) || history.length === 0) return undefined;
  return new UnsafeRedirectError(
    "refusing a redirect of an authenticated request: interceptors.redirect is composed before authInterceptor, " +
      "so authflow cannot see where the credentials (and the body) would go. Compose it after: " +
      "agent.compose(authInterceptor(auth), interceptors.redirect(options))",
    "unknown",
  );
}

/**
 * One dispatch, seen from authflow. In forward mode its events go to the
 * caller's handler: straight (the fast path), or through the exchange's
 * {@link ChainController} when there is one. In capture mode — from the start, or
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
   * @param chain the exchange this dispatch belongs to: it can abort it, and the caller hears forwarded events through it
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
  /** An error instead of forwarding a response with `status` (forward mode): a redirect the policy refuses. */
  protected refusal(_status: number, _headers: IncomingHttpHeaders): Error | undefined {
    return undefined;
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
    const beneath = redirectBeneath(context);
    if (beneath !== undefined) {
      // Before a byte of this hop is written: undici reports the abort through onResponseError.
      controller.abort(beneath);
      return;
    }
    this.#controller = controller;
    this.#context = context;
    const chain = this.#chain;
    if (chain !== undefined) chain.track(controller);
    if (this.#forward === undefined) return;
    if (chain === undefined) this.#forward.onRequestStart?.(controller, context);
    else chain.start(context);
  }

  onRequestUpgrade(controller: Controller, status: number, headers: IncomingHttpHeaders, socket: never): void {
    if (this.#chain === undefined) this.#forward?.onRequestUpgrade?.(controller, status, headers, socket);
    else if (this.#forward !== undefined) this.#chain.upgrade(status, headers, socket);
  }

  onResponseStart(controller: Controller, status: number, headers: IncomingHttpHeaders, message?: string): void {
    if (this.#forward !== undefined && !this.capture(status)) {
      // Thrown, as undici's own redirect handler throws: the dispatcher aborts and reports it through onResponseError.
      const refused = this.refusal(status, headers);
      if (refused !== undefined) throw refused;
      if (status >= 200) this.#answered = true;
      this.forwarded(status, headers);
      const chain = this.#chain;
      if (chain === undefined) this.#forward.onResponseStart?.(controller, status, headers, message);
      else {
        chain.read(controller);
        chain.responseStart(status, headers, message ?? "");
      }
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
      if (this.#chain === undefined) this.#forward.onResponseData?.(controller, chunk);
      else this.#chain.responseData(chunk);
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
      if (this.#chain === undefined) this.#forward.onResponseEnd?.(controller, trailers);
      else this.#chain.responseEnd(trailers);
      return;
    }
    this.#ended = true;
    this.#trailers = trailers;
    this.#wakeReader();
  }

  onResponseError(controller: Controller, error: Error): void {
    if (this.#forward !== undefined) {
      if (!this.#answered) this.forwarded(undefined);
      if (this.#chain === undefined) this.#forward.onResponseError?.(controller, error);
      else this.#chain.fail(error);
      return;
    }
    if (this.#cancelled) return;
    this.#error = error;
    if (this.#response === undefined) this.#settle?.reject(error);
    this.#wakeReader();
  }

  /**
   * Hands this (captured, unread) response to the caller's handler through
   * `chain`: what is buffered now, the rest as it arrives.
   */
  adopt(handler: Handler, chain: ChainController): void {
    const head = this.#head as ResponseHead;
    this.#forward = handler;
    this.#chain = chain;
    this.#answered = true;
    chain.read(this.#controller);
    chain.responseStart(head.status, head.headers, head.message);
    for (const chunk of this.#chunks) chain.responseData(chunk);
    this.#chunks = [];
    if (this.#error !== undefined) chain.fail(this.#error);
    else if (this.#ended) chain.responseEnd(this.#trailers);
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
