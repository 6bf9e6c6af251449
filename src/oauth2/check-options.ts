import { InvalidArgumentError, InvalidURLError } from "../errors.js";
import {
  checkBoolean,
  checkFunction,
  checkInteger,
  checkNumber,
  checkObject,
  checkOneOf,
  checkString,
} from "../policy/validate.js";
import { parseURL, redactURLText } from "../support/url.js";
import { checkTransport } from "./discovery.js";
import type { ClientCredentialsOptions } from "./options.js";
import { MAX_LIFETIME_SECONDS } from "./token-response.js";

/**
 * Construction-time checks of {@link ClientCredentialsOptions} (issue 12,
 * "option values are not validated"): every option's type and range, with
 * the coded errors of src/policy/validate.ts. A string option's value is never
 * repeated in a message (it may be a secret); a URL only redacted.
 */

/** The client authentication methods authflow speaks. */
export const CLIENT_AUTH_METHODS = [
  "client_secret_basic",
  "client_secret_post",
  "client_secret_jwt",
  "private_key_jwt",
  "tls_client_auth",
  "self_signed_tls_client_auth",
] as const;
/** setTimeout's limit: a longer delay fires at once (Node, browsers). */
const MAX_TIMER_MS = 2_147_483_647;
/** RFC 6749 §3.3: scope-token = 1*NQCHAR. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** Parameters authflow sets itself; `extraParams` may not override them (RFC 6749 §4.4.2, RFC 7523 §2.2). */
const RESERVED_PARAMS = new Set([
  "grant_type",
  "client_id",
  "client_secret",
  "client_assertion",
  "client_assertion_type",
  "scope",
  "audience",
  "resource",
]);

/**
 * Throws {@link InvalidArgumentError} (or {@link InvalidURLError} for a URL)
 * for any option that cannot work.
 *
 * @example
 * ```ts
 * checkClientCredentialsOptions({ tokenUrl, clientId: "c", maxRetries: -1 }); // → InvalidArgumentError
 * ```
 */
export function checkClientCredentialsOptions(options: ClientCredentialsOptions): void {
  if (options === undefined || options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new InvalidArgumentError("ERR_INVALID_ARG_TYPE", "options", "ClientCredentialsAuth needs an options object");
  }
  checkString("clientId", options.clientId, false);
  checkString("tokenUrl", options.tokenUrl);
  checkString("issuer", options.issuer);
  // Resource discovery (allowedIssuers, RFC 9728) is the third way to find the token endpoint.
  const endpoints = [options.tokenUrl, options.issuer, options.allowedIssuers].filter((value) => value !== undefined);
  if (endpoints.length !== 1) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      "tokenUrl",
      "ClientCredentialsAuth needs exactly one of tokenUrl or issuer (or allowedIssuers, for resource discovery)",
    );
  }
  checkString("clientSecret", options.clientSecret);
  checkOneOf("clientAuth", options.clientAuth, CLIENT_AUTH_METHODS);
  checkPrivateKey(options);
  checkStringOrList("scope", options.scope);
  checkString("audience", options.audience);
  checkStringOrList("resource", options.resource);
  checkExtraParams(options.extraParams);
  checkNumber("refreshLeewaySeconds", options.refreshLeewaySeconds, 0, MAX_LIFETIME_SECONDS);
  checkStore(options.store);
  for (const name of ["fetch", "onToken", "onRefreshError", "now"] as const) checkFunction(name, options[name]);
  checkInteger("maxRetries", options.maxRetries, 0, 100);
  checkNumber("retryBudgetMs", options.retryBudgetMs, 1, MAX_TIMER_MS);
  checkBoolean("allowInsecureAuth", options.allowInsecureAuth);
}

/**
 * The configured token endpoint or issuer, parsed: a typo is an
 * {@link InvalidURLError} whose message and `url` redact userinfo and query
 * (the platform's TypeError would carry the whole text in `input`); a
 * non-HTTP scheme, `user:pass@` or plain HTTP off loopback are refused; an
 * issuer has no query or fragment (RFC 8414 §2).
 *
 * @example
 * ```ts
 * checkEndpointURL("https://as.example/token", "tokenUrl", false);
 * ```
 */
