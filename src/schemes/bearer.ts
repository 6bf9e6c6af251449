import type { AuthFlow } from "../engine/auth.js";
import { authorizationFor, credentialIdentity } from "../engine/capabilities.js";
import { InvalidArgumentError, InvalidCredentialsError, MissingCredentialsError } from "../errors.js";
import { headerIdentity } from "../guard/identity.js";
import { guardedSend } from "../guard/late.js";
import { checkString } from "../policy/validate.js";
import { hasControlCharacter, REDACTED, redactable } from "../support/redact.js";

/**
 * Where a bearer token comes from: the token itself, or a function asked for
 * it at request time (sync or async) — a vault, a token file, an env variable.
 *
 * @example
 * ```ts
 * const provider: TokenProvider = async () => (await readFile("/run/secrets/token", "utf8")).trim();
 * ```
 */
export type TokenProvider = string | (() => string | Promise<string>);

/**
 * Bearer token authentication (RFC 6750): `Authorization: Bearer <token>`.
 * With a provider function, the token is read for each request, and asked for
 * again once after a 401 (a rotated token is then used for one retry).
 *
 * @example
 * ```ts
 * const client = new Client({ baseURL: "https://api.example.com", auth: new BearerAuth("abc123") });
 * const fromVault = new BearerAuth(async () => vault.read("api-token"));
 * const fromEnv = BearerAuth.fromEnv("API_TOKEN");
 * ```
 */
export class BearerAuth {
  readonly #token: TokenProvider;
  /** Where the token comes from, for diagnostics: "static", "provider" or "env:NAME". */
  readonly source: string;
  #identity: string | undefined;

  /**
   * @throws InvalidArgumentError (a TypeError) when `token` is neither a
   * string nor a function, or `source` is not a non-empty string.
   * @throws MissingCredentialsError for an empty token,
   * InvalidCredentialsError for one with control characters.
   */
  constructor(token: TokenProvider, source?: string) {
    if (typeof token === "string") {
      checkToken(token, "bearer token");
    } else if (typeof token !== "function") {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_TYPE",
        "BearerAuth.token",
        `BearerAuth.token must be a token string or a function that returns one, got ${token === null ? "null" : typeof token}`,
      );
    }
    checkString("BearerAuth.source", source);
    this.#token = token;
    this.source = source ?? (typeof token === "string" ? "static" : "provider");
  }

  /**
   * A BearerAuth that reads the token from environment variable `name` at
   * request time (Node, Deno and Bun). An unset or empty variable fails the
   * request with MissingCredentialsError naming the variable.
   *
   * @example
   * ```ts
   * const auth = BearerAuth.fromEnv("API_TOKEN");
   * ```
   */
  static fromEnv(name: string): BearerAuth {
    checkString("BearerAuth.fromEnv name", name, false);
    return new BearerAuth(() => {
      const value = readEnv(name);
      if (value === undefined || value === "") {
        throw new MissingCredentialsError(
          `environment variable ${name} is not set or empty; set it to the bearer token before making requests`,
        );
      }
      return value;
    }, `env:${name}`);
  }

  /** The Auth contract: sends `Authorization: Bearer <token>`; a provider's token is asked for again once after a 401. */
  authFlow(request: Request): AuthFlow {
    // A static token needs no await: keep its flow synchronous (the fast path).
    return typeof this.#token === "string" ? staticFlow(request, this.#token) : this.#providerFlow(request);
  }

  /** @internal The fast path: only a static token is known without asking. */
  [authorizationFor](): string | undefined {
    return typeof this.#token === "string" ? `Bearer ${this.#token}` : undefined;
  }

  /**
   * @internal The guard's key: a static token's header as sent; a provider's
   * token is known only inside the flow, which passes the guard itself.
   */
  [credentialIdentity](): string | null {
    if (typeof this.#token !== "string") return null;
    this.#identity ??= headerIdentity([["authorization", `Bearer ${this.#token}`]]);
    return this.#identity;
  }

  async *#providerFlow(request: Request): AuthFlow {
    const token = await this.#read();
    const response = yield* this.#send(request, token);
    if (response.status !== 401) return;
    // The provider may have rotated the token since; one retry with the new one.
    const fresh = await this.#read();
    if (fresh === token) return;
    yield* this.#send(request, fresh);
  }

  /** Sends `request` with `token`, past the guard under the token's own identity. */
  #send(request: Request, token: string): AsyncGenerator<Request, Response, Response> {
    const value = `Bearer ${token}`;
    request.headers.set("authorization", value);
    return guardedSend(this, request, () => headerIdentity([["authorization", value]]));
  }

  async #read(): Promise<string> {
    if (typeof this.#token === "string") return this.#token;
    const token = await this.#token();
    if (typeof token !== "string" || token === "") {
      throw new MissingCredentialsError(`the bearer token provider (${this.source}) returned no token`);
    }
    checkToken(token, `bearer token from ${this.source}`);
    return token;
  }
}
redactable(BearerAuth.prototype, "BearerAuth", (auth) => ({ source: auth.source, token: REDACTED }));

function* staticFlow(request: Request, token: string): AuthFlow {
  request.headers.set("authorization", `Bearer ${token}`);
  yield request;
}

function checkToken(token: string, what: string): void {
  if (token === "") throw new MissingCredentialsError(`the ${what} is empty`);
  // A CR or LF would split the header (request smuggling); Node's own error would echo the token.
  if (hasControlCharacter(token) || token.trim() !== token) {
    throw new InvalidCredentialsError(
      `the ${what} contains a control character or surrounding white space (CR, LF or similar); it cannot be sent in a header`,
    );
  }
}

function readEnv(name: string): string | undefined {
  const runtime = globalThis as {
    process?: { env?: Record<string, string | undefined> };
    Deno?: { env?: { get(key: string): string | undefined } };
  };
  if (runtime.process?.env !== undefined) return runtime.process.env[name];
  return runtime.Deno?.env?.get(name);
}
