import { parseChallenges } from "../headers/challenge.js";

/**
 * What a resource server's 401 says to a client holding OAuth tokens: the
 * `Bearer` (RFC 6750 §3) and `DPoP` (RFC 9449 §7.1) challenges of its
 * `WWW-Authenticate`, read once. Pure.
 *
 * @example
 * ```ts
 * const challenge = tokenChallenge(response.headers);
 * if (challenge.useDpopNonce) resendWithTheNonce();
 * ```
 */
export interface TokenChallenge {
  /** `Bearer error="invalid_token"`: the token was revoked or expired early (RFC 6750 §3.1). */
  readonly bearerInvalidToken: boolean;
  /** `DPoP error="invalid_token"`: the same, for a DPoP-bound token (RFC 9449 §7.1). */
  readonly dpopInvalidToken: boolean;
  /** `DPoP error="use_dpop_nonce"`: resend with the `DPoP-Nonce` given (RFC 9449 §9). */
  readonly useDpopNonce: boolean;
  /** `DPoP error="invalid_dpop_proof"`: the proof was refused (RFC 9449 §7.1). */
  readonly invalidDpopProof: boolean;
  /** The first `resource_metadata` of a Bearer or DPoP challenge (RFC 9728 §5.1). */
  readonly resourceMetadata: string | undefined;
  /** Whether any Bearer or DPoP challenge was there at all. */
  readonly oauth: boolean;
}

const NONE: TokenChallenge = {
  bearerInvalidToken: false,
  dpopInvalidToken: false,
  useDpopNonce: false,
  invalidDpopProof: false,
  resourceMetadata: undefined,
  oauth: false,
};

/**
 * The OAuth reading of `headers`' `WWW-Authenticate`. A header that does not
 * parse says nothing.
 *
 * @example
 * ```ts
 * tokenChallenge(new Headers({ "www-authenticate": 'DPoP error="use_dpop_nonce"' })).useDpopNonce; // true
 * ```
 */
export function tokenChallenge(headers: Headers): TokenChallenge {
  const header = headers.get("www-authenticate");
  if (header === null) return NONE;
  let challenges: ReturnType<typeof parseChallenges>;
  try {
    challenges = parseChallenges(header);
  } catch {
    return NONE;
  }
  const result: { -readonly [K in keyof TokenChallenge]: TokenChallenge[K] } = { ...NONE };
  for (const { scheme, params } of challenges) {
    const name = scheme.toLowerCase();
    if (name !== "bearer" && name !== "dpop") continue;
    result.oauth = true;
    const error = params.error;
    if (name === "bearer" && error === "invalid_token") result.bearerInvalidToken = true;
    if (name === "dpop" && error === "invalid_token") result.dpopInvalidToken = true;
    if (name === "dpop" && error === "use_dpop_nonce") result.useDpopNonce = true;
    if (name === "dpop" && error === "invalid_dpop_proof") result.invalidDpopProof = true;
    result.resourceMetadata ??= params.resource_metadata;
  }
  return result;
}

/**
 * RFC 6750 §3: a Bearer challenge with `error="invalid_token"`. A header that
 * does not parse is not one.
 *
 * @example
 * ```ts
 * isInvalidTokenChallenge(new Headers({ "www-authenticate": 'Bearer realm="api", error="invalid_token"' })); // true
 * ```
 */
export function isInvalidTokenChallenge(headers: Headers): boolean {
  return tokenChallenge(headers).bearerInvalidToken;
}
