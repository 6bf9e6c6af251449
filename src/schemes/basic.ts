import type { AuthFlow } from "../auth.js";
import { InvalidCredentialsError } from "../errors.js";
import { authorizationFor } from "../fast-path.js";
import { hasControlCharacter, REDACTED, redactable } from "../redact.js";

/**
 * HTTP Basic authentication (RFC 7617): `username:password`, UTF-8 encoded,
 * base64, sent preemptively on every request. The header is computed once.
 * Basic sends the password in a reversible form: use it over HTTPS only
 * (authflow refuses plain HTTP to anything but loopback).
 *
 * @example
 * ```ts
 * const client = new Client({ baseURL: "https://api.example.com", auth: new BasicAuth("my_user", "my_pass123") });
 * // The tuple form is the same thing:
 * const same = new Client({ baseURL: "https://api.example.com", auth: ["my_user", "my_pass123"] });
 * ```
 */
export class BasicAuth {
  /** The user name (not a secret; shown by `String(auth)`). */
  readonly username: string;
  readonly #header: string;

  /**
   * @throws TypeError when `username` contains `:` (RFC 7617 §2 forbids it: the
   * server could not tell where the password starts).
   * @throws InvalidCredentialsError when either part holds a control character.
   */
  constructor(username: string, password: string) {
    if (typeof username !== "string" || typeof password !== "string") {
      throw new TypeError("BasicAuth needs a username and a password, both strings");
    }
    if (username.includes(":")) {
      throw new TypeError("a Basic auth username may not contain ':' (RFC 7617 §2)");
    }
    // RFC 7617 §2.1: CTL characters are not allowed in either part.
    if (hasControlCharacter(username) || hasControlCharacter(password)) {
      throw new InvalidCredentialsError("Basic auth credentials contain a control character (CR, LF or similar)");
    }
    this.username = username;
    this.#header = `Basic ${base64(new TextEncoder().encode(`${username}:${password}`))}`;
  }

  *authFlow(request: Request): AuthFlow {
    request.headers.set("authorization", this.#header);
    yield request;
  }

  /** @internal The fast path: Basic is always preemptive. */
  [authorizationFor](): string {
    return this.#header;
  }
}
redactable(BasicAuth.prototype, "BasicAuth", (auth) => ({ username: auth.username, password: REDACTED }));

/** Standard base64 of bytes, without Node's Buffer. */
export function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let index = 0; index < bytes.length; index += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(index, index + 0x8000));
  }
  return btoa(binary);
}
