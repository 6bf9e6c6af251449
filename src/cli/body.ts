import { once } from "node:events";
import { ANSI_PALETTE, colourJson, prettyJson } from "./json-format.js";
import type { Terminal } from "./output.js";
import { TerminalText } from "./safe-text.js";

/**
 * How a body is shown (see `--pretty`): `escape` false writes the bytes as
 * received (a pipe, `--pretty=none` when piped); otherwise control
 * characters are escaped, and JSON reformatted and/or coloured.
 *
 * @example
 * ```ts
 * const style: BodyStyle = { escape: true, format: true, colour: false };
 * ```
 */
export interface BodyStyle {
  readonly escape: boolean;
  readonly format: boolean;
  readonly colour: boolean;
}

/**
 * JSON up to this size is pretty-printed on a terminal; a larger body is
 * shown as it came (escaped, streamed), with a note: checking that it is
 * JSON needs the whole text and its parse in memory (about 40 MB for 4 MiB;
 * the formatted output itself is written as it is made), where streaming
 * needs one chunk.
 *
 * @example
 * ```ts
 * if (size > PRETTY_JSON_LIMIT) note("shown as it came, not pretty-printed");
 * ```
 */
export const PRETTY_JSON_LIMIT = 4 * 1024 * 1024;

// Enough of the body to tell text from binary, and JSON from the rest.
const SNIFF_BYTES = 8 * 1024;
// Pretty-printed pieces are gathered into writes of about this size.
const WRITE_BYTES = 64 * 1024;

/**
 * Writes the response body to stdout in bounded memory, whatever its size:
 * the raw bytes without `style.escape` (pipes and files get exactly what the
 * server sent); otherwise JSON up to {@link PRETTY_JSON_LIMIT} pretty-printed
 * and/or coloured as `style` says, anything else streamed as text with
 * control characters escaped (safe-text.ts), and a note on stderr instead of
 * binary data.
 *
 * @example
 * ```ts
 * await writeBody(response, terminal, (note) => diagnostics.say(note), { escape: true, format: true, colour: true });
 * ```
 */
export async function writeBody(
  response: Response,
  terminal: Pick<Terminal, "stdout">,
  note: (text: string) => void,
  style: BodyStyle,
): Promise<void> {
  if (response.body === null) return;
  const reader = response.body.getReader();
  const write = writer(terminal.stdout);
  if (!style.escape) {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) await write(chunk.value);
    return;
  }
  let head = await readAtLeast(reader, SNIFF_BYTES, emptyHead());
  if (head.size === 0) return;
  if (head.chunks.some((chunk) => chunk.includes(0))) {
    await reader.cancel();
    const length = response.headers.get("content-length");
    note(`(binary body${length === null ? "" : ` of ${length} bytes`} not shown on a terminal; redirect it: > FILE)`);
    return;
  }
  if ((style.format || style.colour) && looksJson(response.headers.get("content-type"), head.chunks)) {
    head = await readAtLeast(reader, PRETTY_JSON_LIMIT + 1, head);
    const palette = style.colour ? ANSI_PALETTE : null;
    if (head.done && head.size <= PRETTY_JSON_LIMIT && (await writePretty(head.chunks, palette, style.format, write))) {
      return;
    }
    if (!head.done)
      note(`(JSON body over ${PRETTY_JSON_LIMIT / 1024 / 1024} MiB: shown as it came, not pretty-printed)`);
  }
  await writeText(head.chunks, reader, write);
}

type Write = (chunk: string | Uint8Array) => Promise<void>;

/** Writes to `stream`, waiting for `drain` when its buffer is full: memory stays bounded. */
function writer(stream: Terminal["stdout"]): Write {
  return async (chunk) => {
    if (chunk.length > 0 && !stream.write(chunk)) await once(stream as unknown as NodeJS.EventEmitter, "drain");
  };
}

interface Head {
  readonly chunks: Uint8Array[];
  readonly size: number;
  readonly done: boolean;
}

const emptyHead = (): Head => ({ chunks: [], size: 0, done: false });

/** Reads on until `head` holds at least `bytes` bytes or the body ends. */
async function readAtLeast(reader: ReadableStreamDefaultReader<Uint8Array>, bytes: number, head: Head): Promise<Head> {
  const chunks = [...head.chunks];
  let size = head.size;
  let done = head.done;
  while (!done && size < bytes) {
    const chunk = await reader.read();
    if (chunk.done) done = true;
    else {
      chunks.push(chunk.value);
      size += chunk.value.length;
    }
  }
  return { chunks, size, done };
}

/** A JSON media type (RFC 6839 `+json` included), or a body that opens with `{` or `[`. */
function looksJson(contentType: string | null, chunks: readonly Uint8Array[]): boolean {
  if (contentType !== null && /json/i.test(contentType)) return true;
  for (const chunk of chunks) {
    for (const byte of chunk) {
      if (byte === 0x7b || byte === 0x5b) return true;
      if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return false;
    }
  }
  return false;
}

/** The whole body pretty-printed; false when it is not JSON after all. */
async function writePretty(
  chunks: readonly Uint8Array[],
  palette: typeof ANSI_PALETTE | null,
  format: boolean,
  write: Write,
): Promise<boolean> {
  const text = new TextDecoder().decode(Buffer.concat(chunks));
  const pieces = format || palette === null ? prettyJson(text, palette) : colourJson(text, palette);
  if (pieces === undefined) return false;
  let batch = "";
  let last = "";
  for (const piece of pieces) {
    batch += piece;
    if (piece !== "") last = piece;
    if (batch.length >= WRITE_BYTES) {
      await write(batch);
      batch = "";
    }
  }
  await write(last.endsWith("\n") ? batch : `${batch}\n`);
  return true;
}

/** The body as text, chunk by chunk, escaped for the terminal; a final line break if it has none. */
async function writeText(
  head: readonly Uint8Array[],
  reader: ReadableStreamDefaultReader<Uint8Array>,
  write: Write,
): Promise<void> {
  const text = new TerminalText();
  let last = "";
  const show = async (shown: string) => {
    if (shown.length > 0) last = shown;
    await write(shown);
  };
  for (const chunk of head) await show(text.push(chunk));
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) await show(text.push(chunk.value));
  await show(text.end());
  if (last !== "" && !last.endsWith("\n")) await write("\n");
}
