/**
 * Origin rules. An origin is the WHATWG serialisation of (scheme, host, port)
 * — `URL#origin` — so default ports, case and IDNA are normalised by the same
 * parser that the transport connects with, and nothing is matched by suffix.
 */

/** True for hosts that never leave this machine: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(url: URL): boolean {
  const host = url.hostname;
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (host === "[::1]") return true;
  // WHATWG URL has already normalised 2130706433, 0x7f.1 and the like to dotted quads.
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** True when sending credentials to `url` would expose them on the network in clear text. */
export function isInsecure(url: URL): boolean {
  return url.protocol === "http:" && !isLoopback(url);
}

/** The serialised origin of each entry of `trustedOrigins` (URLs or origins). */
export function normaliseOrigins(origins: Iterable<string> | undefined): string[] {
  if (origins === undefined) return [];
  const result: string[] = [];
  for (const entry of origins) {
    const url = new URL(entry);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`trustedOrigins entries must be http: or https: URLs, got ${url.protocol}`);
    }
    result.push(url.origin);
  }
  return result;
}
