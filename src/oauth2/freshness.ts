import type { Token } from "../stores/store.js";
import { lifetimeSeconds } from "./token-response.js";

/**
 * Whether `token` is inside its refresh window at `now`: less than
 * min(leeway, lifetime / 2) left (OAUTH-07: a 10 s token with a 60 s leeway
 * must not refresh on every request). A clock that now reads earlier than
 * when the token was obtained has jumped back; the remaining time is then
 * unknown, so refresh. A token without an expiry never is.
 *
 * @example
 * ```ts
 * inRefreshWindow(token, Date.now(), 60_000); // true once under min(60 s, lifetime / 2) remain
 * ```
 */
export function inRefreshWindow(token: Token, now: number, refreshLeewayMs: number): boolean {
  if (token.expiresAt === undefined) return false;
  const lifetimeMs = tokenLifetimeMs(token) ?? refreshLeewayMs * 2;
  const leeway = Math.min(refreshLeewayMs, lifetimeMs / 2);
  return now >= token.expiresAt - leeway || now < token.expiresAt - lifetimeMs;
}

/** The lifetime the server declared, from the token's raw answer; undefined when it cannot tell. */
function tokenLifetimeMs(token: Token): number | undefined {
  try {
    const seconds = lifetimeSeconds(token.raw.expires_in, 200);
    return seconds === undefined ? undefined : seconds * 1000;
  } catch {
    return undefined;
  }
}
