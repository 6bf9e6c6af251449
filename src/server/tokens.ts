import { randomBytes } from "node:crypto";

/**
 * What a token is bound to (its `cnf` claim, were it a JWT): a DPoP key's
 * RFC 7638 thumbprint (RFC 9449 §6) and/or a client certificate's
 * `x5t#S256` (RFC 8705 §3.1).
 *
 * @example
 * ```ts
 * const cnf: TokenBinding = { jkt: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" };
 * ```
 */
export interface TokenBinding {
  readonly jkt?: string;
  readonly "x5t#S256"?: string;
}

/**
 * What the server remembers of a token it issued: the test server's access
 * tokens are opaque random strings, so their claims and binding live here.
 *
 * @example
 * ```ts
 * const record = tokens.get(accessToken, now);
 * if (record?.cnf?.jkt !== undefined) requireProof(record.cnf.jkt);
 * ```
 */
export interface IssuedToken {
  readonly clientId: string;
  readonly scope: string | undefined;
  readonly audience: string | undefined;
  /** RFC 8707 resource indicators it was issued for: its audience. */
  readonly resource: readonly string[];
  /** `DPoP` when bound to a DPoP key, else `Bearer` (a certificate-bound token is still a Bearer token, RFC 8705 §3). */
  readonly tokenType: "Bearer" | "DPoP";
  /** Its binding; undefined for a plain bearer token. */
  readonly cnf: TokenBinding | undefined;
  /** Server clock, epoch ms. */
  readonly expiresAt: number;
}

/** Tokens remembered before expired ones are swept. */
const SWEEP_AT = 10_000;

/**
 * The tokens `POST /oauth/token` issued, for every protected route to look up.
 *
 * @example
 * ```ts
 * const accessToken = tokens.issue({ clientId, scope, audience, resource, tokenType: "Bearer", cnf: undefined, expiresAt }, now);
 * tokens.get(accessToken, now)?.clientId; // clientId
 * ```
 */
export class IssuedTokens {
  readonly #tokens = new Map<string, IssuedToken>();

  /** Stores `record` under a new random token and returns the token. */
  issue(record: IssuedToken, now: number): string {
    if (this.#tokens.size >= SWEEP_AT) {
      for (const [token, old] of this.#tokens) if (old.expiresAt <= now) this.#tokens.delete(token);
    }
    const accessToken = randomBytes(24).toString("base64url");
    this.#tokens.set(accessToken, record);
    return accessToken;
  }

  /** The live record of `accessToken`, or undefined (unknown, or expired at `now`). */
  get(accessToken: string, now: number): IssuedToken | undefined {
    const record = this.#tokens.get(accessToken);
    return record !== undefined && now < record.expiresAt ? record : undefined;
  }

  clear(): void {
    this.#tokens.clear();
  }
}
