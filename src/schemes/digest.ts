import type { Auth, AuthFlow } from "../engine/auth.js";
import { acknowledge, authorizationFor, credentialIdentity, markHttpChallenges } from "../engine/capabilities.js";
import { AuthChallengeError, ChallengeParseError, InvalidCredentialsError } from "../errors.js";
import { keyedIdentity } from "../guard/identity.js";
import { parseAuthenticationInfo, parseChallenges } from "../headers/challenge.js";
import { checkString } from "../policy/validate.js";
import { hasControlCharacter, REDACTED, redactable } from "../support/redact.js";
import { type BodyBytes, fixedBody, NO_BODY, readBody, recordBody } from "./digest-body.js";
import { type DigestChallenge, selectDigestChallenge } from "./digest-challenge.js";
import {
  a2,
  byteHash,
  byteString,
  constantTimeEqual,
  type DigestAlgorithm,
  hexHash,
  keyedDigest,
} from "./digest-hash.js";
import { canonicalAlgorithms, checkOptions, type DigestAuthOptions } from "./digest-options.js";
import { DigestProxy, proxyMode } from "./digest-proxy.js";
import { type DigestAttempt, type DigestIdentity, DigestSession } from "./digest-session.js";
import { MAX_CACHED_CHALLENGE, ProtectionSpaces, splitUrl } from "./digest-spaces.js";

export type { DigestAuthOptions } from "./digest-options.js";

/** The internal key of {@link DigestAuth}'s cache size, for tests. */
export const cachedSpaces: unique symbol = Symbol("authflow.digestCachedSpaces");

/** How one run of the flow stands: what was sent, which retries are used up. */
interface FlowState {
  readonly origin: string;
  readonly target: string;
  attempt: DigestAttempt | undefined;
  /** True when the last attempt answered a challenge received in this flow (not a cached one). */
  fresh: boolean;
  staleRetried: boolean;
}

/**
 * HTTP Digest authentication, RFC 7616 in full: MD5, SHA-256, SHA-512-256
 * and their `-sess` forms (plus legacy SHA and SHA-512); qop `auth` and
 * `auth-int`; RFC 2069 servers without qop; `opaque`; `userhash`; `username*`
 * for names outside ASCII; `stale=true`; the strongest of several challenges.
 * The challenge is cached per protection space, so after the first exchange
 * each request costs one round trip, with a unique `nc` even under
 * concurrency. A wrong password costs one attempt, then the 401 is returned.
 *
 * @example
 * ```ts
 * const auth = new DigestAuth("user", "passwd");
 * const authedFetch = withAuth(fetch, auth);
 * const response = await authedFetch("https://httpbin.org/digest-auth/auth/user/passwd");
 * ```
 */
export class DigestAuth implements Auth {
  /** The user name (public; the password is never shown). */
  readonly username: string;
  readonly #password: string;
  readonly #verifyServer: boolean;
  readonly #algorithms: ReadonlySet<DigestAlgorithm> | undefined;
  readonly #maxBodyBytes: number;
  readonly #spaces = new ProtectionSpaces();
  readonly #identity: DigestIdentity;
  #guardIdentity: string | undefined;

