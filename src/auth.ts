import { InvalidArgumentError } from "./errors.js";
import { BasicAuth } from "./schemes/basic.js";
import { type AuthFunction, FunctionAuth } from "./schemes/function.js";

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
 * Turns any {@link AuthLike} into an {@link Auth}. `null` and `undefined`
 * mean "no auth".
 *
 * @example
 * ```ts
 * toAuth(["u", "p"]); // → BasicAuth
 * ```
 */
export function toAuth(auth: AuthLike | null | undefined): Auth | null {
  if (auth === null || auth === undefined) return null;
  if (typeof auth === "function") return new FunctionAuth(auth);
  if (Array.isArray(auth)) return basicFromTuple(auth as readonly [string, string]);
  if (typeof (auth as Auth).authFlow === "function") return auth as Auth;
  throw new InvalidArgumentError(
    "ERR_INVALID_ARG_TYPE",
    "auth",
    "auth must be an Auth object, a [username, password] tuple or a function",
  );
}

// A tuple kept in a constant maps to one BasicAuth (the header is encoded once); held weakly, so the
// map is bounded by the tuples the program holds. The guard keys by the credentials, not by this object.
// The parts are kept beside it (the tuple holds them anyway): a tuple changed in place gets a new BasicAuth.
const tuples = new WeakMap<readonly unknown[], { auth: BasicAuth; username: unknown; password: unknown }>();

function basicFromTuple(tuple: readonly [string, string]): BasicAuth {
  const [username, password] = tuple;
  const known = tuples.get(tuple);
  if (known !== undefined && known.username === username && known.password === password) return known.auth;
  if (tuple.length !== 2) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      "auth",
      `an auth tuple must be [username, password], got ${tuple.length} elements`,
    );
  }
  const auth = new BasicAuth(username, password);
  tuples.set(tuple, { auth, username, password });
  return auth;
}
