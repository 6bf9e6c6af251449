/**
 * Every `code` an {@link AuthflowError} can carry: switch on it exhaustively.
 *
 * @example
 * ```ts
 * function retryable(code: AuthflowErrorCode): boolean {
 *   return code === "ERR_NETWORK" || code === "ERR_TIMEOUT";
 * }
 * ```
 */
export type AuthflowErrorCode =
  | "ERR_AUTH_FLOW"
  | "ERR_AUTH_CHALLENGE"
  | "ERR_CHALLENGE_PARSE"
  | "ERR_BODY_NOT_REPLAYABLE"
  | "ERR_INSECURE_TRANSPORT"
  | "ERR_MISSING_CREDENTIALS"
  | "ERR_INVALID_CREDENTIALS"
  | "ERR_INVALID_URL"
  | "ERR_NETRC"
  | "ERR_TIMEOUT"
  | "ERR_TOO_MANY_REDIRECTS"
  | "ERR_UNSAFE_REDIRECT"
  | "ERR_AUTH_REJECTED"
  | "ERR_OAUTH"
  | "ERR_TOKEN_ENDPOINT"
  | "ERR_NETWORK"
  | "ERR_AUTHFLOW_PROXY"
  | "ERR_AUTHFLOW_RESOURCE_DISCOVERY"
  | "ERR_AUTHFLOW_TLS";

/**
 * Every error authflow throws extends {@link AuthflowError}: switch on `code`
 * (stable across releases) or use `instanceof`. Messages say what happened and
 * what to do; they name origins, never secrets. The underlying error, when
 * there is one, is in `cause`.
 *
 * @example
 * ```ts
 * try { await client.get("/data"); }
 * catch (error) {
 *   if (error instanceof AuthflowError && error.code === "ERR_INSECURE_TRANSPORT") { … }
 * }
 * ```
 */
export class AuthflowError extends Error {
  /** A stable, machine-readable identifier of the failure, e.g. `"ERR_AUTH_FLOW"`. */
  readonly code: AuthflowErrorCode;

  constructor(code: AuthflowErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * An auth flow misbehaved: it yielded too many requests (a loop), yielded
 * something that is not a `Request`, or finished without yielding at all.
 *
 * @example
 * ```ts
 * // A flow that resends forever is stopped after `maxFlowSteps` requests.
 * await client.get("/status/401", { auth: { *authFlow(r) { while (true) yield r; } } });
 * // → FlowError: auth flow yielded more than 8 requests …
 * ```
 */
export class FlowError extends AuthflowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_AUTH_FLOW", message, options);
  }
}

/**
 * A server's challenge (`WWW-Authenticate`, `Authentication-Info`) could not be
 * answered: malformed, an unsupported algorithm or qop, or a server response
 * that failed verification (`rspauth`).
 *
 * @example
 * ```ts
 * // Server offers only `Digest algorithm=SHA-3`:
 * // AuthChallengeError: no supported Digest challenge from http://127.0.0.1:8080 (offered: SHA-3)
 * ```
 */
export class AuthChallengeError extends AuthflowError {
  /** The schemes or algorithms the server offered, for diagnostics. */
  readonly offered: readonly string[];

  constructor(message: string, options?: { cause?: unknown; offered?: readonly string[] }) {
    super("ERR_AUTH_CHALLENGE", message, options);
    this.offered = options?.offered ?? [];
  }
}

/**
 * The WWW-Authenticate / Authentication-Info parser met input outside the
 * RFC 9110 §11 grammar. `position` is the offset of the offending character.
 *
 * @example
 * ```ts
 * parseChallenges('Digest realm="unterminated');
 * // → ChallengeParseError: unterminated quoted-string at offset 13
 * ```
 */
export class ChallengeParseError extends AuthflowError {
  /** Offset in the input where parsing failed. */
  readonly position: number;

  constructor(message: string, position: number) {
    super("ERR_CHALLENGE_PARSE", message);
    this.position = position;
  }
}

/**
 * An auth flow needed to send a request body again (after a challenge or a
 * 307/308 redirect) but the body was a one-shot stream larger than
 * `maxReplayBytes`. Nothing was sent truncated or empty.
 *
 * @example
 * ```ts
 * // Remedies: pass the body as bytes, a Blob or a string; raise maxReplayBytes;
 * // or prime the challenge with a small request first (Digest caches it).
 * ```
 */
export class BodyNotReplayableError extends AuthflowError {
  constructor(message: string) {
    super("ERR_BODY_NOT_REPLAYABLE", message);
  }
}

