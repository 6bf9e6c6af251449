import { InsecureTransportError, TokenEndpointError } from "../errors.js";
import { isInsecure } from "../origin.js";
import { readCapped } from "./token-endpoint.js";
import type { FetchFunction } from "./options.js";

/**
 * The parts of an authorization server's metadata (RFC 8414 §2) authflow uses.
 *
 * @example
 * ```ts
 * const metadata: AuthorizationServerMetadata = await discover("https://as.example", fetch);
 * metadata.token_endpoint; // "https://as.example/oauth/token"
 * ```
 */
export interface AuthorizationServerMetadata {
  readonly issuer: string;
  readonly token_endpoint: string;
  readonly token_endpoint_auth_methods_supported?: readonly string[];
  readonly [name: string]: unknown;
}

/**
 * The discovery URLs for `issuer`, in the order they are tried: RFC 8414 §3.1
 * inserts the well-known segment between the host and the issuer's path;
 * OpenID Connect Discovery 1.0 §4 appends it to the path.
 *
 * @example
 * ```ts
 * discoveryUrls("https://as.example/tenant1");
 * // ["https://as.example/.well-known/oauth-authorization-server/tenant1",
 * //  "https://as.example/tenant1/.well-known/openid-configuration"]
 * ```
 */
export function discoveryUrls(issuer: string): [string, string] {
  const url = new URL(issuer);
  if (url.search !== "" || url.hash !== "" || url.href.includes("?") || url.href.includes("#")) {
    throw new TypeError("an issuer identifier has no query or fragment (RFC 8414 §2)");
  }
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ];
}

/** Discovered metadata, per fetch function and issuer: a test's mock fetch never sees production metadata. */
const cache = new WeakMap<FetchFunction, Map<string, Promise<AuthorizationServerMetadata>>>();

/**
 * The metadata of `issuer`, fetched once per (fetch function, issuer) and
 * shared by concurrent callers; a failure is not cached, so the next call
 * tries again. The metadata's `issuer` must equal the configured one exactly
 * (RFC 8414 §3.3, mix-up defence), and its `token_endpoint` must use TLS
 * unless it is loopback or `allowInsecure` is set.
 *
 * @example
 * ```ts
 * const { token_endpoint } = await discover("https://as.example", fetch);
 * ```
 */
export function discover(
  issuer: string,
  fetch: FetchFunction,
  allowInsecure = false,
): Promise<AuthorizationServerMetadata> {
  let byIssuer = cache.get(fetch);
  if (byIssuer === undefined) {
    byIssuer = new Map();
    cache.set(fetch, byIssuer);
  }
  const known = byIssuer.get(issuer);
  if (known !== undefined) return known;
  const pending = fetchMetadata(issuer, fetch, allowInsecure);
  byIssuer.set(issuer, pending);
  pending.catch(() => byIssuer.delete(issuer));
  return pending;
}

async function fetchMetadata(
  issuer: string,
  fetch: FetchFunction,
  allowInsecure: boolean,
): Promise<AuthorizationServerMetadata> {
  const urls = discoveryUrls(issuer);
  checkTransport(new URL(issuer), "issuer", allowInsecure);
  let lastStatus: number | undefined;
  for (const url of urls) {
    let response: Response;
    try {
      response = await fetch(new Request(url, { headers: { accept: "application/json" }, redirect: "manual" }));
    } catch (error) {
      throw new TokenEndpointError(`discovery at ${url} failed: the authorization server could not be reached`, {
        cause: error instanceof Error ? new Error(error.name) : undefined,
      });
    }
    if (response.status !== 200) {
      lastStatus = response.status;
      await response.body?.cancel();
      continue;
    }
    return validateMetadata(issuer, await readJson(response, url), allowInsecure);
  }
  throw new TokenEndpointError(
    `no authorization server metadata for ${issuer}: ${urls.join(" and ")} did not answer 200 (last: ${lastStatus}). ` +
      "Check the issuer, or configure tokenUrl instead.",
    { status: lastStatus },
  );
}

async function readJson(response: Response, url: string): Promise<Record<string, unknown>> {
  const text = await readCapped(response, `the metadata at ${url}`);
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new TokenEndpointError(`the metadata at ${url} is not a JSON object (RFC 8414 §3.2)`, { status: 200 });
}

/**
 * Checks discovered metadata against the configured issuer (RFC 8414 §3.3).
 * Pure.
 *
 * @example
 * ```ts
 * validateMetadata("https://as.example", { issuer: "https://as.example", token_endpoint: "https://as.example/token" });
 * ```
 */
export function validateMetadata(
  issuer: string,
  metadata: Record<string, unknown>,
  allowInsecure = false,
): AuthorizationServerMetadata {
  if (metadata.issuer !== issuer) {
    throw new TokenEndpointError(
      `the authorization server metadata names issuer ${JSON.stringify(String(metadata.issuer).slice(0, 200))}, ` +
        `not the configured ${JSON.stringify(issuer)}; they must be identical (RFC 8414 §3.3)`,
    );
  }
  const endpoint = metadata.token_endpoint;
  let url: URL;
  try {
    url = new URL(typeof endpoint === "string" ? endpoint : "");
  } catch {
    throw new TokenEndpointError(`the metadata of ${issuer} has no valid token_endpoint (RFC 8414 §2)`);
  }
  checkTransport(url, "token_endpoint", allowInsecure);
  return metadata as AuthorizationServerMetadata;
}

/**
 * RFC 6749 §3.2: the token endpoint requires TLS. Plain `http:` is allowed for
 * loopback (tests, sidecars) or with `allowInsecure`.
 *
 * @example
 * ```ts
 * checkTransport(new URL("http://as.example/token"), "tokenUrl", false); // → InsecureTransportError
 * ```
 */
export function checkTransport(url: URL, what: string, allowInsecure: boolean): void {
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new TypeError(`the ${what} must be an https: URL, got ${url.protocol}`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new TypeError(`the ${what} must not contain credentials (user:pass@)`);
  }
  if (!allowInsecure && isInsecure(url)) {
    throw new InsecureTransportError(
      `refusing to send client credentials over plain HTTP to ${url.origin} (RFC 6749 §3.2 requires TLS); ` +
        "use https:, or set allowInsecureAuth: true if you accept the risk",
    );
  }
}
