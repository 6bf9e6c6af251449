/**
 * Digest in proxy mode (RFC 7616 with RFC 9110 §11.7): the same challenge
 * engine answering a proxy's `407` and `Proxy-Authenticate` with
 * `Proxy-Authorization`, for any request a proxy sees — `CONNECT
 * host:port` included, which no `Request` object can carry. Challenges are
 * cached per proxy, apart from the origins' (a DigestAuth used for both keeps
 * two caches), so after the first exchange every request goes preemptively
 * with the next `nc`.
 */
import { ChallengeParseError } from "../errors.js";
import { parseAuthenticationInfo, parseChallenges } from "../headers/challenge.js";
import { type DigestChallenge, selectDigestChallenge } from "./digest-challenge.js";
import type { DigestAlgorithm } from "./digest-hash.js";
import { type DigestIdentity, DigestSession } from "./digest-session.js";
import { MAX_CACHED_CHALLENGE, ProtectionSpaces } from "./digest-spaces.js";

/** The internal key under which a DigestAuth hands out its proxy mode. */
export const proxyMode: unique symbol = Symbol.for("authflow.digestProxyMode");

/** A proxy's whole origin is one protection space: the path plays no part. */
const WHOLE_PROXY = "/";

/**
 * How one request stands with the proxy: the session its last header came
 * from, whether that answered a challenge received for this request, and
 * whether the one retry `stale=true` allows was used.
 */
export interface DigestRound {
  session: DigestSession | undefined;
  fresh: boolean;
  staleRetried: boolean;
}

/**
 * One DigestAuth's credentials, answering proxies.
 *
 * @example
 * ```ts
 * const digest = new DigestAuth("user", "pass")[proxyMode]();
 * const round = { session: undefined, fresh: false, staleRetried: false };
 * const header = digest.answer("http://proxy:3128", proxyAuthenticate, "CONNECT", "api.example.com:443", round);
 * ```
 */
export class DigestProxy {
  readonly #identity: DigestIdentity;
  readonly #algorithms: ReadonlySet<DigestAlgorithm> | undefined;
  readonly #spaces = new ProtectionSpaces();

  constructor(identity: DigestIdentity, algorithms: ReadonlySet<DigestAlgorithm> | undefined) {
    this.#identity = identity;
    this.#algorithms = algorithms;
  }

  /**
   * The `Proxy-Authorization` for `method target` through `proxy` from the
   * cached challenge, with the next `nc`; undefined before the first 407.
   * `target` is the request-target as the proxy reads it for Digest:
   * `host:port` for CONNECT, the path and query otherwise (as curl sends it).
   */
  preemptive(proxy: string, method: string, target: string, round: DigestRound): string | undefined {
    const session = this.#spaces.find(proxy, WHOLE_PROXY);
    if (session === undefined) return undefined;
    round.session = session;
    round.fresh = false;
    return session.authorize(method, target, undefined).header;
  }

  /**
   * The answer to a 407, or undefined to let it stand: no usable Digest
   * challenge (auth-int needs a body the proxy hop does not hash), or our
   * answer to a fresh challenge was refused (a wrong password: one attempt,
   * RFC 7616 §3.3 allows one more after `stale=true`).
   */
  answer(proxy: string, header: string | null, method: string, target: string, round: DigestRound): string | undefined {
    const challenge = this.#select(header);
    if (challenge === undefined) return undefined;
    const previous = round.session;
    if (previous !== undefined) {
      if (challenge.stale && !round.staleRetried) round.staleRetried = true;
      else if (round.fresh) {
        this.#spaces.remove(previous);
        return undefined;
      }
    }
    const session = new DigestSession(proxy, WHOLE_PROXY, challenge, this.#identity);
    this.#spaces.store(session);
    round.session = session;
    round.fresh = true;
    return session.authorize(method, target, undefined).header;
  }

  /** RFC 7616 §3.5 via `Proxy-Authentication-Info`: adopt `nextnonce` for the session `authorization` came from. */
  acknowledge(round: DigestRound, authorization: string, info: string): void {
    const { session } = round;
    if (session === undefined || !session.madeWithCurrentNonce(authorization)) return;
    let nextnonce: string | undefined;
    try {
      nextnonce = parseAuthenticationInfo(info).nextnonce;
    } catch {
      return;
    }
    if (nextnonce !== undefined && nextnonce.length <= MAX_CACHED_CHALLENGE) session.adopt(nextnonce);
  }

  /** True when `header` holds a Digest challenge these credentials can answer. */
  answerable(header: string | null): boolean {
    return this.#select(header) !== undefined;
  }

  #select(header: string | null): DigestChallenge | undefined {
    if (header === null) return undefined;
    try {
      const { selected } = selectDigestChallenge(parseChallenges(header), this.#algorithms);
      return selected?.qop === "auth-int" ? undefined : selected;
    } catch (error) {
      if (error instanceof ChallengeParseError) return undefined;
      throw error;
    }
  }
}