  /**
   * @throws InvalidArgumentError (a TypeError) when a part is not a string or
   * an option is not what it accepts.
   * @throws InvalidCredentialsError when the user name holds a control character.
   */
  constructor(username: string, password: string, options: DigestAuthOptions = {}) {
    // Empty parts are the server's business: only the type is checked.
    if (username !== "") checkString("DigestAuth.username", username, false);
    if (password !== "") checkString("DigestAuth.password", password, false);
    checkOptions(options);
    // RFC 9110 §5.5: the user name goes into a header; CR, LF or NUL there would inject one.
    if (hasControlCharacter(username)) {
      throw new InvalidCredentialsError("Digest username contains a control character (CR, LF or similar); remove it");
    }
    this.username = username;
    this.#password = password;
    this.#verifyServer = options.verifyServer ?? false;
    this.#algorithms = options.algorithms === undefined ? undefined : canonicalAlgorithms(options.algorithms);
    this.#maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    // RFC 7616 §3.4.2 H(A1), once per challenge: the session never sees the password. The user's parts are UTF-8.
    this.#identity = {
      username,
      baseHa1: (challenge) =>
        byteHash(challenge.resolved.hash, `${byteString(username)}:${challenge.realm}:${byteString(this.#password)}`),
    };
  }

  /**
   * The Auth contract: answers the server's Digest challenge (or goes out preemptively with a cached one),
   * follows `stale=true` and `nextnonce`, and checks `rspauth` with `verifyServer`.
   */
  authFlow(request: Request): AuthFlow {
    const { origin, target } = splitUrl(request.url);
    const session = this.#spaces.find(origin, target);
    const state: FlowState = { origin, target, attempt: undefined, fresh: false, staleRetried: false };
    // Without a body and without rspauth to check, nothing needs an await: keep the flow synchronous.
    if (request.body === null && !this.#verifyServer) return this.#synchronousFlow(request, state, session);
    return this.#asynchronousFlow(request, state, session);
  }

  /**
   * @internal The fast path (src/engine/capabilities.ts): with a cached challenge for the
   * URL's protection space, the next `Authorization` value, computed
   * synchronously with the next `nc`. Undefined when a round trip or a body is
   * needed first (nothing cached, auth-int, or `verifyServer`).
   */
  [authorizationFor](method: string, url: URL): string | undefined {
    if (this.#verifyServer) return undefined;
    const { origin, target } = splitUrl(url.href);
    const session = this.#spaces.find(origin, target);
    if (session === undefined || session.challenge.qop === "auth-int") return undefined;
    return session.authorize(method, target, undefined).header;
  }

  /**
   * @internal The fast path's sequel: the answer to a request that carried
   * `authorization` had `Authentication-Info`; adopt its `nextnonce` (RFC 7616
   * §3.5) when that request used the session's current nonce, as the flow does.
   */
  [acknowledge](url: string, authorization: string, authenticationInfo: string): void {
    const { origin, target } = splitUrl(url);
    const session = this.#spaces.find(origin, target);
    if (session === undefined || !session.madeWithCurrentNonce(authorization)) return;
    adoptNextNonce(session, authenticationInfo);
  }

  /** @internal The guard's key: a keyed digest of the user name and password. */
  [credentialIdentity](): string {
    this.#guardIdentity ??= keyedIdentity("d", this.username, this.#password);
    return this.#guardIdentity;
  }

  /**
   * @internal Proxy mode: these credentials answering a proxy's 407 with
   * `Proxy-Authorization` (RFC 9110 §11.7), its challenges cached apart from
   * the origins' (src/schemes/digest-proxy.ts).
   */
  [proxyMode](): DigestProxy {
    return new DigestProxy(this.#identity, this.#algorithms);
  }

  /** @internal How many protection spaces this DigestAuth remembers (all origins): bounded, for tests. */
  get [cachedSpaces](): number {
    return this.#spaces.size;
  }

  *#synchronousFlow(request: Request, state: FlowState, cached: DigestSession | undefined): AuthFlow {
    if (cached !== undefined) this.#authorize(request, state, cached, undefined);
    let response: Response = yield request;
    for (;;) {
      if (response.status !== 401) {
        if (state.attempt !== undefined) this.#acknowledge(state.attempt, response);
        return;
      }
      const next = this.#nextSession(response, state);
      if (next === undefined) return;
      this.#authorize(request, state, next, undefined);
      response = yield request;
    }
  }

  async *#asynchronousFlow(request: Request, state: FlowState, cached: DigestSession | undefined): AuthFlow {
    let body: BodyBytes = NO_BODY;
    try {
      if (cached?.challenge.qop === "auth-int") {
        // Not sent yet: read it now, and keep the bytes for a stale retry.
        const bytes = await readBody(request);
        body = fixedBody(bytes);
        this.#authorize(request, state, cached, bytes);
      } else {
        body = recordBody(request, this.#maxBodyBytes);
        if (cached !== undefined) this.#authorize(request, state, cached, undefined);
      }
      let response: Response = yield request;
      for (;;) {
        if (response.status !== 401) {
          if (state.attempt !== undefined) await this.#acknowledgeVerified(state.attempt, response);
          return;
        }
        const next = this.#nextSession(response, state);
        if (next === undefined) return;
        let bytes: Uint8Array | undefined;
        if (next.challenge.qop === "auth-int") {
          bytes = await body.read();
          if (bytes === undefined) throw this.#bodyGone(state);
        }
        this.#authorize(request, state, next, bytes);
        response = yield request;
      }
    } finally {
      body.dispose();
    }
  }

  #authorize(request: Request, state: FlowState, session: DigestSession, body: Uint8Array | undefined): void {
    const { header, attempt } = session.authorize(request.method, state.target, body);
    request.headers.set("authorization", header);
    state.attempt = attempt;
  }

  /**
   * Decides what to do with a 401: the session to answer it with, or undefined
   * to hand the 401 to the caller. Bounds: one answer to a fresh challenge,
   * one more after `stale=true` (RFC 7616 §3.3), never a loop.
   */
  #nextSession(response: Response, state: FlowState): DigestSession | undefined {
    const previous = state.attempt;
    const challenge = this.#readChallenge(response, state.origin, previous === undefined);
    if (challenge === undefined) return undefined;
    if (previous !== undefined) {
      const stale = challenge.stale && !state.staleRetried;
      if (stale) state.staleRetried = true;
      else if (state.fresh) {
        // Our own answer to a fresh challenge was refused: a wrong password. Stop here.
        this.#spaces.remove(previous.session);
        return undefined;
      }
    }
    const session = new DigestSession(state.origin, state.target, challenge, this.#identity);
    this.#spaces.store(session);
    state.fresh = true;
    return session;
  }

  /**
   * The strongest usable Digest challenge of a 401. Before any attempt, a 401
   * we cannot answer is an error naming what was offered; after one, it is the
   * server's verdict and goes back to the caller.
   */
  #readChallenge(response: Response, origin: string, first: boolean): DigestChallenge | undefined {
    const header = response.headers.get("www-authenticate");
    if (header === null) {
      // A cross-origin answer hides every header the server does not expose (Fetch §3.2.5 CORS).
      if (first && response.type === "cors") {
        throw new AuthChallengeError(
          `the 401 from ${origin} carries no readable WWW-Authenticate: a cross-origin server must send ` +
            "Access-Control-Expose-Headers: WWW-Authenticate, Authentication-Info for Digest to answer it",
        );
      }
      return undefined;
    }
    let offered: string[] = [];
    try {
      const selection = selectDigestChallenge(parseChallenges(header), this.#algorithms);
      if (selection.selected !== undefined) return selection.selected;
      offered = selection.offered;
    } catch (error) {
      if (!(error instanceof ChallengeParseError)) throw error;
      if (!first) return undefined;
      throw new AuthChallengeError(`malformed WWW-Authenticate challenge from ${origin}: ${error.message}`, {
        cause: error,
      });
    }
    if (!first) return undefined;
    throw new AuthChallengeError(
      `no supported Digest challenge from ${origin} (offered: ${offered.join(", ") || "nothing"})`,
      { offered },
    );
  }

  /** RFC 7616 §3.5: adopt `nextnonce` from Authentication-Info. */
  #acknowledge(attempt: DigestAttempt, response: Response): Record<string, string> | undefined {
    const header = response.headers.get("authentication-info");
    if (header === null) return undefined;
    let info: Record<string, string>;
    try {
      info = parseAuthenticationInfo(header);
    } catch {
      return undefined;
    }
    const { nextnonce } = info;
    if (acceptable(nextnonce) && attempt.session.nonce === attempt.nonce) attempt.session.adopt(nextnonce);
    return info;
  }

  async #acknowledgeVerified(attempt: DigestAttempt, response: Response): Promise<void> {
    const info = this.#acknowledge(attempt, response);
    if (!this.#verifyServer) return;
    const { origin } = attempt.session;
    const { challenge } = attempt.session;
    if (info?.rspauth === undefined) {
      throw new AuthChallengeError(`${origin} sent no rspauth in Authentication-Info; cannot verify the server`);
    }
    // §3.5: the server echoes cnonce and nc; a mismatch means it answers another request.
    if (
      (info.cnonce !== undefined && info.cnonce !== attempt.cnonce) ||
      (info.nc !== undefined && info.nc !== attempt.nc)
    ) {
      throw new AuthChallengeError(`${origin} answered Authentication-Info for another request (cnonce or nc differ)`);
    }
    const { hash } = challenge.resolved;
    const responseBody =
      challenge.qop === "auth-int" ? new Uint8Array(await response.clone().arrayBuffer()) : undefined;
    const ha2 = hexHash(hash, a2(hash, "", attempt.uri, challenge.qop, responseBody));
    const expected = keyedDigest(hash, attempt.ha1, attempt.nonce, ha2, challenge.qop, attempt.nc, attempt.cnonce);
    if (!constantTimeEqual(info.rspauth.toLowerCase(), expected)) {
      throw new AuthChallengeError(`${origin} failed mutual authentication: rspauth does not match (RFC 7616 §3.5)`);
    }
  }

  #bodyGone(state: FlowState): AuthChallengeError {
    if (state.attempt !== undefined) this.#spaces.remove(state.attempt.session);
    return new AuthChallengeError(
      `${state.origin} asked for qop=auth-int after the request body was sent, and the body was larger than ` +
        "maxBodyBytes, so it cannot be hashed; raise maxBodyBytes, or send a small request first to cache the challenge",
      { offered: ["auth-int"] },
    );
  }
}

/** Adopts the `nextnonce` of an `Authentication-Info` value, if it has one; a value that does not parse is ignored, as in the flow. */
function adoptNextNonce(session: DigestSession, authenticationInfo: string): void {
  let nextnonce: string | undefined;
  try {
    nextnonce = parseAuthenticationInfo(authenticationInfo).nextnonce;
  } catch {
    return;
  }
  if (acceptable(nextnonce)) session.adopt(nextnonce);
}

/** A `nextnonce` worth adopting: the session keeps it, so one longer than a cached challenge may be is ignored. */
function acceptable(nextnonce: string | undefined): nextnonce is string {
  return nextnonce !== undefined && nextnonce.length <= MAX_CACHED_CHALLENGE;
}

redactable(DigestAuth.prototype, "DigestAuth", (instance) => ({ username: instance.username, password: REDACTED }));
markHttpChallenges(DigestAuth.prototype);
