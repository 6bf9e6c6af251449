import { BodyNotReplayableError } from "../errors.js";

/**
 * A request body as authflow accepts it: anything `fetch` takes, plus an
 * async iterable of bytes, plus a factory `() => body` that is called again
 * whenever the body must be re-sent (the cheapest way to make a large stream
 * replayable).
 *
 * @example
 * ```ts
 * await client.put("/upload", { body: () => createReadStream("big.bin") as any });
 * ```
 */
export type RequestBody = BodyInit | AsyncIterable<Uint8Array> | (() => BodyInit | AsyncIterable<Uint8Array>);

/**
 * The one place that knows how to send a body again. Static bodies (string,
 * bytes, Blob, URLSearchParams, FormData) are re-sent as they are; a factory is
 * called again; a stream is recorded while it is sent, up to `maxReplayBytes`.
 */
export interface BodySource {
  /** The body for the first send; null for no body. */
  first(): BodyInit | null;
  /** The body for the next send. Throws BodyNotReplayableError when that is impossible. */
  replay(): Promise<BodyInit | null>;
  /** Releases an unfinished one-shot stream. */
  dispose(): void;
  /** True when the body is a stream (the Request needs `duplex: "half"`). */
  readonly streaming: boolean;
}

const NO_BODY: BodySource = {
  first: () => null,
  replay: async () => null,
  dispose() {},
  streaming: false,
};

/** Builds the {@link BodySource} for `body`. */
export function bodySource(body: RequestBody | null | undefined, maxReplayBytes: number): BodySource {
  if (body === null || body === undefined) return NO_BODY;
  if (typeof body === "function") return factorySource(body);
  if (isStream(body) || isAsyncIterable(body)) return new RecordedStream(toStream(body), maxReplayBytes);
  const fixed = body as BodyInit;
  return { first: () => fixed, replay: async () => fixed, dispose() {}, streaming: false };
}

/** A body source with no body (a 303 turned the request into a GET). */
export function emptyBodySource(): BodySource {
  return NO_BODY;
}

function factorySource(factory: () => BodyInit | AsyncIterable<Uint8Array>): BodySource {
  const make = (): BodyInit => {
    const body = factory();
    return isAsyncIterable(body) ? toStream(body) : body;
  };
  return { first: make, replay: async () => make(), dispose() {}, streaming: true };
}

function isStream(body: unknown): body is ReadableStream<Uint8Array> {
  return typeof ReadableStream !== "undefined" && body instanceof ReadableStream;
}

function isAsyncIterable(body: unknown): body is AsyncIterable<Uint8Array> {
  return typeof body === "object" && body !== null && Symbol.asyncIterator in body && !isStream(body);
}

function toStream(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  if (isStream(body)) return body;
  const iterator = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const step = await iterator.next();
      if (step.done) controller.close();
      else controller.enqueue(step.value);
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  });
}

/**
 * A one-shot stream, recorded while it is sent. The copy keeps at most
 * `limit` bytes; past that the body can no longer be replayed. If the server
 * answered before reading it all (a 401 before the upload finished), the rest
 * is read from the source into the copy on replay, still within `limit`.
 */
class RecordedStream implements BodySource {
  readonly streaming = true;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #limit: number;
  readonly #chunks: Uint8Array[] = [];
  #recorded = 0;
  #overflowed = false;
  #done = false;
  #started = false;

  constructor(stream: ReadableStream<Uint8Array>, limit: number) {
    this.#reader = stream.getReader();
    this.#limit = limit;
  }

  first(): BodyInit {
    this.#started = true;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const chunk = await this.#read();
        if (chunk === null) controller.close();
        else controller.enqueue(chunk);
      },
      // The transport gave up on this copy; keep the source for a replay.
      cancel: () => {},
    });
  }

  async replay(): Promise<BodyInit> {
    if (!this.#started) return this.first();
    while (!this.#done && !this.#overflowed) await this.#read();
    if (this.#overflowed) {
      this.dispose();
      throw new BodyNotReplayableError(
        `the request body is a stream larger than maxReplayBytes (${this.#limit} bytes) and must be sent again ` +
          "(after an authentication challenge or a 307/308 redirect). Nothing was re-sent. Pass the body as bytes, " +
          "a Blob or a factory function (() => stream), raise maxReplayBytes, or prime the challenge with a small request first.",
      );
    }
    const bytes = new Uint8Array(this.#recorded);
    let offset = 0;
    for (const chunk of this.#chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    return bytes;
  }

  dispose(): void {
    if (!this.#done) {
      this.#done = true;
      this.#reader.cancel().catch(() => {});
    }
    this.#chunks.length = 0;
  }

  async #read(): Promise<Uint8Array | null> {
    if (this.#done) return null;
    const step = await this.#reader.read();
    if (step.done) {
      this.#done = true;
      return null;
    }
    const chunk = step.value;
    if (!this.#overflowed) {
      this.#recorded += chunk.length;
      if (this.#recorded > this.#limit) {
        this.#overflowed = true;
        this.#chunks.length = 0;
      } else {
        this.#chunks.push(chunk);
      }
    }
    return chunk;
  }
}
