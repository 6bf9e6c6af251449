/**
 * Where a Client request goes: `baseURL` checked once, and each request URL
 * resolved under it so that a relative path never names another host
 * (axios CVE-2024-39338), whatever the URL parser would make of its slashes.
 */
import { InvalidArgumentError, InvalidCredentialsError, InvalidURLError } from "../errors.js";
import { requestURL } from "../policy/origin.js";
import { parseURL } from "../support/url.js";

/**
 * Query parameters as a request takes them: arrays repeat the name, `undefined` values are skipped.
 *
 * @example
 * ```ts
 * const params: RequestParams = { page: 2, tag: ["a", "b"], cursor: undefined }; // ?page=2&tag=a&tag=b
 * await client.get("/items", { params });
 * ```
 */
export type RequestParams =
  | URLSearchParams
  | Record<string, string | number | boolean | undefined | readonly (string | number | boolean)[]>;

/** `baseURL` parsed and checked: http(s), no userinfo, no query or fragment (they would end up in every path). */
export function baseURLOf(value: unknown): URL {
  if (typeof value !== "string" && !(value instanceof URL)) {
    throw new InvalidArgumentError("ERR_INVALID_ARG_TYPE", "baseURL", "baseURL must be a string or a URL");
  }
  const base = requestURL(value, "baseURL");
  if (base.username !== "" || base.password !== "") {
    throw new InvalidCredentialsError(
      `baseURL for ${base.origin} embeds credentials (user:pass@); pass them with the auth option instead`,
    );
  }
  if (base.search !== "" || base.hash !== "") {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      "baseURL",
      "baseURL must not have a query or fragment (it would land inside every path); pass params per request",
    );
  }
  return base;
}

/**
 * Resolves `url` under `prefix` (the base URL with a trailing slash) the way
 * httpx does: the base path is a prefix, not replaced. A `url` that is not
 * absolute (no scheme) stays on the prefix's origin whatever its slashes,
 * backslashes and control characters: it is a path, never a host
 * (axios CVE-2024-39338). Exported for tests only.
 */
export function resolveURL(url: string | URL, prefix: string | undefined): URL {
  if (url instanceof URL) return requestURL(url, "the request URL");
  if (typeof url !== "string") {
    throw new InvalidArgumentError("ERR_INVALID_ARG_TYPE", "url", "the request URL must be a string or a URL");
  }
  if (prefix === undefined || SCHEME.test(url)) return requestURL(url, "the request URL");
  const path = url.charCodeAt(0) === 0x2f /* / */ ? url.slice(1) : url;
  // A plain path (no dot segment, escape, backslash, space) is the concatenation; the rest, the careful way.
  if (PLAIN_PATH.test(path) && !path.includes("/.")) return parseURL(prefix + path, "the request URL");
  return resolveUnder(url, prefix);
}

/**
 * The careful way: read `url` as the URL parser will (WHATWG URL §4.4: C0
 * controls and spaces trimmed, tabs and newlines dropped anywhere), take it
 * as absolute only if it then starts with a scheme, and otherwise drop every
 * leading slash, backslash and blank, so no `//host` can appear to the parser.
 */
function resolveUnder(url: string, prefix: string): URL {
  const cleaned = asTheParserReadsIt(url);
  if (SCHEME.test(cleaned)) return requestURL(url, "the request URL");
  let start = 0;
  // Slashes, backslashes and what the parser would trim again once they are gone.
  while (start < cleaned.length && (cleaned.charCodeAt(start) <= 0x20 || LEADING.has(cleaned[start] as string)))
    start++;
  const relative = cleaned.slice(start);
  // "./" keeps a first segment with a colon ("/h:x" without its slash) a path, not a scheme.
  const target = parseURL(SCHEME.test(relative) ? `./${relative}` : relative, "the request URL", prefix);
  const origin = new URL(prefix).origin;
  if (target.origin !== origin) {
    // Unreachable by construction; kept so that a parser change can only refuse, never redirect.
    throw new InvalidURLError(`the request URL must stay on ${origin}; use an absolute URL for another host`, origin);
  }
  return target;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const LEADING = new Set(["/", "\\"]);

/** `text` with what the URL parser ignores taken out: C0 controls and spaces at either end, tabs and newlines anywhere. */
function asTheParserReadsIt(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  let result = "";
  for (let index = start; index < end; index++) {
    const code = text.charCodeAt(index);
    if (code !== 0x09 && code !== 0x0a && code !== 0x0d) result += text[index];
  }
  return result;
}

const PLAIN_PATH = /^[\w~!$&'()*+,;=:@-][^%\\\s]*$/;

/** Appends `params` to `url`'s query. */
export function appendParams(url: URL, params: RequestParams): void {
  if (params instanceof URLSearchParams) {
    for (const [name, value] of params) url.searchParams.append(name, value);
    return;
  }
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) url.searchParams.append(name, String(item));
    else url.searchParams.append(name, String(value));
  }
}
