/**
 * Header rewriting for the proxy routes, on any header shape undici's
 * dispatch takes (object, flat array, pairs), without `node:` imports (the
 * Node transport is loaded lazily by the core and must bundle anywhere).
 */
import type { Dispatcher } from "undici";
import { type DispatchHeaders, eachHeader, type HeaderValue } from "./headers.js";

function push(flat: string[], name: string, value: HeaderValue): void {
  if (value === undefined) return;
  if (Array.isArray(value)) for (const item of value) flat.push(name, String(item));
  else flat.push(name, value === null ? "" : String(value));
}

/**
 * The headers of a request in absolute-form to a proxy: `Host` the target's
 * (RFC 9112 §3.2.2) unless the caller set one, and `Proxy-Authorization`
 * ours when we have one (the caller's otherwise).
 *
 * @example
 * ```ts
 * proxyHeaders({ accept: "*\/*" }, "api.example.com", "Basic dTpw"); // ["accept", "*\/*", "host", …, "proxy-authorization", …]
 * ```
 */
export function proxyHeaders(headers: DispatchHeaders, host: string, authorization: string | undefined): string[] {
  const flat: string[] = [];
  let hasHost = false;
  eachHeader(headers, (name, value) => {
    const lower = name.toLowerCase();
    if (lower === "host" && value !== undefined) hasHost = true;
    if (lower !== "proxy-authorization" || authorization === undefined) push(flat, name, value);
  });
  if (!hasHost) flat.push("host", host);
  if (authorization !== undefined) flat.push("proxy-authorization", authorization);
  return flat;
}

/**
 * `options` without any `Proxy-Authorization`: for a request that goes to the
 * origin (direct, or inside a tunnel), where proxy credentials never go.
 * The same object when it has none (the usual case: nothing copied).
 *
 * @example
 * ```ts
 * dispatch(withoutProxyCredentials(options), handler);
 * ```
 */
export function withoutProxyCredentials(options: Dispatcher.DispatchOptions): Dispatcher.DispatchOptions {
  let found = false;
  eachHeader(options.headers, (name) => {
    if (!found && name.length === 19 && name.toLowerCase() === "proxy-authorization") found = true;
  });
  if (!found) return options;
  const flat: string[] = [];
  eachHeader(options.headers, (name, value) => {
    if (name.toLowerCase() !== "proxy-authorization") push(flat, name, value);
  });
  return { ...options, headers: flat };
}
