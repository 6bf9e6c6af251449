import { checkClientCredentialsOptions, checkEndpointURL, resourceList, scopeTokens } from "./check-options.js";
import { checkDpopOptions } from "./dpop-options.js";
import type { ClientCredentialsOptions, ResolvedOptions } from "./options.js";

/**
 * Validates `options` (see `checkClientCredentialsOptions`: coded
 * InvalidArgumentError, InvalidURLError with the URL redacted,
 * InsecureTransportError) and merges in the defaults, in one place.
 *
 * @example
 * ```ts
 * resolveOptions({ tokenUrl, clientId: "c", scope: "b a a" }).scopes; // ["a", "b"]
 * ```
 */
export function resolveOptions(options: ClientCredentialsOptions): ResolvedOptions {
  checkClientCredentialsOptions(options);
  checkDpopOptions(options);
  const allowInsecureAuth = options.allowInsecureAuth === true;
  // Fail at construction, not at the first request: a bad URL or plain HTTP is a configuration error.
  if (options.tokenUrl !== undefined) checkEndpointURL(options.tokenUrl, "tokenUrl", allowInsecureAuth);
  if (options.issuer !== undefined) checkEndpointURL(options.issuer, "issuer", allowInsecureAuth);
  for (const issuer of options.allowedIssuers ?? []) checkEndpointURL(issuer, "issuer", allowInsecureAuth);
  return {
    tokenUrl: options.tokenUrl,
    issuer: options.issuer,
    clientId: options.clientId,
    clientAuth: options.clientAuth ?? "client_secret_basic",
    scopes: sortedUnique(scopeTokens(options.scope)),
    audience: options.audience,
    resources: sortedUnique(resourceList(options.resource)),
    extraParams: { ...(options.extraParams ?? {}) },
    refreshLeewayMs: (options.refreshLeewaySeconds ?? 60) * 1000,
    maxRetries: options.maxRetries ?? 3,
    retryBudgetMs: options.retryBudgetMs ?? 30_000,
    allowInsecureAuth,
    now: options.now ?? Date.now,
    dpop: options.dpop === undefined ? undefined : options.dpop !== false,
    allowedIssuers: [...new Set(options.allowedIssuers ?? [])],
  };
}

function sortedUnique(items: readonly string[]): string[] {
  return [...new Set(items.filter((item) => item !== ""))].sort();
}
