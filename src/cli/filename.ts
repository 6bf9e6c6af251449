/**
 * The file name `--download` saves under, from what the server says
 * (`Content-Disposition`, RFC 6266 with RFC 8187's `filename*`) or the URL's
 * last path segment — made safe: the name of a file in the current
 * directory, never a path (`../`, `/etc/x`, `C:\x`, `\\server\x`), never
 * hidden (`.bashrc`), never a device Windows reserves (`CON`, `nul.txt`),
 * without control characters, NUL, or characters Windows forbids in names.
 */
import { extensionOf } from "./media-types.js";
import { isUnsafeCharacter } from "./safe-text.js";

/** Longest name kept, in UTF-8 bytes: the common limit of Linux, macOS and Windows file systems. */
const MAX_NAME_BYTES = 200;
const FALLBACK = "download";
// Besides control characters: what Windows refuses in a file name.
const WINDOWS_FORBIDDEN = '<>:"|?*';
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;

/**
 * The file name from a `Content-Disposition` header, as the server wrote it
 * (not yet made safe): `filename*` (RFC 8187, UTF-8 or ISO-8859-1) over
 * `filename`. Undefined when there is none.
 *
 * @example
 * ```ts
 * dispositionFilename(`attachment; filename="a.txt"; filename*=UTF-8''%E2%82%AC.txt`); // "€.txt"
 * ```
 */
export function dispositionFilename(header: string | null): string | undefined {
  if (header === null) return undefined;
  const parameters = new Map<string, string>();
  const pattern = /;\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]*)/g;
  for (const match of header.matchAll(pattern)) {
    const name = (match[1] as string).toLowerCase();
    if (parameters.has(name)) continue;
    const value = match[3] !== undefined ? match[3].replace(/\\(.)/g, "$1") : (match[2] as string).trim();
    parameters.set(name, value);
  }
  const extended = parameters.get("filename*");
  const decoded = extended === undefined ? undefined : decodeExtended(extended);
  return decoded ?? parameters.get("filename");
}

/** RFC 8187 §3.2: `charset'language'percent-encoded`. */
function decodeExtended(value: string): string | undefined {
  const match = /^([A-Za-z0-9!#$%&+^_`{}~-]+)'[^']*'(.*)$/.exec(value);
  if (match === null) return undefined;
  const charset = (match[1] as string).toLowerCase();
  const encoded = match[2] as string;
  try {
    if (charset === "utf-8") return decodeURIComponent(encoded);
    if (charset === "iso-8859-1") {
      return encoded.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * The last segment of `url`'s path, percent-decoded (as it was before encoding).
 *
 * @example
 * ```ts
 * urlFilename(new URL("https://h/files/r%C3%A9sum%C3%A9.pdf?x=1")); // "résumé.pdf"
 * ```
 */
export function urlFilename(url: URL): string | undefined {
  const segment = url.pathname.slice(url.pathname.lastIndexOf("/") + 1);
  if (segment === "") return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * `name` as a safe file name for the current directory (see the module
 * comment). Only the part after the last `/` or `\` is kept; characters a
 * terminal would act on or a file system refuses become `_`; leading dots and
 * spaces go, and trailing ones (Windows drops them); a reserved device name
 * gets a `_` in front; long names are cut (the extension kept). An empty
 * result is "download".
 *
 * @example
 * ```ts
 * safeFilename("../../.ssh/authorized_keys"); // "authorized_keys"
 * safeFilename("CON.txt"); // "_CON.txt"
 * ```
 */
export function safeFilename(name: string): string {
  let safe = name.slice(Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")) + 1);
  safe = Array.from(safe.normalize("NFC"), (character) =>
    isUnsafeCharacter(character.charCodeAt(0)) || WINDOWS_FORBIDDEN.includes(character) ? "_" : character,
  )
    .join("")
    .replace(/^[.\s]+/, "")
    .replace(/[.\s]+$/, "");
  if (RESERVED.test(safe)) safe = `_${safe}`;
  safe = truncated(safe);
  return safe === "" ? FALLBACK : safe;
}

/** Cut to {@link MAX_NAME_BYTES} UTF-8 bytes, keeping a short extension and whole characters. */
function truncated(name: string): string {
  if (Buffer.byteLength(name) <= MAX_NAME_BYTES) return name;
  const dot = name.lastIndexOf(".");
  const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : "";
  let stem = name.slice(0, name.length - extension.length);
  while (Buffer.byteLength(stem + extension) > MAX_NAME_BYTES) stem = Array.from(stem).slice(0, -1).join("");
  return stem + extension;
}

/**
 * The name to save a response under: `Content-Disposition`'s, else the URL's
 * (with an extension from the Content-Type when it has none), made safe.
 *
 * @example
 * ```ts
 * downloadName(response, new URL("https://h/api/report")); // "report.json" for application/json
 * ```
 */
export function downloadName(response: Response, url: URL): string {
  const disposed = dispositionFilename(response.headers.get("content-disposition"));
  if (disposed !== undefined && disposed.trim() !== "") return safeFilename(disposed);
  const fromUrl = safeFilename(urlFilename(url) ?? "");
  if (fromUrl.includes(".")) return fromUrl;
  const extension = extensionOf(response.headers.get("content-type"));
  return extension === undefined ? fromUrl : `${fromUrl}.${extension}`;
}

/**
 * `name` with `-1`, `-2`… before its extension: the names tried when `name` exists.
 *
 * @example
 * ```ts
 * numbered("report.pdf", 2); // "report-2.pdf"
 * ```
 */
export function numbered(name: string, number: number): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? `${name.slice(0, dot)}-${number}${name.slice(dot)}` : `${name}-${number}`;
}
