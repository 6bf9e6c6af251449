/**
 * What `-v` shows besides the requests the CLI sends itself: the exchanges a
 * proxy dispatcher makes on their behalf — a `CONNECT` and its answer, a
 * request sent again with `Proxy-Authorization` after a 407 — read from
 * undici's diagnostics channels, in the order they happen. A response is
 * held until the next header block is written (it was an interim answer: a
 * 407, a CONNECT's 200) or the CLI's own request gets its answer (it was
 * that answer, which the CLI shows itself).
 */
import { channel } from "node:diagnostics_channel";
import type { SentRequest, TransportHooks } from "./transport-response.js";

const responseHeaders = channel("undici:request:headers");

interface WireRequest {
  readonly method?: unknown;
  readonly origin?: unknown;
  readonly path?: unknown;
}

interface WireResponse {
  readonly statusCode: number;
  readonly statusText?: string;
  readonly headers: ReadonlyArray<Buffer | string>;
}

/**
 * The log of the exchanges below the CLI's own.
 *
 * @example
 * ```ts
 * const wire = new WireLog(hooks);
 * wire.block(request, "CONNECT h:443 HTTP/1.1\r\nhost: h:443\r\n");
 * wire.close();
 * ```
 */
export class WireLog {
  #pending: { response: Response; sent: SentRequest | undefined } | undefined;
  readonly #sent = new WeakMap<object, SentRequest>();
  readonly #onResponse = (message: unknown) => this.#response(message as { request: object; response: WireResponse });

  constructor(private readonly hooks: TransportHooks) {
    responseHeaders.subscribe(this.#onResponse);
  }

  /** A header block written that is not the first of the CLI's own request. */
  block(request: WireRequest & object, block: string): void {
    this.flush();
    const [requestLine = "", ...lines] = block.split("\r\n").filter((line) => line !== "");
    const headers = lines.map((line): [string, string] => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon), line.slice(colon + 1).trim()];
    });
    const sent: SentRequest = { method: String(request.method ?? ""), url: urlOf(request), requestLine, headers };
    this.#sent.set(request, sent);
    this.hooks.onRequest?.(sent);
  }

  /** The CLI's own request got its answer: the response held is that one. */
  settled(): void {
    this.#pending = undefined;
  }

  /** Shows the response held, if any (an interim answer, or a refusal that ends the request). */
  flush(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined) this.hooks.onResponse?.(pending.response, pending.sent);
  }

  close(): void {
    this.flush();
    responseHeaders.unsubscribe(this.#onResponse);
  }

  #response(message: { request: object; response: WireResponse }): void {
    this.flush();
    const { statusCode, statusText, headers } = message.response;
    if (statusCode < 200 || statusCode > 599) return;
    const response = new Response(null, { status: statusCode, headers: webHeaders(headers) });
    Object.defineProperty(response, "statusText", { value: statusText ?? "", enumerable: true });
    this.#pending = { response, sent: this.#sent.get(message.request) };
  }
}

/** Where a block went: the absolute URL of a proxied request, the proxy for a CONNECT. */
function urlOf(request: WireRequest): URL {
  const origin = String(request.origin ?? "http://invalid");
  const path = String(request.path ?? "/");
  try {
    return /^https?:\/\//i.test(path) ? new URL(path) : new URL(origin);
  } catch {
    return new URL("http://invalid");
  }
}

/** undici's raw header list (`[name, value, …]`) as web Headers; a value the platform refuses is skipped. */
function webHeaders(raw: ReadonlyArray<Buffer | string>): Headers {
  const headers = new Headers();
  for (let index = 0; index + 1 < raw.length; index += 2) {
    try {
      headers.append(String(raw[index]), String(raw[index + 1]));
    } catch {
      // A NUL or a bare CR in a proxy's header: not shown, as fetch would not show it.
    }
  }
  return headers;
}