/**
 * Credentials would have been sent over plain `http:` to a host that is not
 * loopback. Thrown before any connection is made. Use `https:`, or set
 * `allowInsecureAuth: true` if you accept the risk.
 *
 * @example
 * ```ts
 * await get("http://api.example.com/x", { auth: ["u", "p"] });
 * // → InsecureTransportError: refusing to send credentials over plain HTTP to http://api.example.com …
 * ```
 */
export class InsecureTransportError extends AuthflowError {
  constructor(message: string) {
    super("ERR_INSECURE_TRANSPORT", message);
  }
}

/**
 * A credential was needed but is not there: an environment variable that is
 * unset or empty, a provider that returned nothing, no netrc entry.
 *
 * @example
 * ```ts
 * new BearerAuth(BearerAuth.fromEnv("API_TOKEN"));
 * // → MissingCredentialsError: environment variable API_TOKEN is not set …
 * ```
 */
export class MissingCredentialsError extends AuthflowError {
  constructor(message: string) {
    super("ERR_MISSING_CREDENTIALS", message);
  }
}

/**
 * A credential cannot be put in a header as it is: it holds a control
 * character (CR, LF, NUL…) or is otherwise malformed. The message never
 * repeats the credential.
 *
 * @example
 * ```ts
 * new BearerAuth("abc\r\nX-Injected: 1");
 * // → InvalidCredentialsError: bearer token contains a control character (CR, LF or similar) …
 * ```
 */
export class InvalidCredentialsError extends AuthflowError {
  constructor(message: string) {
    super("ERR_INVALID_CREDENTIALS", message);
  }
}

/**
 * The request did not get a response within `timeout` milliseconds.
 *
 * @example
 * ```ts
 * await client.get("/slow", { timeout: 1_000 }); // → TimeoutError after 1 s
 * ```
 */
export class TimeoutError extends AuthflowError {
  /** The timeout that elapsed, in milliseconds. */
  readonly timeout: number;

  constructor(message: string, timeout: number) {
    super("ERR_TIMEOUT", message);
    this.timeout = timeout;
  }
}

/**
 * A redirect chain was longer than `maxRedirects`, or a redirect pointed
 * somewhere authflow refuses to go (a non-HTTP scheme, a URL with embedded
 * credentials).
 *
 * @example
 * ```ts
 * await client.get("/redirect/30", { maxRedirects: 5 }); // → TooManyRedirectsError
 * ```
 */
export class TooManyRedirectsError extends AuthflowError {
  constructor(message: string, code: AuthflowErrorCode = "ERR_TOO_MANY_REDIRECTS") {
    super(code, message);
  }
}

/**
 * The bad-credential guard: these credentials were rejected by this protection
 * space several times in a row, so authflow fails fast for a cool-down instead
 * of risking an account lock-out. `retryAfterMs` says when it will try again.
 *
 * @example
 * ```ts
 * // After 3 consecutive 401s for the same user and realm:
 * // AuthRejectedError: credentials rejected 3 times by http://127.0.0.1:8080; not retrying for 30 s
 * ```
 */
export class AuthRejectedError extends AuthflowError {
  /** Milliseconds until the guard lets a request through again. */
  readonly retryAfterMs: number;

