import { DpopChecker } from "./dpop.js";
import type { TestServerOptions } from "./option-types.js";
import type { ServerStats } from "./stats.js";
import { IssuedTokens } from "./tokens.js";

/**
 * What the token endpoint and the protected routes share: the tokens issued,
 * the DPoP checker (nonces, replay cache) and the OAuth clock
 * (`oauthClockSkewSeconds`). `reset()` forgets all of it.
 *
 * @example
 * ```ts
 * const oauth = createOAuthState(options, stats);
 * const record = oauth.tokens.get(accessToken, oauth.now());
 * ```
 */
export interface OAuthState {
  readonly tokens: IssuedTokens;
  readonly dpop: DpopChecker;
  /** The OAuth routes' clock, epoch ms, shifted by `oauthClockSkewSeconds`. */
  now(): number;
  /** A `Date` header for that clock when it is shifted, else `{}`. */
  dateHeader(): Record<string, string>;
  reset(): void;
}

/**
 * Builds the shared OAuth state for one server.
 *
 * @example
 * ```ts
 * const context = { options, stats, limits, oauth: createOAuthState(options, stats) };
 * ```
 */
export function createOAuthState(options: TestServerOptions, stats: ServerStats): OAuthState {
  const skewMs = (options.oauthClockSkewSeconds ?? 0) * 1000;
  const now = () => Date.now() + skewMs;
  const tokens = new IssuedTokens();
  const dpop = new DpopChecker(options.dpop, stats, now);
  return {
    tokens,
    dpop,
    now,
    dateHeader: () => (skewMs === 0 ? {} : { date: new Date(now()).toUTCString() }),
    reset() {
      tokens.clear();
      dpop.reset();
    },
  };
}
