/**
 * multipart/form-data bodies (RFC 7578), built as a `Blob` whose file parts
 * stay on disk (`fs.openAsBlob`): the size is known up front, so the body goes
 * out with a Content-Length (servers that refuse chunked uploads take it),
 * is never held in memory whole, and can be sent again after a 401.
 */

/** A text field, or a file (its contents as a Blob). */
export type MultipartPart =
  | { readonly name: string; readonly value: string }
  | { readonly name: string; readonly file: Blob; readonly filename: string; readonly type: string };

/** An encoded body. */
export interface MultipartBody {
  readonly body: Blob;
  /** `multipart/form-data; boundary=…`. */
  readonly contentType: string;
}

/**
 * Encodes `parts` in order. Names and file names are escaped as the HTML
 * standard's encoding does (`"` → `%22`, CR → `%0D`, LF → `%0A`): a name
 * cannot end its header line or its quoted string.
 *
 * @example
 * ```ts
 * const { body, contentType } = multipartBody([{ name: "title", value: "x" }]);
 * await fetch(url, { method: "POST", body, headers: { "content-type": contentType } });
 * ```
 */
export function multipartBody(parts: readonly MultipartPart[], boundary = randomBoundary()): MultipartBody {
  const pieces: BlobPart[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(part.name)}"`;
    if ("file" in part) {
      head += `; filename="${escapeName(part.filename)}"\r\nContent-Type: ${part.type}`;
      pieces.push(`${head}\r\n\r\n`, part.file, "\r\n");
    } else pieces.push(`${head}\r\n\r\n${part.value}\r\n`);
  }
  pieces.push(`--${boundary}--\r\n`);
  return { body: new Blob(pieces), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** 96 random bits: a boundary that no content will happen to contain. */
function randomBoundary(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `----authflow${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

function escapeName(name: string): string {
  return name.replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
