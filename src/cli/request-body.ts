/**
 * The request body from curl's flags (`-d`, `--data-urlencode`, `-F`) or
 * httpie's items: what is sent, with which Content-Type and length, and what
 * `--print B` shows of it. Files are sent from disk (`fs.openAsBlob`), never
 * read whole into memory when they are the body.
 */
import { openAsBlob } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import { mediaTypeOf } from "./media-types.js";
import { type MultipartPart, multipartBody } from "./multipart.js";
import { UsageError } from "./usage.js";

/** One `-d` or `--data-urlencode` value. */
export type DataPart =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "stdin" };

/** One multipart field (`-F`, or an item when a file is uploaded). */
export type FormField =
  | { readonly kind: "text"; readonly name: string; readonly value: string }
  | { readonly kind: "text-file"; readonly name: string; readonly path: string }
  | {
      readonly kind: "file";
      readonly name: string;
      readonly path: string;
      readonly type: string | undefined;
      readonly filename: string | undefined;
    };

/** One member of a JSON object built from items. */
export type JsonMember =
  | { readonly kind: "value"; readonly name: string; readonly value: unknown }
  | { readonly kind: "text-file"; readonly name: string; readonly path: string }
  | { readonly kind: "json-file"; readonly name: string; readonly path: string };

/** The body a command line asks for, before any file is read. */
export type BodySpec =
  | { readonly kind: "none" }
  | { readonly kind: "data"; readonly parts: readonly DataPart[] }
  | { readonly kind: "multipart"; readonly fields: readonly FormField[] }
  | { readonly kind: "json"; readonly members: readonly JsonMember[] };

/** A body ready to send. */
export interface PreparedBody {
  readonly body: string | Uint8Array<ArrayBuffer> | Blob | ReadableStream<Uint8Array> | undefined;
  /** The default Content-Type (a `-H Content-Type` replaces it). */
  readonly contentType: string | undefined;
  /** Bytes, when known before sending: sent as Content-Length. */
  readonly length: number | undefined;
  /** What `--print B` shows: the text, or a line saying what the bytes are. */
  readonly shown: string | undefined;
}

const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";

/**
 * Reads the flags' files and stdin as needed and builds the body.
 *
 * @throws UsageError when a file cannot be read or the parts do not fit together.
 * @example
 * ```ts
 * await prepareBody({ kind: "data", parts: [{ kind: "text", text: "a=1" }] }, { json: false, stdin });
 * // { body: "a=1", contentType: "application/x-www-form-urlencoded", length: 3, shown: "a=1" }
 * ```
 */
export async function prepareBody(
  spec: BodySpec,
  context: { readonly json: boolean; readonly stdin: AsyncIterable<Uint8Array | string> },
): Promise<PreparedBody> {
  switch (spec.kind) {
    case "none":
      return { body: undefined, contentType: undefined, length: undefined, shown: undefined };
    case "data":
      return dataBody(spec.parts, context);
    case "multipart":
      return formBody(spec.fields);
    case "json":
      return jsonBody(spec.members);
  }
}

async function dataBody(
  parts: readonly DataPart[],
  context: { readonly json: boolean; readonly stdin: AsyncIterable<Uint8Array | string> },
): Promise<PreparedBody> {
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only?.kind === "file") {
    const file = await openFile(only.path, "-d");
    if (file !== undefined) {
      const type = context.json ? JSON_TYPE : (mediaTypeOf(only.path) ?? FORM);
      return {
        body: file,
        contentType: type,
        length: file.size,
        shown: `(the contents of ${only.path}, ${file.size} bytes)`,
      };
    }
  }
  const type = context.json ? JSON_TYPE : FORM;
  if (only?.kind === "stdin") {
    // Streamed: a large body from a pipe is never held whole (the auth flow keeps 1 MiB to resend).
    const stream = streamOf(bytesOf(context.stdin));
    return { body: stream, contentType: type, length: undefined, shown: "(the body read from stdin)" };
  }
  if (context.json && parts.length > 1) throw new UsageError("--json sends one JSON text: give -d once");
  const pieces: Uint8Array[] = [];
  for (const part of parts) {
    if (pieces.length > 0) pieces.push(new Uint8Array([0x26])); // &, as curl joins repeated -d
    if (part.kind === "text") pieces.push(new TextEncoder().encode(part.text));
    else if (part.kind === "file") pieces.push(await readWhole(part.path, "-d"));
    else pieces.push(await readStdin(context.stdin));
  }
  const bytes = new Uint8Array(Buffer.concat(pieces));
  return { body: bytes, contentType: type, length: bytes.length, shown: new TextDecoder().decode(bytes) };
}

async function formBody(fields: readonly FormField[]): Promise<PreparedBody> {
  const parts: MultipartPart[] = [];
  const shown: string[] = [];
  for (const field of fields) {
    if (field.kind === "text") {
      parts.push({ name: field.name, value: field.value });
      shown.push(`${field.name}=${field.value}`);
    } else if (field.kind === "text-file") {
      const value = new TextDecoder().decode(await readWhole(field.path, "-F"));
      parts.push({ name: field.name, value });
      shown.push(`${field.name}=(the text of ${field.path})`);
    } else {
      const type = field.type ?? mediaTypeOf(field.path) ?? "application/octet-stream";
      const file = (await openFile(field.path, "-F")) ?? new Blob([await readWhole(field.path, "-F")]);
      parts.push({ name: field.name, file, filename: field.filename ?? basename(field.path), type });
      shown.push(`${field.name}=(the file ${field.path}, ${file.size} bytes, ${type})`);
    }
  }
  const { body, contentType } = multipartBody(parts);
  return { body, contentType, length: body.size, shown: `(multipart/form-data: ${shown.join("; ")})` };
}

async function jsonBody(members: readonly JsonMember[]): Promise<PreparedBody> {
  const object: Record<string, unknown> = {};
  for (const member of members) {
    let value: unknown;
    if (member.kind === "value") value = member.value;
    else {
      const text = new TextDecoder().decode(await readWhole(member.path, "a request item"));
      value = member.kind === "text-file" ? text : parseJsonFile(text, member.path);
    }
    // httpie's rule: a name given twice makes an array.
    const previous = object[member.name];
    if (!Object.hasOwn(object, member.name)) object[member.name] = value;
    else object[member.name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  const text = JSON.stringify(object);
  return { body: text, contentType: JSON_TYPE, length: Buffer.byteLength(text), shown: text };
}

function parseJsonFile(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${path} (a :=@ request item) is not JSON`);
  }
}

/** A regular file as a Blob read from disk when sent; undefined for a pipe or a device (read whole instead). */
async function openFile(path: string, flag: string): Promise<Blob | undefined> {
  try {
    if (!(await stat(path)).isFile()) return undefined;
    return await openAsBlob(path);
  } catch (error) {
    throw unreadable(path, flag, error);
  }
}

async function readWhole(path: string, flag: string): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw unreadable(path, flag, error);
  }
}

function unreadable(path: string, flag: string, error: unknown): UsageError {
  return new UsageError(`${flag} @${path}: cannot read the file (${(error as { code?: string }).code ?? "error"})`);
}

async function* bytesOf(stdin: AsyncIterable<Uint8Array | string>): AsyncGenerator<Uint8Array> {
  for await (const chunk of stdin) yield typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
}

/** A pull stream over an async iterator: nothing is read before the request asks for it. */
function streamOf(chunks: AsyncIterator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done === true) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await chunks.return?.();
    },
  });
}

async function readStdin(stdin: AsyncIterable<Uint8Array | string>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of bytesOf(stdin)) chunks.push(chunk);
  return Buffer.concat(chunks);
}
