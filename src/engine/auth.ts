/**
 * One step-by-step exchange with a server, httpx's design: the flow yields a
 * request to send, the driver sends it and resumes the flow with the response.
 * The response to the last yielded request is what the caller gets.
 *
 * @example
 * ```ts
 * function* flow(request: Request): AuthFlow {
 *   const response = yield request;           // first attempt
 *   if (response.status === 401) yield request; // one retry
 * }
 * ```
 */
export type AuthFlow = Generator<Request, void, Response> | AsyncGenerator<Request, void, Response>;

/**
 * An authentication scheme. Implement `authFlow` as a (sync or async)
 * generator; never send requests yourself — yield them.
 *
 * The request a flow receives is authflow's own copy: set headers on it freely.
 * To resend after a challenge, yield it again; the driver replays the body.
 *
 * @example
 * ```ts
 * class ApiKeyAuth implements Auth {
 *   constructor(private readonly key: string) {}
 *   *authFlow(request: Request) {
 *     request.headers.set("X-Api-Key", this.key);
 *     yield request;
 *   }
 * }
 * ```
 */
export interface Auth {
  authFlow(request: Request): AuthFlow;
}

/**
 * What every `auth` option accepts: an {@link Auth}, a `[username, password]`
 * tuple (Basic, as in httpx), or a function that edits the request (wrapped in
 * {@link FunctionAuth}).
 *
 * @example
 * ```ts
 * const a: AuthLike = ["user", "pass"];
 * const b: AuthLike = (request) => { request.headers.set("X-Api-Key", key); };
 * const c: AuthLike = new DigestAuth("user", "pass");
 * ```
 */
export type AuthLike = Auth | readonly [username: string, password: string] | AuthFunction;

/**
 * A function that adds credentials to a request: set headers on the request
 * it gets (or return a new Request). It may be async.
 *
 * @example
 * ```ts
 * const apiKey: AuthFunction = (request) => { request.headers.set("X-Api-Key", key); };
 * ```
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a function that only sets headers returns void, sync or async
export type AuthFunction = (request: Request) => Request | undefined | void | Promise<Request | undefined | void>;
