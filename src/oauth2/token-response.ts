import { OAuthError, TokenEndpointError } from "../errors.js";
import type { Token } from "../stores/store.js";

/**
 * The longest lifetime authflow believes: one year. A larger `expires_in`
 * (`1e308`, `2**53`) is clamped to it, so arithmetic stays exact and a token
 * is never treated as immortal by accident; the 401 `invalid_token` path still
 * replaces it if the server revokes it earlier.
 */
export const MAX_LIFETIME_SECONDS = 365 * 24 * 60 * 60;

/**
 * Validates a token endpoint's answer (RFC 6749 §5.1 and §5.2) and turns it
 * into a {@link Token}. Pure: no I/O, no clock — `now` is the local time the
 * request was sent, the anchor of `expires_in`.
 *
 * Outcomes, by field:
 * - status other than 200: {@link OAuthError} when the body is an RFC 6749 §5.2
 *   error object, else {@link TokenEndpointError} naming the status;
 * - a body that is not a JSON object (HTML, broken JSON): TokenEndpointError (the
 *   body is never quoted: it may hold a secret);
 * - `access_token`: a non-empty string of visible ASCII (it goes in a header);
 * - `token_type`: required; `Bearer` in any case, normalised to `"Bearer"`;
 *   anything else (`DPoP`, `mac`) is a TokenEndpointError naming it, since it
 *   would be wrong to send it as a Bearer token. With `expect: "DPoP"` (the
 *   request carried a proof) only `DPoP` is accepted, normalised to `"DPoP"`:
 *   a Bearer answer to a DPoP request is a downgrade (RFC 9449 §5) and an error;
 * - `expires_in`: a number or a string of digits (Azure AD v1 sends `"3599"`);
 *   absent or null → no `expiresAt` (the token serves until a 401); `0` →
 *   `expiresAt === now` (already expired: handed to the callers that asked,
 *   never cached); fractions are rounded down; above one year → one year;
 *   negative or not a number → TokenEndpointError;
 * - `scope`: kept when it is a string; any other type is an error.
 *
 * Why `now` is the send time and the `Date` header is not added in: `expires_in`
 * is a duration, counted from when the server issued the token, which is after
 * we sent the request. So `sendTime + expires_in` is never later than the real
 * expiry, whatever the offset between the server's clock and ours. Computing
 * `Date + expires_in` and comparing it with the local clock would be wrong by
 * exactly the skew (spring-security #7511, angular-oauth2-oidc #1135). The only
 * header that shortens the lifetime is `Age` (RFC 9111 §5.1): a cache that
 * replays a token response (it should not, RFC 6749 §5.1 `no-store`) makes the
 * token that much older.
 *
 * @example
 * ```ts
 * const token = parseTokenResponse(200, new Headers(), '{"access_token":"abc","token_type":"bearer","expires_in":3600}', Date.now());
 * token.tokenType; // "Bearer"
 * ```
 */
export function parseTokenResponse(
  status: number,
  headers: Headers,
  bodyText: string,
  now: number,
  expect: "Bearer" | "DPoP" = "Bearer",
): Token {
  const body = parseJsonObject(bodyText, status, headers);
  if (status !== 200) throw errorFromBody(status, body);
  const accessToken = body.access_token;
  if (typeof accessToken !== "string" || accessToken === "") {
    throw new TokenEndpointError("the token response has no access_token (RFC 6749 §5.1)", { status });
  }
  if (!isVisibleAscii(accessToken)) {
    throw new TokenEndpointError(
      "the access_token holds characters that cannot be sent in an Authorization header (only visible ASCII can)",
      { status },
    );
  }
  const tokenType = checkTokenType(body.token_type, status, expect);
  const lifetime = lifetimeSeconds(body.expires_in, status);
  const scope = body.scope;
  if (scope !== undefined && scope !== null && typeof scope !== "string") {
    throw new TokenEndpointError(`the token response's scope is a ${typeof scope}, not a string (RFC 6749 §5.1)`, {
      status,
    });
  }
  const token: { -readonly [K in keyof Token]: Token[K] } = { accessToken, tokenType, raw: body };
  if (lifetime !== undefined) token.expiresAt = now + Math.max(0, lifetime - ageSeconds(headers)) * 1000;
  if (typeof scope === "string") token.scope = scope;
  return token;
}

