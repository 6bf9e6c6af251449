/**
 * The exact bytes of a request body for `qop=auth-int` (RFC 7616 §3.4.3:
 * A2 ends with H(entity-body)), read from a clone so the request itself is
 * still sent as it is.
 */
export interface BodyBytes {
  /** The body's bytes, or undefined when it was larger than the limit. */
  read(): Promise<Uint8Array | undefined>;
  /** Stops recording and frees the clone. */
  dispose(): void;
}

const EMPTY = new Uint8Array(0);

/** For a request with no body: H(entity-body) is the hash of zero bytes. */
export const NO_BODY: BodyBytes = { read: async () => EMPTY, dispose() {} };

/** Bytes already read. */
export function fixedBody(bytes: Uint8Array): BodyBytes {
  return { read: async () => bytes, dispose() {} };
}

/**
 * Starts recording `request`'s body from a clone, up to `limit` bytes, while
 * the request itself goes out. Needed before the first send when the challenge
 * (and so whether auth-int is wanted) is not known yet: once sent, a body
 * cannot be read again. Past `limit` the recording stops and frees its memory.
 */
export function recordBody(request: Request, limit: number): BodyBytes {
  const stream = request.body === null ? null : request.clone().body;
  if (stream === null) return NO_BODY;
  const reader = stream.getReader();
  const recording = collect(reader, limit);
  return {
    read: () => recording,
    dispose() {
      reader.cancel().catch(() => {});
    },
  };
}

async function collect(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  limit: number,
): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const step = await reader.read();
      if (step.done) break;
      size += step.value.byteLength;
      if (size > limit) {
        chunks.length = 0;
        // Not awaited: a tee'd copy's cancel settles only once the request's own body is read or cancelled.
        reader.cancel().catch(() => {});
        return undefined;
      }
      chunks.push(step.value);
    }
  } catch {
    return undefined;
  }
  return concat(chunks, size);
}

/** Reads a body that has not been sent yet, in full (the preemptive auth-int path). */
export async function readBody(request: Request): Promise<Uint8Array> {
  if (request.body === null) return EMPTY;
  return new Uint8Array(await request.clone().arrayBuffer());
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
