/**
 * How the CLI sends: undici's dispatcher, not the platform's fetch. fetch is
 * a browser API: it adds headers a browser sends (`accept-language: *`,
 * `sec-fetch-mode: cors`, `accept-encoding`, `user-agent: node`) and refuses
 * the Fetch standard's "bad ports" (6000, 6665–6669…). A command-line client
 * sends what it is told, and `-v` shows the header block exactly as it went
 * on the wire (undici's `undici:client:sendHeaders` diagnostics channel), the
 * framing line (`content-length` or `transfer-encoding`) included.
 */
import { channel } from "node:diagnostics_channel";
import { Readable } from "node:stream";
import type { Agent, Dispatcher } from "undici";
import type { ResolvedTls } from "../engine/tls.js";
import { tlsFailure } from "../engine/tls-failure.js";
import { AuthflowError, type FetchLike } from "../index.js";
import { undiciModule } from "../node/undici-runtime.js";
import {
  ExchangeLog,
  ResponseReceiver,
  type SentRequest,
  type TransportHooks,
  type Writing,
} from "./transport-response.js";
import { WireLog } from "./wire.js";

export type { SentRequest, TransportHooks };

/** Options of {@link createTransport}. */
export interface TransportOptions {
  /** Longest wait for a connection (TCP and TLS), in ms; undefined for undici's default (10 s). */
  readonly connectTimeoutMs?: number;
  /** Another dispatcher (a proxy agent, a TLS-configured agent); the transport does not close it. */
  readonly dispatcher?: Dispatcher | undefined;
  /** The TLS options the dispatcher applies: a certificate failure is then named by what was given. */
  readonly tls?: ResolvedTls | undefined;
  /**
   * Hooks for the exchanges a proxy dispatcher makes below the CLI's own
   * requests (a CONNECT, a request sent again with Proxy-Authorization after a 407), for `-v`.
   */
  readonly wire?: TransportHooks | undefined;
}

/** A fetch-compatible function over undici, and how to let go of its connections. */
export interface Transport {
  /** Sends with `hooks` watching (a second caller may watch with other hooks: same connections). */
  fetch(hooks?: TransportHooks): FetchLike;
  close(): Promise<void>;
}

/** Request bodies up to this size are read first, to be sent with a Content-Length (not chunked). */
const BUFFERED_BODY_BYTES = 1024 * 1024;
// undici adds `content-length: 0` to these methods when they carry no body.
const EXPECTS_PAYLOAD = new Set(["PUT", "POST", "PATCH", "QUERY", "PROPFIND", "PROPPATCH"]);

const sendHeaders = channel("undici:client:sendHeaders");

/**
 * A transport for one CLI run.
 *
 * @example
 * ```ts
 * const transport = createTransport({ connectTimeoutMs: 30_000 });
 * const client = new Client({ fetch: transport.fetch({ onRequest: (sent) => log(sent) }) });
 * await transport.close();
 * ```
 */
export function createTransport(options: TransportOptions = {}): Transport {
  // Loaded as the library's Node transport loads it: one undici, and a clear error when it is missing.
  const own =
    options.dispatcher === undefined
      ? new (undiciModule().Agent)(
          options.connectTimeoutMs === undefined ? {} : { connect: { timeout: options.connectTimeoutMs } },
        )
      : undefined;
  const dispatcher: Dispatcher = options.dispatcher ?? (own as Agent);
  // The dispatch whose socket is being written right now: undici publishes its header block synchronously then.
  const wire = options.wire === undefined ? undefined : new WireLog(options.wire);
  const writing: Writing = { current: undefined, wire };
  const onHeaders = (message: unknown) => {
    const { headers, request } = message as { headers?: unknown; request?: object };
    const log = writing.current;
    if (log !== undefined && log.request === undefined) {
      // An answer held (a CONNECT's 200) came before this request: shown first.
      wire?.flush();
      log.sent(String(headers));
    } else if (request !== undefined) wire?.block(request, String(headers));
  };
  sendHeaders.subscribe(onHeaders);
  return {
    fetch: (hooks = {}) => {
      return (request, init) =>
        send(dispatcher, request, init?.signal ?? request.signal, hooks, writing).catch((error: unknown) => {
          throw named(error, request.url, options.tls);
        });
    },
    async close() {
      sendHeaders.unsubscribe(onHeaders);
      wire?.close();
      await own?.destroy();
    },
  };
}

async function send(
  dispatcher: Dispatcher,
  request: Request,
  signal: AbortSignal | null | undefined,
  hooks: TransportHooks,
  writing: Writing,
): Promise<Response> {
  signal?.throwIfAborted();
  const url = new URL(request.url);
  const headers = [...request.headers].filter(([name]) => name !== "content-length" || request.body !== null);
  const body = request.body === null ? undefined : await readBody(request.body);
  const declared = request.headers.get("content-length");
  const framing = framingLine(request.method, body, declared);
  const log = new ExchangeLog(request.method, url, framing, hooks, headers);
  const receiver = new ResponseReceiver(request.method, log, signal ?? undefined, writing);
  const flat = headers.flat();
  try {
    dispatcher.dispatch(
      {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: request.method as Dispatcher.HttpMethod,
        headers: flat,
        ...(body === undefined
          ? {}
          : {
              body:
                body instanceof Uint8Array
                  ? Buffer.from(body.buffer, body.byteOffset, body.byteLength)
                  : Readable.from(body, { objectMode: false }),
            }),
      },
      receiver,
    );
  } catch (error) {
    // undici refuses some headers outright (Transfer-Encoding, Expect, a second Host): say so as fetch would.
    throw new TypeError("fetch failed", { cause: error });
  }
  return receiver.response;
}

/**
 * A failure as the library names it: a proxy's refusal (ProxyError), the
 * plain-HTTP rule or the guard are the error itself, not "fetch failed"; a
 * certificate problem a TlsError saying which option fixes it.
 */
function named(error: unknown, url: string, tls: ResolvedTls | undefined): unknown {
  const inner = (error as { cause?: unknown } | null)?.cause;
  if (inner instanceof AuthflowError) return inner;
  return tlsFailure(error, new URL(url).origin, tls) ?? error;
}

/** A body of known size as bytes; a larger one as a stream of what was read and the rest. */
async function readBody(stream: ReadableStream<Uint8Array>): Promise<Uint8Array | AsyncIterable<Uint8Array>> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size <= BUFFERED_BODY_BYTES) {
    const chunk = await reader.read();
    if (chunk.done) return Buffer.concat(chunks);
    chunks.push(chunk.value);
    size += chunk.value.length;
  }
  return (async function* rest() {
    yield* chunks;
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) yield chunk.value;
  })();
}

/** The line undici adds after the headers it was given, as client-h1.js decides it. */
function framingLine(
  method: string,
  body: Uint8Array | AsyncIterable<Uint8Array> | undefined,
  declared: string | null,
): readonly [string, string] | undefined {
  if (body === undefined || body instanceof Uint8Array) {
    const length = body?.length ?? 0;
    if (length === 0 && !EXPECTS_PAYLOAD.has(method)) return undefined;
    return ["content-length", String(length)];
  }
  return declared === null ? ["transfer-encoding", "chunked"] : ["content-length", declared];
}
