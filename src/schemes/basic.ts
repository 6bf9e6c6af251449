import type { AuthFlow } from "../engine/auth.js";
import { authorizationFor, credentialIdentity, markHttpChallenges } from "../engine/capabilities.js";
import { InvalidArgumentError, InvalidCredentialsError } from "../errors.js";
import { headerIdentity } from "../guard/identity.js";
import { checkString } from "../policy/validate.js";
import { hasControlCharacter, REDACTED, redactable } from "../support/redact.js";

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
  #identity: string | undefined;

  /**
   * @throws InvalidArgumentError (a TypeError) when either part is not a
   * string, or when `username` contains `:` (RFC 7617 §2 forbids it: the
   * server could not tell where the password starts).
   * @throws InvalidCredentialsError when either part holds a control character.
   */
  constructor(username: string, password: string) {
    // RFC 7617 allows empty parts: only the type is checked.
    if (username !== "") checkString("BasicAuth.username", username, false);
    if (password !== "") checkString("BasicAuth.password", password, false);
    if (username.includes(":")) {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        "BasicAuth.username",
        "a Basic auth username may not contain ':' (RFC 7617 §2); the server could not tell where the password starts",
      );
    }
    // RFC 7617 §2.1: CTL characters are not allowed in either part.
    if (hasControlCharacter(username) || hasControlCharacter(password)) {
      throw new InvalidCredentialsError("Basic auth credentials contain a control character (CR, LF or similar)");
    }
    this.username = username;
    this.#header = `Basic ${base64(new TextEncoder().encode(`${username}:${password}`))}`;
  }

  /** The Auth contract: sets the precomputed `Authorization: Basic …` header and sends the request once. */
  *authFlow(request: Request): AuthFlow {
    request.headers.set("authorization", this.#header);
    yield request;
  }

  /** @internal The fast path: Basic is always preemptive. */
  [authorizationFor](): string {
    return this.#header;
  }

  /** @internal The guard's key: the header as sent, so a function sending the same header shares the count. */
  [credentialIdentity](): string {
    this.#identity ??= headerIdentity([["authorization", this.#header]]);
    return this.#identity;
  }
}
redactable(BasicAuth.prototype, "BasicAuth", (auth) => ({ username: auth.username, password: REDACTED }));
markHttpChallenges(BasicAuth.prototype);

/** Standard base64 of bytes, without Node's Buffer. */
export function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let index = 0; index < bytes.length; index += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(index, index + 0x8000));
  }
  return btoa(binary);
}
