import type { AuthFlow } from "../auth.js";

/**
 * A function that adds credentials to a request: set headers on the request
 * it gets (or return a new Request). It may be async.
 *
 * @example
 * ```ts
 * const apiKey: AuthFunction = (request) => { request.headers.set("X-Api-Key", key); };
 * ```
 */
export type AuthFunction = (request: Request) => Request | undefined | void | Promise<Request | undefined | void>;

/**
 * Wraps an {@link AuthFunction} as an Auth: one request, no retry. This is
 * what a function passed as `auth` becomes.
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

  constructor(apply: AuthFunction) {
    if (typeof apply !== "function") throw new TypeError("FunctionAuth needs a function");
    this.#apply = apply;
  }

  async *authFlow(request: Request): AuthFlow {
    const replaced = await this.#apply(request);
    yield replaced instanceof Request ? replaced : request;
  }
}
