/**
 * The Fetch standard turns any 407 into a network error (§4.5 HTTP-network-
 * or-cache fetch, step 14: no window to prompt in), so through fetch a
 * proxy's final 407 would reach `Client` as a bare "fetch failed". The
 * Client's own transport therefore has the proxy dispatcher hand a final 407
 * to fetch as status 599 whose status text is a token only this transport
 * knows (the status line is what every undici's fetch passes on as given),
 * and turns it back into the proxy's 407 Response: the contract's "a final
 * 407 on a plain request is returned as the response".
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";

type Handler = Dispatcher.DispatchHandler;
type Controller = Dispatcher.DispatchController;

/** The status a final 407 travels through fetch as; its status text is the transport's token. */
export const CARRIER_STATUS = 599;

/**
 * A handler that passes a 407 on as {@link CARRIER_STATUS}, the token as its status text.
 *
 * @example
 * ```ts
 * pool.dispatch(options, new CarriedRefusal(handler, token));
 * ```
 */
export class CarriedRefusal implements Handler {
  readonly #inner: Handler;
  readonly #token: string;

  constructor(inner: Handler, token: string) {
    this.#inner = inner;
    this.#token = token;
  }

  onRequestStart(controller: Controller, context: unknown): void {
    this.#inner.onRequestStart?.(controller, context);
  }
  onRequestUpgrade(controller: Controller, status: number, headers: IncomingHttpHeaders, socket: never): void {
    this.#inner.onRequestUpgrade?.(controller, status, headers, socket);
  }
  onResponseStart(controller: Controller, status: number, headers: IncomingHttpHeaders, message: string): void {
    if (status !== 407) {
      this.#inner.onResponseStart?.(controller, status, headers, message);
      return;
    }
    this.#inner.onResponseStart?.(controller, CARRIER_STATUS, headers, this.#token);
  }
  onResponseData(controller: Controller, chunk: Buffer): void {
    this.#inner.onResponseData?.(controller, chunk);
  }
  onResponseEnd(controller: Controller, trailers: IncomingHttpHeaders): void {
    this.#inner.onResponseEnd?.(controller, trailers);
  }
  onResponseError(controller: Controller, error: Error): void {
    this.#inner.onResponseError?.(controller, error);
  }
}

/**
 * The proxy's 407 again from a carried response; any other response as it is.
 *
 * @example
 * ```ts
 * const response = restoreRefusal(await fetch(url, { dispatcher }), token);
 * ```
 */
export function restoreRefusal(response: Response, token: string): Response {
  if (response.status !== CARRIER_STATUS || response.statusText !== token) return response;
  return new Response(response.body, {
    status: 407,
    statusText: "Proxy Authentication Required",
    headers: response.headers,
  });
}
