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

/**
 * For an Auth whose credentials depend on the host (NetrcAuth): resolves
 * false when it would add nothing for `url`. The insecure-transport rule asks
 * it before refusing plain HTTP, so a host without credentials is reached as
 * it would be without auth. Internal protocol, not part of the public API.
 */
export const mayAuthorize: unique symbol = Symbol.for("authflow.mayAuthorize");

/** What implementing {@link mayAuthorize} looks like. */
export interface HostScopedAuth {
  [mayAuthorize](url: URL): Promise<boolean>;
}

/** False when `auth` says it adds no credentials for `url`; true otherwise (the safe default). */
export async function authorizes(auth: object, url: URL): Promise<boolean> {
  const ask = (auth as Partial<HostScopedAuth>)[mayAuthorize];
  return typeof ask === "function" ? ask.call(auth, url) : true;
}

/**
 * For a fast-path Auth that learns from the answer (Digest's `nextnonce`, RFC
 * 7616 §3.5): the transport calls it with the `Authentication-Info` of an
 * answer to a request the fast path authorised, and the `Authorization` value
 * that request carried. Internal protocol, not part of the public API.
 */
export const acknowledge: unique symbol = Symbol.for("authflow.acknowledge");

/** What implementing {@link acknowledge} looks like. */
export interface AcknowledgingAuth {
  [acknowledge](url: string, authorization: string, authenticationInfo: string): void;
}

/** The acknowledging method of `auth`, bound, or undefined when it has none. */
export function acknowledgerOf(auth: object): AcknowledgingAuth[typeof acknowledge] | undefined {
  const method = (auth as Partial<AcknowledgingAuth>)[acknowledge];
  return typeof method === "function" ? method.bind(auth) : undefined;
}

/**
 * The bad-credential guard counts failures per credentials, not per Auth
 * object: `new BasicAuth(u, p)` made per request is the same credentials each
 * time. An Auth that knows its credentials before its flow runs returns their
 * keyed identity (src/guard/identity.ts) for `origin`; `null` says they are
 * known only inside the flow (a function, a token provider), which then
 * passes the guard itself (`guardedSend` in src/guard/guard.ts). An Auth without
 * this method is keyed by the object. Internal protocol, not public API.
 */
export const credentialIdentity: unique symbol = Symbol.for("authflow.credentialIdentity");

/** What implementing {@link credentialIdentity} looks like. */
export interface IdentifiedAuth {
  [credentialIdentity](origin: string): string | null;
}

/**
 * Marks an Auth that answers Basic or Digest challenges (BasicAuth,
 * DigestAuth, NetrcAuth). In a browser such a request goes out with
 * `credentials: "omit"`: otherwise a 401 challenge opens the browser's own
 * login prompt instead of reaching the flow. Internal protocol.
 */
export const answersHttpChallenges: unique symbol = Symbol.for("authflow.answersHttpChallenges");

/** Marks `prototype`'s instances as answering Basic or Digest challenges. */
export function markHttpChallenges(prototype: object): void {
  Object.defineProperty(prototype, answersHttpChallenges, { value: true });
}

/** True when `auth` answers Basic or Digest challenges. */
export function answersChallenges(auth: object): boolean {
  return (auth as { [answersHttpChallenges]?: boolean })[answersHttpChallenges] === true;
}
