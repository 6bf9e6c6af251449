/**
 * Credentials for a proxy (RFC 9110 §11.7): what goes in
 * `Proxy-Authorization`, before and after a 407. Three forms, as
 * `ProxyOptions.auth` takes them:
 * - `[user, pass]`: whichever the proxy offers, Digest over Basic (curl's
 *   `--proxy-anyauth`), then preemptively the scheme that was accepted;
 * - `new BasicAuth(…)`: Basic, preemptive from the first request;
 * - `new DigestAuth(…)`: Digest only.
 * Basic shows the password to anyone on the path: to an `http://` proxy that
 * is not loopback it goes only with `allowInsecureAuth` (src/schemes/proxy-options.ts).
 */
import type { Auth } from "../engine/auth.js";
import { authorizationFor, credentialIdentity } from "../engine/capabilities.js";
import { ChallengeParseError, InsecureTransportError } from "../errors.js";
import { parseChallenges } from "../headers/challenge.js";
import { REDACTED, redactable } from "../support/redact.js";
import { BasicAuth } from "./basic.js";
import { DigestAuth } from "./digest.js";
import { type DigestProxy, type DigestRound, proxyMode } from "./digest-proxy.js";

/**
 * One request's exchange with the proxy: what its last `Proxy-Authorization`
 * was made of, so a refused answer is never repeated (no loop).
 */
export interface ProxyRound extends DigestRound {
  /** The scheme of the last header sent, if any. */
  scheme: "basic" | "digest" | undefined;
}

/** A fresh {@link ProxyRound}. */
export function newRound(): ProxyRound {
  return { scheme: undefined, session: undefined, fresh: false, staleRetried: false };
}

type Mode = "basic" | "digest" | "any";

/**
 * The credentials of one proxy, in one of the three forms.
 *
 * @example
 * ```ts
 * const credentials = ProxyCredentials.from(["user", "pass"], { proxy: "https://proxy:3128", allowBasic: true });
 * const round = newRound();
 * let header = credentials.preemptive("CONNECT", "api.example.com:443", round);
 * // … a 407 with Proxy-Authenticate: `value`
 * header = credentials.answer(value, "CONNECT", "api.example.com:443", round);
 * ```
 */
export class ProxyCredentials {
  /** What the bad-credential guard counts failures by (the credentials, whichever scheme answers). */
  readonly guardAuth: Auth;
  /** The proxy's origin: Digest challenges are cached per proxy. */
  readonly proxy: string;
  readonly #mode: Mode;
  readonly #basic: string | undefined;
  readonly #digest: DigestProxy | undefined;
  readonly #allowBasic: boolean;
  /** `any`: the scheme the proxy last accepted, sent preemptively from then on. */
  #accepted: "basic" | "digest" | undefined;

  private constructor(guardAuth: Auth, mode: Mode, proxy: string, allowBasic: boolean) {
    this.guardAuth = guardAuth;
    this.proxy = proxy;
    this.#mode = mode;
    this.#allowBasic = allowBasic;
    if (mode === "basic") this.#basic = (guardAuth as BasicAuth)[authorizationFor]();
    else if (mode === "any") this.#basic = (guardAuth as PairAuth).basic;
    if (mode === "digest") this.#digest = (guardAuth as DigestAuth)[proxyMode]();
    else if (mode === "any") this.#digest = (guardAuth as PairAuth).digest[proxyMode]();
  }

  /**
   * The credentials for `auth` (a `[user, pass]` tuple, a BasicAuth or a
   * DigestAuth) towards `proxy`; `allowBasic` false refuses Basic (a plain
   * `http:` proxy that is not loopback, without the opt-in).
   */
  static from(
    auth: BasicAuth | DigestAuth | readonly [string, string],
    target: { proxy: string; allowBasic: boolean },
  ) {
    if (auth instanceof BasicAuth) return new ProxyCredentials(auth, "basic", target.proxy, target.allowBasic);
    if (auth instanceof DigestAuth) return new ProxyCredentials(auth, "digest", target.proxy, target.allowBasic);
    return new ProxyCredentials(new PairAuth(auth[0], auth[1]), "any", target.proxy, target.allowBasic);
  }

  /** True when the pinned scheme is Basic (refused up front over a plain-HTTP proxy without the opt-in). */
  get pinnedBasic(): boolean {
    return this.#mode === "basic";
  }

  /** The `Proxy-Authorization` to send with `method target` before any 407, if the credentials know one. */
  preemptive(method: string, target: string, round: ProxyRound): string | undefined {
    const scheme = this.#mode === "any" ? this.#accepted : this.#mode;
    if (scheme === "basic") {
      if (!this.#allowBasic) return undefined;
      round.scheme = "basic";
      return this.#basic;
    }
    if (scheme !== "digest") return undefined;
    const header = this.#digest?.preemptive(this.proxy, method, target, round);
    if (header !== undefined) round.scheme = "digest";
    return header;
  }

  /**
   * The answer to a 407 carrying `challenges` (`Proxy-Authenticate`), or
   * undefined to let the 407 stand. Throws InsecureTransportError when only
   * Basic would answer and Basic may not go to this proxy.
   */
  answer(challenges: string | null, method: string, target: string, round: ProxyRound): string | undefined {
    const digest = this.#digest;
    if (digest?.answerable(challenges)) {
      const header = digest.answer(this.proxy, challenges, method, target, round);
      if (header !== undefined) round.scheme = "digest";
      return header;
    }
    if (this.#basic === undefined || round.scheme !== undefined || !offersBasic(challenges)) return undefined;
    if (!this.#allowBasic) {
      throw new InsecureTransportError(
        `the proxy ${this.proxy} asks for Basic, which would send the proxy password in clear over plain HTTP; ` +
          "use an https:// proxy URL, or set allowInsecureAuth: true in the proxy options if you accept the risk",
      );
    }
    round.scheme = "basic";
    return this.#basic;
  }

  /** The proxy took the request: remember the scheme (`[user, pass]`), adopt `nextnonce` (Digest). */
  accepted(round: ProxyRound, authorization: string | undefined, info: string | undefined): void {
    if (round.scheme === undefined || authorization === undefined) return;
    if (this.#mode === "any") this.#accepted = round.scheme;
    if (round.scheme === "digest" && info !== undefined) this.#digest?.acknowledge(round, authorization, info);
  }
}

/**
 * The `[user, pass]` of a proxy as one Auth: the guard's identity is the
 * credentials' (a keyed digest of both, as DigestAuth makes it), whichever
 * scheme answers.
 */
class PairAuth implements Auth {
  readonly username: string;
  readonly digest: DigestAuth;
  /** The Basic header; undefined for a user name with ":" (RFC 7617 §2), which answers Digest only. */
  readonly basic: string | undefined;

  constructor(username: string, password: string) {
    this.username = username;
    this.digest = new DigestAuth(username, password);
    this.basic = username.includes(":") ? undefined : new BasicAuth(username, password)[authorizationFor]();
  }
  authFlow(request: Request) {
    return this.digest.authFlow(request);
  }
  [credentialIdentity](): string {
    return this.digest[credentialIdentity]();
  }
}
redactable(PairAuth.prototype, "ProxyCredentials", (pair) => ({ username: pair.username, password: REDACTED }));

function offersBasic(challenges: string | null): boolean {
  if (challenges === null) return false;
  try {
    return parseChallenges(challenges).some((challenge) => challenge.scheme.toLowerCase() === "basic");
  } catch (error) {
    if (error instanceof ChallengeParseError) return false;
    throw error;
  }
}
