import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";

/**
 * The exchange being written now, and the log of what a proxy does below it (wire.ts).
 *
 * @example
 * ```ts
 * const writing: Writing = { current: undefined, wire: new WireLog(hooks) };
 * ```
 */
export interface Writing {
  current: ExchangeLog | undefined;
  readonly wire?: { settled(): void; flush(): void } | undefined;
}

/** A request as it went out: the request line and every header line, in wire order. */
export interface SentRequest {
  readonly method: string;
  readonly url: URL;
  /** `GET /path HTTP/1.1`. */
  readonly requestLine: string;
  readonly headers: ReadonlyArray<readonly [name: string, value: string]>;
}

/** What the transport reports while it works. */
export interface TransportHooks {
  /** Called as a request's headers are written to the socket. */
  onRequest?(sent: SentRequest): void;
  /** Called when a response's status line and headers have arrived. */
  onResponse?(response: Response, sent: SentRequest | undefined): void;
}

type Controller = Dispatcher.DispatchController;

/** Body bytes queued for the reader before the socket is paused: memory stays bounded whatever the size. */
const HIGH_WATER_BYTES = 64 * 1024;
// Fetch §3.1: statuses whose responses never have a body.
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * What one exchange reports to the hooks: the header block undici wrote
 * (from its diagnostics channel) with the framing line it adds after it.
 *
 * @example
 * ```ts
 * const log = new ExchangeLog("GET", url, undefined, hooks, []);
 * log.sent("GET / HTTP/1.1\r\nhost: h\r\nconnection: keep-alive\r\n");
 * ```
 */
export class ExchangeLog {
  #request: SentRequest | undefined;

  constructor(
    private readonly method: string,
    private readonly url: URL,
    private readonly framing: readonly [string, string] | undefined,
    private readonly hooks: TransportHooks,
    /** The headers handed to undici: what is shown if its diagnostics channel stays silent. */
    private readonly given: ReadonlyArray<readonly [string, string]>,
  ) {}

  /** The request as sent, once its headers were written. */
  get request(): SentRequest | undefined {
    return this.#request;
  }

  /** The header block as undici wrote it (`METHOD path HTTP/1.1\r\nname: value\r\n…`). */
  sent(block: string): void {
    if (this.#request !== undefined) return;
    const [requestLine = "", ...lines] = block.split("\r\n").filter((line) => line !== "");
    const headers = lines.map((line): [string, string] => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon), line.slice(colon + 1).trim()];
    });
    if (this.framing !== undefined) headers.push([this.framing[0], this.framing[1]]);
    this.#request = { method: this.method, url: this.url, requestLine, headers };
    this.hooks.onRequest?.(this.#request);
  }

  received(response: Response): void {
    if (this.#request === undefined) {
      const lines = [["host", this.url.host], ["connection", "keep-alive"], ...this.given].map(
        ([n, v]) => `${n}: ${v}`,
      );
      this.sent([`${this.method} ${this.url.pathname}${this.url.search} HTTP/1.1`, ...lines].join("\r\n"));
    }
    this.hooks.onResponse?.(response, this.#request);
  }
}

/**
 * The undici dispatch handler of one request: the answer becomes a web
 * `Response` whose body streams with backpressure (the socket pauses when
 * the reader falls behind) and whose `statusText` is the reason phrase as
 * received, however odd (the `Response` constructor would refuse control
 * characters; the CLI escapes them when it prints).
 *
 * @example
 * ```ts
 * const receiver = new ResponseReceiver("GET", log, signal, writing);
 * dispatcher.dispatch({ origin, path, method: "GET" }, receiver);
 * const response = await receiver.response;
 * ```
 */
export class ResponseReceiver implements Dispatcher.DispatchHandler {
  readonly response: Promise<Response>;
  #resolve!: (response: Response) => void;
  #reject!: (error: unknown) => void;
  #controller: Controller | undefined;
  #stream: ReadableStreamDefaultController<Uint8Array> | undefined;
  #settled = false;
  readonly #onAbort = () => this.#controller?.abort(this.signal?.reason);

  constructor(
    private readonly method: string,
    private readonly log: ExchangeLog,
    private readonly signal: AbortSignal | undefined,
    private readonly writing: Writing,
  ) {
    this.response = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    this.writing.current = this.log;
    if (this.signal?.aborted === true) controller.abort(this.signal.reason);
    else this.signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  onResponseStart(controller: Controller, status: number, headers: IncomingHttpHeaders, message?: string): void {
    if (status < 200 && status !== 101) return;
    if (this.writing.current === this.log) this.writing.current = undefined;
    if (status > 599) {
      controller.abort(new Error(`the server answered with status ${status}, which HTTP does not define`));
      return;
    }
    const nullBody = this.method === "HEAD" || NULL_BODY_STATUSES.has(status);
    const body = nullBody
      ? null
      : new ReadableStream<Uint8Array>(
          {
            start: (stream) => {
              this.#stream = stream;
            },
            pull: () => {
              if (controller.paused) controller.resume();
            },
            cancel: (reason) => controller.abort(reason ?? new Error("the body was not read")),
          },
          { highWaterMark: HIGH_WATER_BYTES, size: (chunk) => chunk.byteLength },
        );
    const response = new Response(body, { status, headers: webHeaders(headers) });
    // Kept as received: a reason phrase is shown (escaped), never parsed.
    Object.defineProperty(response, "statusText", { value: message ?? "", enumerable: true });
    this.#settled = true;
    // The answer the wire log holds is this one, which the hooks show themselves.
    this.writing.wire?.settled();
    this.log.received(response);
    this.#resolve(response);
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    const stream = this.#stream;
    if (stream === undefined) return;
    stream.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if ((stream.desiredSize ?? 0) <= 0) controller.pause();
  }

  onResponseEnd(): void {
    this.signal?.removeEventListener("abort", this.#onAbort);
    this.#stream?.close();
  }

  onResponseError(_controller: Controller, error: Error): void {
    this.signal?.removeEventListener("abort", this.#onAbort);
    // A refusal the proxy answered (a CONNECT's 407) is shown before the error it ends in.
    this.writing.wire?.flush();
    if (this.writing.current === this.log) this.writing.current = undefined;
    const aborted = this.signal?.aborted === true;
    if (!this.#settled) {
      this.#settled = true;
      // As fetch: an abort rejects with the signal's reason, anything else is "fetch failed" with the cause.
      this.#reject(aborted ? this.signal?.reason : new TypeError("fetch failed", { cause: error }));
      return;
    }
    try {
      this.#stream?.error(aborted ? this.signal?.reason : new TypeError("terminated", { cause: error }));
    } catch {
      // The reader already cancelled the body.
    }
  }
}

/** undici's parsed headers as web `Headers` (repeated fields kept); a value the platform refuses is skipped. */
function webHeaders(parsed: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(parsed)) {
    for (const one of Array.isArray(value) ? value : [value ?? ""]) {
      try {
        headers.append(name, one);
      } catch {
        // A NUL or a bare CR: undici's parser lets few through, and fetch would not show them either.
      }
    }
  }
  return headers;
}
