/**
 * Which header and query parameter names carry credentials, judged by what
 * the name means rather than a fixed list: `X-Upstream-Authorization`,
 * `DPoP`, `X-Hub-Signature-256`, `X-Amz-Security-Token`, `?access_token=`,
 * `?sig=` are credentials; `Access-Control-Allow-Credentials`,
 * `WWW-Authenticate`, `DPoP-Nonce`, `Signature-Input` only talk about them.
 */

// Names that mention a credential but hold metadata: a challenge, a flag, a nonce, a list of names.
const METADATA_NAMES = new Set([
  "www-authenticate",
  "proxy-authenticate",
  "authentication-info",
  "proxy-authentication-info",
  "dpop-nonce",
  "signature-input",
  "accept-signature",
  "sec-websocket-key",
  "sec-websocket-accept",
  "idempotency-key",
  "public-key-pins",
  "public-key-pins-report-only",
  "vary",
]);

// CORS headers are flags and name lists; rate-limit headers count tokens, they are not tokens.
const METADATA_PATTERN = /^access-control-|(^|-)(x-)?rate-?limit(-|$)/;

// The last word says the value describes the credential, not that it is one (`token_type`, `expires_in`).
const DESCRIBING_WORDS = new Set([
  "type",
  "hint",
  "expires",
  "expiry",
  "expiration",
  "in",
  "ttl",
  "alg",
  "algorithm",
  "method",
  "methods",
  "uri",
  "url",
  "endpoint",
  "name",
  "length",
  "count",
  "remaining",
  "used",
]);

// Anywhere in the name, joined words included (`sessionid`, `xsrftoken`, `apikey`).
const SECRET_FRAGMENTS =
  /authoriz|cookie|token|secret|passw|passphrase|credential|session|signature|api-?key|access-?key|private-?key|hmac|jwt|assertion|saml/;

// Whole words of a name.
const SECRET_WORDS = new Set(["dpop", "sig", "pwd", "pass", "otp", "totp", "authentication", "authenticate"]);

// A `key` that is not a secret: the word before it says so.
const PUBLIC_KEY_KINDS = new Set(["public", "idempotency", "websocket", "cache", "sort", "partition", "routing"]);

// Names that are credentials in a query only (RFC 6749 §4.1.2 `code`, RFC 8628 `device_code`, a CAS
// ticket, a session id); a `…_verifier` (RFC 7636) is one too.
const QUERY_NAMES: ReadonlySet<string> = new Set(["code", "device-code", "ticket", "sid", "auth", "key"]);

/** The words of a name, lower-case: `X-Hub-Signature-256` → x, hub, signature, 256. */
function words(name: string): string[] {
  return name.toLowerCase().split(/[-_.\s]+/);
}

/** True when `name` (a header or, with `query`, a parameter name) says its value is a credential. */
function meansCredential(name: string, query: boolean): boolean {
  const lower = name.toLowerCase().replace(/_/g, "-");
  if (query && QUERY_NAMES.has(lower)) return true;
  if (METADATA_NAMES.has(lower) || METADATA_PATTERN.test(lower)) return false;
  const parts = words(lower);
  const last = parts[parts.length - 1] ?? "";
  if (parts.length > 1 && DESCRIBING_WORDS.has(last)) return false;
  if (SECRET_FRAGMENTS.test(lower)) return true;
  if (parts.some((word) => SECRET_WORDS.has(word) || (query && word === "verifier"))) return true;
  // `X-Auth`, `X-Registry-Auth`, `X-Functions-Key`, `?key=`: the credential word closes the name.
  if (last === "auth") return true;
  return last === "key" && !PUBLIC_KEY_KINDS.has(parts[parts.length - 2] ?? "");
}

/**
 * True for a header whose value is a credential, by the meaning of its name.
 *
 * @example
 * ```ts
 * isSecretHeader("X-Forwarded-Authorization"); // true
 * isSecretHeader("Access-Control-Allow-Credentials"); // false
 * ```
 */