export function checkEndpointURL(text: string, what: "tokenUrl" | "issuer", allowInsecure: boolean): URL {
  const url = parseURL(text, `the ${what}`);
  checkTransport(url, what, allowInsecure);
  if (what === "issuer" && (url.search !== "" || url.hash !== "" || /[?#]/.test(text))) {
    throw new InvalidURLError("the issuer must have no query or fragment (RFC 8414 §2)", redactURLText(text));
  }
  return url;
}

/**
 * The scope tokens of `scope` (a space-separated string, or a list whose
 * entries may hold several), each checked against RFC 6749 §3.3.
 *
 * @example
 * ```ts
 * scopeTokens(["read write", "admin"]); // ["read", "write", "admin"]
 * ```
 */
export function scopeTokens(scope: string | readonly string[] | undefined): string[] {
  if (scope === undefined) return [];
  const tokens = (typeof scope === "string" ? [scope] : [...scope]).flatMap((entry) => entry.split(/[ \t\n\r]+/));
  const kept = tokens.filter((token) => token !== "");
  for (const token of kept) {
    if (!SCOPE_TOKEN.test(token)) {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        "scope",
        'scope tokens are printable ASCII without " or \\ (RFC 6749 §3.3)',
      );
    }
  }
  return kept;
}

/**
 * The resource indicators of `resource`, each an absolute URI without a
 * fragment (RFC 8707 §2).
 *
 * @example
 * ```ts
 * resourceList("https://api.example.com"); // ["https://api.example.com"]
 * ```
 */
export function resourceList(resource: string | readonly string[] | undefined): string[] {
  if (resource === undefined) return [];
  const list = typeof resource === "string" ? [resource] : [...resource];
  for (const entry of list) {
    const url = parseURL(entry, "a resource indicator");
    if (url.hash !== "" || entry.includes("#")) {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        "resource",
        "resource must be an absolute URI without a fragment (RFC 8707 §2)",
      );
    }
  }
  return list;
}

function checkStringOrList(option: string, value: unknown): void {
  if (value === undefined || typeof value === "string") return;
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== "string")) {
    throw new InvalidArgumentError("ERR_INVALID_ARG_TYPE", option, `${option} must be a string or an array of strings`);
  }
}

function checkPrivateKey(options: ClientCredentialsOptions): void {
  checkString("signingAlgorithm", options.signingAlgorithm);
  const key: unknown = options.privateKey;
  if (key === undefined) return;
  if (typeof key === "string") {
    if (!key.includes("-----BEGIN PRIVATE KEY-----")) {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        "privateKey",
        "a string privateKey must be a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----); the value is not shown",
      );
    }
    if (options.signingAlgorithm === undefined) {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        "signingAlgorithm",
        'a PEM privateKey needs signingAlgorithm (e.g. "RS256", "ES256", "EdDSA")',
      );
    }
    return;
  }
  if (key === null || typeof key !== "object" || Array.isArray(key)) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_TYPE",
      "privateKey",
      "privateKey must be a JWK object, a PKCS#8 PEM string or a CryptoKey",
    );
  }
}

function checkExtraParams(value: ClientCredentialsOptions["extraParams"]): void {
  checkObject("extraParams", value);
  for (const [name, entry] of Object.entries(value ?? {})) {
    if (RESERVED_PARAMS.has(name)) {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        "extraParams",
        `extraParams may not set "${name}"; use the dedicated option`,
      );
    }
    if (typeof entry !== "string") {
      throw new InvalidArgumentError("ERR_INVALID_ARG_TYPE", "extraParams", `extraParams.${name} must be a string`);
    }
  }
}

function checkStore(store: unknown): void {
  if (store === undefined) return;
  const methods = ["get", "set", "delete", "withLock"] as const;
  const candidate = store as Record<(typeof methods)[number], unknown> | null;
  if (
    candidate === null ||
    typeof candidate !== "object" ||
    methods.some((method) => typeof candidate[method] !== "function")
  ) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_TYPE",
      "store",
      "store must be a TokenStore (an object with get, set, delete and withLock)",
    );
  }
}
