import type { IncomingMessage } from "node:http";
import type { ServerStats } from "./router.js";

/** What reading a request body came to: the bytes, a refusal to answer with, or a client that went away. */
export type BodyOutcome =
  | { readonly kind: "read"; readonly body: Buffer }
  | { readonly kind: "refused"; readonly status: 413 | 503 }
  | { readonly kind: "aborted" };

const EMPTY = Buffer.alloc(0);

/**
 * The server-wide budget for buffered request bodies. Every byte a route
 * reads is reserved here before it is kept; a body that would take the total
 * over `total` is refused (503) and its bytes released at once, so however
 * many uploads are in flight, paused or not, the server holds at most `total`
 * bytes of them. `stats.bodyBytesBuffered` is the live count.
 *
 * @example
 * ```ts
 * const budget = new BodyBudget(stats, 8 * 1024 * 1024);
 * const outcome = await budget.read(request, 1024 * 1024);
 * if (outcome.kind === "read") try { use(outcome.body) } finally { budget.release(outcome.body.length) }
 * ```
 */
export class BodyBudget {
  readonly #stats: ServerStats;
  readonly #total: number;

  constructor(stats: ServerStats, total: number) {
    this.#stats = stats;
    this.#total = total;
  }

  /** Reads the body, at most `limit` bytes; the caller releases the bytes of a `read` outcome when done. */
  read(request: IncomingMessage, limit: number): Promise<BodyOutcome> {
    const declared = declaredLength(request);
    // Refused before a byte is read when Content-Length already says it will not fit.
    if (declared !== undefined && declared > limit) return Promise.resolve(this.#refuse(request, 413));
    if (declared !== undefined && this.#stats.bodyBytesBuffered + declared > this.#total) {
      return Promise.resolve(this.#refuse(request, 503));
    }
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = (outcome: BodyOutcome) => {
        request.off("data", onData).off("end", onEnd).off("close", onClose);
        if (outcome.kind !== "read") this.release(size);
        resolve(outcome);
      };
      const onData = (chunk: Buffer) => {
        if (size + chunk.length > limit) return finish(this.#refuse(request, 413));
        if (!this.#reserve(chunk.length)) return finish(this.#refuse(request, 503));
        size += chunk.length;
        chunks.push(chunk);
      };
      const onEnd = () =>
        finish({ kind: "read", body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) });
      // Closed before the end: the client went away, or the request timeout cut a stalled upload.
      const onClose = () => finish({ kind: "aborted" });
      request.on("data", onData).on("end", onEnd).on("close", onClose);
    });
  }

  /** Gives back `bytes` reserved by a `read` outcome. */
  release(bytes: number): void {
    this.#stats.bodyBytesBuffered -= bytes;
  }

  #reserve(bytes: number): boolean {
    const stats = this.#stats;
    if (stats.bodyBytesBuffered + bytes > this.#total) return false;
    stats.bodyBytesBuffered += bytes;
    stats.bodyBytesBufferedPeak = Math.max(stats.bodyBytesBufferedPeak, stats.bodyBytesBuffered);
    return true;
  }

  #refuse(request: IncomingMessage, status: 413 | 503): BodyOutcome {
    this.#stats.bodiesRefused += 1;
    void discardBody(request);
    return { kind: "refused", status };
  }
}

/**
 * Pulls the rest of the body off the wire and drops it (nothing is kept), so
 * the connection can carry the next request; resolves at its end or when the
 * connection closes.
 *
 * @example
 * ```ts
 * await discardBody(request);
 * ```
 */
export function discardBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    if (request.readableEnded || request.destroyed) {
      resolve(EMPTY);
      return;
    }
    const done = () => {
      request.off("end", done).off("close", done);
      resolve(EMPTY);
    };
    request.on("end", done).on("close", done);
    request.resume();
  });
}

/** Content-Length as a number, or undefined (chunked, absent, or not a plain decimal). */
function declaredLength(request: IncomingMessage): number | undefined {
  const value = request.headers["content-length"];
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}