export function isSecretHeader(name: string): boolean {
  return meansCredential(name, false);
}

/**
 * True for a query (or fragment, or form) parameter whose value is a
 * credential: everything {@link isSecretHeader} says, and `code`,
 * `device_code`, `ticket`, `sid`, `auth`, `key`, `code_verifier`.
 *
 * @example
 * ```ts
 * isSecretParameter("X-Amz-Signature"); // true
 * isSecretParameter("page"); // false
 * ```
 */
export function isSecretParameter(name: string): boolean {
  return meansCredential(name, true);
}

// A parameter after ?, &, # or ; (matrix and `;jsessionid=`): its name and its value up to the next delimiter.
const PARAMETER = /([?&#;])([^=&#;?\s"'<>]+)=([^&#;\s"'<>]*)/g;
// Userinfo in a URL anywhere in a text.
const USERINFO = /(\/\/)[^/\s@?#"'<>]+@/g;

/**
 * `text` with the value of every credential-looking URL parameter replaced
 * by `[redacted]`, wherever a URL (or a query, or a `Location`) appears in
 * it, and userinfo (`//user:pass@`) likewise. A parameter whose value is
 * itself an encoded URL (`redirect_uri=https%3A…%3Ftoken%3D…`) is searched too.
 *
 * @example
 * ```ts
 * redactQueryValues("GET /cb?code=abc&state=1"); // "GET /cb?code=[redacted]&state=1"
 * ```
 */
export function redactQueryValues(text: string, depth = 0): string {
  const withoutUserinfo = text.includes("@") ? text.replace(USERINFO, "$1[redacted]@") : text;
  if (!/[?&#;]/.test(withoutUserinfo)) return withoutUserinfo;
  return withoutUserinfo.replace(PARAMETER, (whole, delimiter: string, name: string, value: string) => {
    if (value === "" || value === "[redacted]") return whole;
    if (isSecretParameter(decoded(name))) return `${delimiter}${name}=[redacted]`;
    if (depth < 2 && value.includes("%")) {
      const inner = decoded(value);
      const redacted = redactQueryValues(inner, depth + 1);
      if (redacted !== inner) return `${delimiter}${name}=${encodeURIComponent(redacted)}`;
    }
    return whole;
  });
}

/** A percent- or form-encoded text decoded, or as it is when it does not decode. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
}

// RFC 9110 §11: a scheme and a token68 — the whole value is a credential in any header.
const SCHEME_TOKEN = /^(basic|bearer|dpop|digest|negotiate|ntlm|gnap|hoba|oauth|aws4-hmac-sha256|scram-sha-\d+)\s+\S/i;
// A JSON Web Token anywhere in a value.
const JWT = /eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g;

/**
 * What `-v` shows of a header value: `[redacted]` for a credential header
 * (an authorization-like one keeps its scheme: `Basic [redacted]`), the
 * same for a credential-shaped value (`Bearer …`, a JWT) under any name
 * that is not metadata.
 *
 * @example
 * ```ts
 * shownHeaderValue("X-Upstream-Authorization", "Bearer abc"); // "Bearer [redacted]"
 * shownHeaderValue("X-Echo", "Bearer abc"); // "Bearer [redacted]"
 * ```
 */
export function shownHeaderValue(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (METADATA_NAMES.has(lower) || METADATA_PATTERN.test(lower)) return value;
  const scheme = SCHEME_TOKEN.exec(value)?.[1];
  if (isSecretHeader(name)) {
    const leading = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(?=\s)/.exec(value)?.[0];
    return /authoriz/.test(lower) && leading !== undefined ? `${leading} [redacted]` : "[redacted]";
  }
  if (scheme !== undefined) return `${value.slice(0, scheme.length)} [redacted]`;
  return value.replace(JWT, "[redacted]");
}
