/**
 * The fast path: an Auth that can compute its `Authorization` value for a
 * request synchronously, with no round trip (Basic, a static Bearer token, a
 * cached Digest challenge, a fresh cached OAuth token), implements this
 * symbol-keyed method. Transports that cannot afford a `Request` object per
 * request (the undici interceptor) call it first and run the full flow only
 * when it returns `undefined` or the answer is a 401.
 *
 * Internal protocol, not part of the public API.
 */
export const authorizationFor: unique symbol = Symbol.for("authflow.authorizationFor");

/** What implementing the fast path looks like. */
export interface FastPathAuth {
  [authorizationFor](method: string, url: URL): string | undefined;
}

/** True when `auth` offers the fast path. */
export function hasFastPath(auth: object): auth is FastPathAuth {
  return typeof (auth as Partial<FastPathAuth>)[authorizationFor] === "function";
}
