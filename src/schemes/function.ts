import type { AuthFlow, AuthFunction } from "../engine/auth.js";
import { credentialIdentity } from "../engine/capabilities.js";
import { InvalidArgumentError } from "../errors.js";
import { headerIdentity, objectIdentity } from "../guard/identity.js";
import { guardedSend } from "../guard/late.js";

// Header names that carry credentials by their look: what a function's credentials are read from.
const CREDENTIAL_WORDS = ["auth", "token", "key", "secret", "session", "cookie", "credential", "pass", "signature"];

function looksLikeCredential(name: string): boolean {
  return CREDENTIAL_WORDS.some((word) => name.includes(word));
}

export type { AuthFunction };

/**
 * Wraps an {@link AuthFunction} as an Auth: one request, no retry. This is
 * what a function passed as `auth` becomes.
 *
 * For the bad-credential guard its credentials are what it puts on the
 * request — the credential-looking headers it sets or changes (names with
 * `auth`, `token`, `key`, `secret`, `session`, `cookie`, `credential`,
 * `pass`, `signature`) and the query of a URL it changes — as a keyed
 * digest: a function written inline per request is the same credentials each
 * time, and sending the same `Authorization` as a `BasicAuth` shares its
 * count. A function that sets none of those counts by its own identity.
 *
 * @example
 * ```ts
 * const client = new Client({ auth: new FunctionAuth(async (request) => {
 *   request.headers.set("X-Api-Key", await vault.read("api-key"));
 * }) });
 * ```
 */
export class FunctionAuth {
  readonly #apply: AuthFunction;

  /** @throws InvalidArgumentError (a TypeError) when `apply` is not a function. */
  constructor(apply: AuthFunction) {
    if (typeof apply !== "function") {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_TYPE",
        "FunctionAuth",
        `FunctionAuth needs a function that sets credentials on the request, got ${apply === null ? "null" : typeof apply}`,
      );
    }
    this.#apply = apply;
  }

  /** The Auth contract: runs the function on the request (or the Request it returns) and sends it once. */
  async *authFlow(request: Request): AuthFlow {
    const before = new Map(request.headers);
    const url = request.url;
    const replaced = await this.#apply(request);
    const sent = replaced instanceof Request ? replaced : request;
    yield* guardedSend(this, sent, () => this.#identityOf(sent, before, url));
  }

  /** @internal Known only once the function ran: the flow passes the guard itself. */
  [credentialIdentity](): null {
    return null;
  }

  /** The keyed digest of what the function added: credential-looking headers, a changed query. */
  #identityOf(sent: Request, before: ReadonlyMap<string, string>, url: string): string {
    const added: Array<[string, string]> = [];
    for (const [name, value] of sent.headers) {
      if (before.get(name) !== value && looksLikeCredential(name)) added.push([name, value]);
    }
    if (sent.url !== url) {
      const query = new URL(sent.url).search;
      if (query !== new URL(url).search) added.push(["?", query]);
    }
    return added.length > 0 ? headerIdentity(added) : objectIdentity(this.#apply);
  }
}