  constructor(message: string, retryAfterMs: number) {
    super("ERR_AUTH_REJECTED", message);
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * The token endpoint answered with an RFC 6749 §5.2 error (`invalid_client`,
 * `invalid_scope`, …). These are not retried: fix the configuration.
 *
 * @example
 * ```ts
 * catch (error) { if (error instanceof OAuthError && error.error === "invalid_client") … }
 * ```
 */
export class OAuthError extends AuthflowError {
  /** The `error` code from the token endpoint, e.g. `"invalid_client"`. */
  readonly error: string;
  /** The `error_description`, when the server gave one. */
  readonly errorDescription: string | undefined;
  /** The `error_uri`, when the server gave one. */
  readonly errorUri: string | undefined;
  /** The HTTP status of the token endpoint's answer. */
  readonly status: number;

  constructor(
    message: string,
    details: { error: string; errorDescription?: string | undefined; errorUri?: string | undefined; status: number },
  ) {
    super("ERR_OAUTH", message);
    this.error = details.error;
    this.errorDescription = details.errorDescription;
    this.errorUri = details.errorUri;
    this.status = details.status;
  }
}

/**
 * The token endpoint could not give a usable token: unreachable, 5xx or 429
 * after the retries, a redirect, or a response that is not a valid token
 * response (no `access_token`, unsupported `token_type`, bad `expires_in`).
 *
 * @example
 * ```ts
 * // TokenEndpointError: token endpoint http://127.0.0.1:8080/oauth/token answered 503 three times …
 * ```
 */
export class TokenEndpointError extends AuthflowError {
  /** The HTTP status of the last answer, when there was one. */
  readonly status: number | undefined;

  constructor(message: string, options?: { cause?: unknown; status?: number | undefined }) {
    super("ERR_TOKEN_ENDPOINT", message, options);
    this.status = options?.status;
  }
}

/**
 * A redirect authflow will not follow: to a scheme other than `http:` or
 * `https:`, to a URL with embedded credentials, or a 307/308 that would carry
 * a credentialed request's body to another origin.
 *
 * @example
 * ```ts
 * // Location: file:///etc/passwd → UnsafeRedirectError
 * ```
 */
export class UnsafeRedirectError extends AuthflowError {
  /** The origin the redirect pointed to (never the full URL: it may carry credentials). */
  readonly location: string;

  constructor(message: string, location: string) {
    super("ERR_UNSAFE_REDIRECT", message);
    this.location = location;
  }
}

/**
 * The request got no HTTP answer at all: the connection was refused or
 * reset, the host name did not resolve, TLS failed. `origin` says where it
 * was going; the transport's own error is the `cause`. Thrown by
 * {@link Client} and the module-level helpers; `withAuth` keeps fetch's own
 * `TypeError`, as a drop-in `fetch` must.
 *
 * @example
 * ```ts
 * try {
 *   await client.get("/health");
 * } catch (error) {
 *   if (error instanceof NetworkError) console.warn(`${error.origin} is down: ${error.message}`);
 * }
 * ```
 */
export class NetworkError extends AuthflowError {
  /** Where the request was going, e.g. `https://api.example.com`. */
  readonly origin: string;

  constructor(message: string, origin: string, options?: { cause?: unknown }) {
    super("ERR_NETWORK", message, options);
    this.origin = origin;
  }
}

/**
 * Why a TLS connection failed, as {@link TlsError} names it: the server's
 * certificate does not chain to a trusted CA (`unknown-ca`), names another
 * host (`hostname`), is outside its validity period (`expired`,
 * `not-yet-valid`) or revoked; the server refused the client certificate
 * (`client-certificate`); another handshake failure (`handshake`); or the
 * runtime cannot configure TLS at all (`unsupported-runtime`).
 *
 * @example
 * ```ts
 * const retryable = (reason: TlsFailureReason) => reason === "handshake";
 * ```
 */
export type TlsFailureReason =
  | "unknown-ca"
  | "hostname"
  | "expired"
  | "not-yet-valid"
  | "revoked"
  | "client-certificate"
  | "handshake"
  | "unsupported-runtime";

/**
 * A TLS connection could not be made, or TLS options cannot be applied in
 * this runtime. The message names the cause and the option that fixes it
 * (`tls.ca` for a private CA, `tls.cert`/`tls.key` for a refused client
 * certificate); `reason` is the same for programs. Never retried by
 * authflow: a certificate problem does not go away by asking again.
 *
 * @example
 * ```ts
 * try {
 *   await client.get("/health");
 * } catch (error) {
 *   if (error instanceof TlsError && error.reason === "unknown-ca") console.error(`trust the CA with ${error.option}`);
 * }
 * ```
 */
export class TlsError extends AuthflowError {
  /** Where the connection was going, e.g. `https://api.internal:8443` (empty for `unsupported-runtime`). */
  readonly origin: string;
  readonly reason: TlsFailureReason;
  /** The option that fixes it, when one does: `"tls.ca"`, `"tls.cert"`, or undefined (e.g. an expired server certificate). */
  readonly option: string | undefined;

  constructor(
    message: string,
    details: { origin: string; reason: TlsFailureReason; option?: string | undefined; cause?: unknown },
  ) {
    super("ERR_AUTHFLOW_TLS", message, details.cause === undefined ? undefined : { cause: details.cause });
    this.origin = details.origin;
    this.reason = details.reason;
    this.option = details.option;
  }
}

/**
 * A proxy refused to carry a request: it answered a `CONNECT` (the tunnel
 * for an https: target) with something other than 2xx — a 407 after the
 * proxy credentials were tried (or with none configured), a 403 for a port
 * it does not tunnel to, a 502 when it cannot reach the origin. `status` is
 * the proxy's answer. (A plain http: request through a proxy gets the
 * proxy's answer as its response instead, as fetch would.) The message
 * names the proxy's origin, never its credentials.
 *
 * @example
 * ```ts
 * try {
 *   await client.get("https://api.example.com/");
 * } catch (error) {
 *   if (error instanceof ProxyError && error.status === 407) console.error("check the proxy credentials");
 * }
 * ```
 */
export class ProxyError extends AuthflowError {
  /** The proxy's status for the CONNECT, when it answered one (undefined when it could not be reached). */
  readonly status: number | undefined;
  /** The proxy's origin, e.g. `http://proxy.internal:3128` (never with `user:pass@`). */
  readonly proxy: string;

  constructor(message: string, details: { proxy: string; status?: number | undefined; cause?: unknown }) {
    super("ERR_AUTHFLOW_PROXY", message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.proxy = details.proxy;
  }
}

/**
 * A URL authflow was given could not be parsed. Unlike the platform's own
 * `TypeError`, neither the message nor any property repeats the URL's
 * userinfo (`user:pass@`) or query, which often carry secrets; there is no
 * `cause` holding the original text.
 *
 * @example
 * ```ts
 * await get("https://user:pa ss@exa mple.com/?token=abc");
 * // → InvalidURLError: the request URL is not a valid URL (https://[redacted]@exa mple.com/?[redacted]) …
 * ```
 */
export class InvalidURLError extends AuthflowError {
  /** The URL as given, with userinfo and query replaced by `[redacted]`. */
  readonly url: string;

  constructor(message: string, url: string) {
    super("ERR_INVALID_URL", message);
    this.url = url;
  }
}

/**
 * A netrc file could not be used: not a regular file (a FIFO, a device, a
 * directory), larger than the size cap, or unreadable. The message names the
 * path and the reason, never the file's content.
 *
 * @example
 * ```ts
 * // NETRC=/dev/zero → NetrcError: /dev/zero is not a regular file; point NETRC at a netrc file
 * ```
 */
export class NetrcError extends AuthflowError {
  /** The path of the netrc file. */
  readonly path: string;

  constructor(message: string, path: string, options?: { cause?: unknown }) {
    super("ERR_NETRC", message, options);
    this.path = path;
  }
}

/**
 * Resource discovery (RFC 9728) could not name a usable authorization server
 * for a protected resource: its metadata could not be fetched or read, its
 * `resource` is not the identifier it was fetched for (§3.3), none of its
 * `authorization_servers` is in `allowedIssuers`, or it requires DPoP-bound
 * tokens while `dpop: false`. Nothing was sent to any server the resource
 * named; the client's credentials went nowhere.
 *
 * @example
 * ```ts
 * try {
 *   await api("https://mcp.example.com/mcp");
 * } catch (error) {
 *   if (error instanceof ResourceDiscoveryError) console.error(error.resource, error.authorizationServers);
 * }
 * ```
 */
export class ResourceDiscoveryError extends AuthflowError {
  /** The resource identifier discovery was for (origin and path, no query), e.g. `https://mcp.example.com/mcp`. */
  readonly resource: string;
  /** The `authorization_servers` the metadata named, when it was read (at most 10, each cut to 200 characters). */
  readonly authorizationServers: readonly string[];

  constructor(
    message: string,
    details: { resource: string; authorizationServers?: readonly string[]; cause?: unknown },
  ) {
    super(
      "ERR_AUTHFLOW_RESOURCE_DISCOVERY",
      message,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.resource = details.resource;
    this.authorizationServers = (details.authorizationServers ?? []).slice(0, 10).map((server) => server.slice(0, 200));
  }
}

/**
 * The codes of {@link InvalidArgumentError}, as Node's own argument errors spell them.
 *
 * @example
 * ```ts
 * const code: InvalidArgumentCode = error.code; // "ERR_INVALID_ARG_TYPE": wrong type; "ERR_INVALID_ARG_VALUE": unusable value
 * ```
 */
export type InvalidArgumentCode = "ERR_INVALID_ARG_TYPE" | "ERR_INVALID_ARG_VALUE";

/**
 * An option or argument has the wrong type or an unusable value, found at
 * construction (never at the first request). A `TypeError`, as the platform's
 * own argument errors are, with a stable `code` and the option's name.
 *
 * @example
 * ```ts
 * new Client({ timeout: Number.NaN });
 * // → InvalidArgumentError: timeout must be a finite number of milliseconds > 0, or false for none (got NaN)
 * ```
 */
export class InvalidArgumentError extends TypeError {
  /** `"ERR_INVALID_ARG_TYPE"` or `"ERR_INVALID_ARG_VALUE"`. */
  readonly code: InvalidArgumentCode;
  /** The option or argument at fault, e.g. `"timeout"` or `"ClientCredentialsAuth.clientId"`. */
  readonly option: string;

  constructor(code: InvalidArgumentCode, option: string, message: string) {
    super(message);
    this.code = code;
    this.option = option;
    this.name = "InvalidArgumentError";
  }
}
