import { InvalidURLError } from "../errors.js";

/**
 * URL parsing for everything a caller hands authflow (request URLs,
 * `baseURL`, `tokenUrl`, `issuer`): the platform's `TypeError` for a bad URL
 * carries the whole input (`error.input`, printed by `util.inspect` and most
 * loggers), password and query included. Ours names `what` and shows the
 * input with userinfo and query redacted.
 */
export function parseURL(input: string | URL, what: string, base?: string | URL): URL {
  if (input instanceof URL) return new URL(input.href);
  try {
    return base === undefined ? new URL(input) : new URL(input, base);
  } catch {
    // Nothing of the platform's error is kept: its `input` property is the secret-bearing text.
    const redacted = redactURLText(String(input));
    throw new InvalidURLError(`${what} is not a valid URL (${redacted}); check its spelling`, redacted);
  }
}

/**
 * A URL's text with userinfo and query replaced by `[redacted]`, for
 * messages: works on text that does not parse, by the shape of a URL.
 */
export function redactURLText(text: string): string {
  let result = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  // userinfo: everything between "//" and the last "@" before the path.
  result = result.replace(
    /^([a-z][a-z0-9+.-]*:)?([/\\]{2,})([^/\\?#]*@)/i,
    (_, scheme = "", slashes) => `${scheme}${slashes}[redacted]@`,
  );
  // A bare "user:pass@host" (no scheme) is userinfo too.
  result = result.replace(/^([^/\\?#:]*:[^/\\?#]*@)/, "[redacted]@");
  const query = result.search(/[?#]/);
  if (query >= 0) result = `${result.slice(0, query)}${result[query]}[redacted]`;
  // Control characters are shown escaped, never raw.
  let shown = "";
  for (const character of result) {
    const code = character.charCodeAt(0);
    shown += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, "0")}` : character;
  }
  return shown;
}

/** `url` for a message or object output: origin and path, never userinfo or query. */
export function displayURL(url: URL): string {
  return `${url.origin}${url.pathname}`;
}
