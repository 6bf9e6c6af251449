import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";

type Handler = Dispatcher.DispatchHandler;
type Controller = Dispatcher.DispatchController;

/**
 * The controller the caller's handler holds while authflow works for it —
 * one for the whole exchange, whichever dispatch is current — and the only
 * way authflow talks to that handler. It keeps undici's handler contract as
 * undici's own request does: the handler hears `onRequestStart` once, then
 * either its response or exactly one `onResponseError`; an error thrown by
 * the handler aborts the exchange (undici's redirect handler throws on a
 * `javascript:` Location or a redirect loop); and `abort` always settles it,
 * at once, whatever authflow is waiting for (the guard, a token, a server).
 *
 * @example
 * ```ts
 * const chain = new ChainController(handler);
 * chain.start({});
 * chain.abort(new Error("gone")); // handler.onResponseError(chain, error), once
 * ```
 */
export class ChainController implements Controller {
  readonly #handler: Handler | undefined;
  readonly #abort = new AbortController();
  #reason: Error | null = null;
  #started = false;
  /** The handler heard its last word: the end of a response, or an error. */
  #finished = false;
  #paused = false;
  #inFlight: Controller | undefined;
  #reading: Controller | undefined;
  #resumed: (() => void) | undefined;

  /** @param handler the caller's handler; none when authflow only reports an error through it */
  constructor(handler?: Handler) {
    this.#handler = handler;
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
  /** Aborts when the exchange aborts; handed to the flow as `Request.signal` and to every wait. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }
  /** Whether the caller's handler has heard the end of the exchange. */
  get finished(): boolean {
    return this.#finished;
  }

  abort(reason?: Error): void {
    if (this.#reason !== null) return;
    this.#reason = reason ?? new DOMException("The operation was aborted.", "AbortError");
    this.#inFlight?.abort(this.#reason);
    this.#abort.abort(this.#reason);
    this.#wakeResumed();
    this.fail(this.#reason);
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

  /** Tells the handler the exchange started (once: later calls, from later dispatches, are dropped). */
  start(context: unknown): void {
    if (this.#started || this.#finished) return;
    this.#started = true;
    this.#call(() => this.#handler?.onRequestStart?.(this, context));
  }
  upgrade(status: number, headers: IncomingHttpHeaders, socket: never): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#call(() => this.#handler?.onRequestUpgrade?.(this, status, headers, socket));
  }
  responseStart(status: number, headers: IncomingHttpHeaders, message: string): void {
    if (this.#finished) return;
    this.#call(() => this.#handler?.onResponseStart?.(this, status, headers, message));
  }
  responseData(chunk: Buffer): void {
    if (this.#finished) return;
    this.#call(() => this.#handler?.onResponseData?.(this, chunk));
  }
  responseEnd(trailers: IncomingHttpHeaders): void {
    if (this.#finished || this.#reason !== null) return;
    this.#finished = true;
    try {
      this.#handler?.onResponseEnd?.(this, trailers);
    } catch (error) {
      // As undici does when onComplete throws: the handler hears the error instead.
      this.#finished = false;
      this.abort(asError(error));
    }
  }
  /** Ends the exchange with `error` (once; nothing after the end of a response). */
  fail(error: Error): void {
    if (this.#finished) return;
    this.#finished = true;
    try {
      this.#handler?.onResponseError?.(this, error);
    } catch {
      // The handler's own error handler threw: there is no one left to tell.
    }
  }

  #call(deliver: () => void): void {
    try {
      deliver();
    } catch (error) {
      this.abort(asError(error));
    }
  }

  #wakeResumed(): void {
    const wake = this.#resumed;
    this.#resumed = undefined;
    wake?.();
  }
}

/** `value` as an Error (a handler may throw anything). */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
