import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";

/**
 * Conversions between the header shapes undici's dispatch API takes (a plain
 * object, a flat `[name, value, …]` array, or an iterable of pairs) and the
 * web `Headers` the auth flows work on.
 */

/** The `headers` of undici dispatch options. */
export type DispatchHeaders = Dispatcher.DispatchOptions["headers"];

/** One header value in any of those shapes. */
export type HeaderValue = string | readonly string[] | number | null | undefined;

/** Calls `visit` for every header of `headers`, whatever undici shape it has. */
export function eachHeader(headers: DispatchHeaders, visit: (name: string, value: HeaderValue) => void): void {
  if (headers === null || headers === undefined) return;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const [name, value] of headers as unknown as [string, HeaderValue][]) visit(String(name), value);
    } else {
      for (let index = 0; index < headers.length; index += 2) {
        visit(String(headers[index]), headers[index + 1] as HeaderValue);
      }
    }
    return;
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === "function") {
    for (const [name, value] of headers as Iterable<[string, HeaderValue]>) visit(String(name), value);
    return;
  }
  const record = headers as Record<string, HeaderValue>;
  for (const name of Object.keys(record)) visit(name, record[name]);
}

/**
 * A copy of `headers` with `authorization` set to `value` (any other casing of
 * the name dropped). The caller's object is never changed: undici's redirect
 * handler re-sends it on every hop.
 */
export function withAuthorization(headers: DispatchHeaders, value: string): NonNullable<DispatchHeaders> {
  if (headers === null || headers === undefined) return { authorization: value };
  if (!Array.isArray(headers) && typeof (headers as Iterable<unknown>)[Symbol.iterator] !== "function") {
    // The common shape (undici.request, fetch): a plain object. A for-in copy is the cheapest.
    const record = headers as Record<string, string | string[] | undefined>;
    const copy: Record<string, string | string[] | undefined> = {};
    for (const name in record) {
      if (name.length !== 13 || name.toLowerCase() !== "authorization") copy[name] = record[name];
    }
    copy.authorization = value;
    return copy;
  }
  const flat: string[] = [];
  eachHeader(headers, (name, header) => {
    if (name.toLowerCase() !== "authorization") pushHeader(flat, name, header);
  });
  flat.push("authorization", value);
  return flat;
}

/** A flat copy of `headers` without the names in `drop` (lower case). */
export function withoutHeaders(headers: DispatchHeaders, drop: ReadonlySet<string>): string[] {
  const flat: string[] = [];
  eachHeader(headers, (name, value) => {
    if (!drop.has(name.toLowerCase())) pushHeader(flat, name, value);
  });
  return flat;
}

/** True when `headers` has a header called `name` (lower case). */
export function hasHeader(headers: DispatchHeaders, name: string): boolean {
  let found = false;
  eachHeader(headers, (candidate, value) => {
    if (value !== undefined && candidate.toLowerCase() === name) found = true;
  });
  return found;
}

/** True when `headers` has any header of `names` (lower case): the plain-HTTP rule's question. */
export function hasAnyHeader(headers: DispatchHeaders, names: ReadonlySet<string>): boolean {
  let found = false;
  eachHeader(headers, (candidate, value) => {
    if (value !== undefined && names.has(candidate.toLowerCase())) found = true;
  });
  return found;
}

/** Web `Headers` for the flow's `Request`. */
export function toWebHeaders(headers: DispatchHeaders): Headers {
  const result = new Headers();
  eachHeader(headers, (name, value) => {
    if (value === undefined) return;
    if (Array.isArray(value)) for (const item of value) result.append(name, String(item));
    else result.append(name, value === null ? "" : String(value));
  });
  return result;
}

/** A flat dispatch header array from web `Headers`, minus the names in `drop`. */
export function fromWebHeaders(headers: Headers, drop?: ReadonlySet<string>): string[] {
  const flat: string[] = [];
  for (const [name, value] of headers) if (drop === undefined || !drop.has(name)) flat.push(name, value);
  return flat;
}

/** Web `Headers` of a response from undici's parsed header object (values may be arrays). */
export function responseHeaders(headers: IncomingHttpHeaders): Headers {
  const result = new Headers();
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    try {
      if (Array.isArray(value)) for (const item of value) result.append(name, item);
      else if (value !== undefined) result.append(name, value);
    } catch {
      // A value Headers refuses (a stray control byte) is left out of the flow's view only.
    }
  }
  return result;
}

/** undici's parsed header object from web `Headers` (set-cookie kept as a list). */
export function toIncomingHeaders(headers: Headers): IncomingHttpHeaders {
  const result: IncomingHttpHeaders = {};
  for (const [name, value] of headers) if (name !== "set-cookie") result[name] = value;
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) result["set-cookie"] = cookies;
  return result;
}

interface QueryString {
  stringify(query: Record<string, unknown>): string;
}

/**
 * The request-target with `query` serialised the way undici does it
 * (node:querystring, reached at run time: the Node transport that imports
 * this module is loaded lazily by the core, and must bundle for browsers).
 */
export function pathWithQuery(path: string, query: Record<string, unknown> | undefined | null): string {
  if (query === undefined || query === null) return path;
  const host = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
  const querystring = host.process?.getBuiltinModule?.("node:querystring") as QueryString;
  const serialised = querystring.stringify(query);
  return serialised === "" ? path : `${path}?${serialised}`;
}

function pushHeader(flat: string[], name: string, value: HeaderValue): void {
  if (value === undefined) return;
  if (Array.isArray(value)) for (const item of value) flat.push(name, String(item));
  else flat.push(name, value === null ? "" : String(value));
}
