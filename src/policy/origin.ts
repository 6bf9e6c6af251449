/**
 * Origin rules. An origin is the WHATWG serialisation of (scheme, host, port)
 * — `URL#origin` — so default ports, case and IDNA are normalised by the same
 * parser that the transport connects with, and nothing is matched by suffix.
 */
import { InvalidArgumentError, InvalidURLError } from "../errors.js";
import { parseURL, redactURLText } from "../support/url.js";

// The WHATWG parser has already turned 127.1, 0x7f000001, 2130706433, 0177.0.0.1 and "127.0.0.1." into a dotted quad.
const IPV4_LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
// ::ffff:127.x.y.z, as the parser serialises it (hex groups, no dotted tail): a dual-stack socket reaches 127/8.
const IPV4_MAPPED_LOOPBACK = /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/;

/**
 * True for hosts whose connection cannot leave this machine: literal
 * 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 in any spelling the URL parser
 * normalises, and the name `localhost` itself, which every platform's
 * resolver answers from its hosts database (RFC 6761 §6.3). Other names under
 * `.localhost`, and `localhost.` (a fully-qualified name), are resolved
 * through DNS by Node and most runtimes — nothing pins them to loopback — so
 * they are not loopback here.
 */
export function isLoopback(url: URL): boolean {
  const host = url.hostname;
  if (host === "localhost") return true;
  if (host.charCodeAt(0) === 0x5b /* [ */) return host === "[::1]" || IPV4_MAPPED_LOOPBACK.test(host);
  return IPV4_LOOPBACK.test(host);
}

/** True when sending credentials to `url` would expose them on the network in clear text. */
export function isInsecure(url: URL): boolean {
  return url.protocol === "http:" && !isLoopback(url);
}

/**
 * The serialised origin of each entry of `origins` (URLs or origins); an
 * entry that does not parse, or is not http:/https:, is an
 * InvalidArgumentError naming `option`.
 */
export function normaliseOrigins(origins: Iterable<string> | undefined, option = "trustedOrigins"): string[] {
  if (origins === undefined) return [];
  const result: string[] = [];
  for (const entry of origins) {
    const url = originURL(entry, option);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        option,
        `${option} entries must be http: or https: URLs, got ${url.protocol}`,
      );
    }
    result.push(url.origin);
  }
  return result;
}

function originURL(entry: unknown, option: string): URL {
  if (entry instanceof URL) return entry;
  try {
    return new URL(String(entry));
  } catch {
    // Not the platform's error: its `input` property would hold the entry, userinfo and all.
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      option,
      `${option} entries must be absolute URLs such as "https://api.example.com", got ${redactURLText(String(entry))}`,
    );
  }
}

/**
 * A request URL a caller handed a front door: parsed with a redacting error,
 * and http: or https: only — authflow authenticates HTTP, and fetch's own
 * error for another scheme would carry the URL.
 *
 * @example
 * ```ts
 * requestURL("https://api.example.com/x", "the request URL"); // URL
 * requestURL("ftp://u:p@host/", "the request URL"); // throws InvalidURLError, userinfo redacted
 * ```
 */
export function requestURL(input: string | URL, what: string, base?: string): URL {
  const url = parseURL(input, what, base);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    const shown = redactURLText(String(input));
    throw new InvalidURLError(`${what} must be an http: or https: URL, got ${shown}`, shown);
  }
  return url;
}