/**
 * The lifetime `expires_in` declares, in whole seconds, as
 * {@link parseTokenResponse} reads it; undefined when absent. Throws
 * TokenEndpointError for a value that is not a lifetime.
 *
 * @example
 * ```ts
 * lifetimeSeconds("3599", 200); // 3599
 * lifetimeSeconds(1e308, 200);  // 31536000 (one year)
 * ```
 */
export function lifetimeSeconds(value: unknown, status: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  let seconds: number;
  if (typeof value === "number") {
    seconds = value;
  } else if (typeof value === "string" && /^[0-9]{1,20}(\.[0-9]{1,20})?$/.test(value)) {
    seconds = Number(value);
  } else {
    throw new TokenEndpointError(
      `the token response's expires_in is not a number of seconds (got a ${typeof value}) (RFC 6749 §5.1)`,
      { status },
    );
  }
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new TokenEndpointError("the token response's expires_in is negative or not finite (RFC 6749 §5.1)", {
      status,
    });
  }
  return Math.min(Math.floor(seconds), MAX_LIFETIME_SECONDS);
}

function checkTokenType(value: unknown, status: number, expect: "Bearer" | "DPoP"): string {
  if (typeof value !== "string" || value === "") {
    throw new TokenEndpointError("the token response has no token_type (RFC 6749 §5.1)", { status });
  }
  // RFC 6749 §5.1: token_type is case insensitive.
  if (expect === "DPoP") {
    if (value.toLowerCase() === "dpop") return "DPoP";
    throw new TokenEndpointError(
      `the token endpoint answered a DPoP request with a "${printable(value)}" token, not a DPoP-bound one ` +
        "(RFC 9449 §5): check that the authorization server supports DPoP for this client",
      { status },
    );
  }
  if (value.toLowerCase() === "bearer") return "Bearer";
  throw new TokenEndpointError(
    `the token endpoint issued a "${printable(value)}" token to a request for a Bearer token; ` +
      "for DPoP-bound tokens (RFC 9449) set dpop: true, else ask the server for Bearer tokens",
    { status },
  );
}

function parseJsonObject(bodyText: string, status: number, headers: Headers): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bodyText);
  } catch {
    const type = headers.get("content-type") ?? "no content type";
    // Neither the body nor V8's SyntaxError (which quotes it) goes in the error: it may carry a secret.
    throw new TokenEndpointError(
      `the token endpoint answered ${status} with a body that is not JSON (${printable(type)})`,
      { status },
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TokenEndpointError(`the token endpoint answered ${status} with JSON that is not an object`, { status });
  }
  return value as Record<string, unknown>;
}

/** RFC 6749 §5.2: `{ error, error_description?, error_uri? }`, usually with 400 or 401. */
function errorFromBody(status: number, body: Record<string, unknown>): Error {
  const { error, error_description: description, error_uri: uri } = body;
  if (typeof error !== "string" || error === "") {
    return new TokenEndpointError(`the token endpoint answered ${status} without an RFC 6749 §5.2 error code`, {
      status,
    });
  }
  const errorDescription = typeof description === "string" ? description : undefined;
  const errorUri = typeof uri === "string" ? uri : undefined;
  const detail = errorDescription === undefined ? "" : `: ${printable(errorDescription)}`;
  return new OAuthError(`the token endpoint refused the request with ${printable(error)} (${status})${detail}`, {
    error,
    errorDescription,
    errorUri,
    status,
  });
}

/** RFC 9111 §5.1: seconds a cache held the response; 0 when absent or malformed. */
function ageSeconds(headers: Headers): number {
  const age = headers.get("age");
  return age !== null && /^[0-9]{1,10}$/.test(age) ? Number(age) : 0;
}

function isVisibleAscii(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 0x21 || code > 0x7e) return false;
  }
  return true;
}

/** A server-chosen string made safe for a message: visible ASCII, at most 80 characters. */
function printable(value: string): string {
  let result = "";
  for (const character of value.slice(0, 80)) {
    const code = character.charCodeAt(0);
    result += code >= 0x20 && code <= 0x7e ? character : "?";
  }
  return value.length > 80 ? `${result}…` : result;
}
