/**
 * The security policy every front door applies — Client, withAuth, the undici
 * interceptor and the proxy agent import these rules rather than restate them:
 * which headers are credentials, when plain HTTP is refused, and what a
 * redirect may carry. Pure functions, tested as tables in test/policy.test.ts.
 */
import { InsecureTransportError, UnsafeRedirectError } from "../errors.js";
import { isInsecure } from "./origin.js";

/**
 * Headers that carry credentials whatever the caller adds: stripped on a hop
 * to an untrusted origin, and refused over plain HTTP to a non-loopback host.
 */
export const CREDENTIAL_HEADERS: readonly string[] = [
  "authorization",
  "proxy-authorization",
  "cookie",
  "cookie2",
  "x-api-key",
  "api-key",
  "x-auth-token",
];

const DEFAULT_SET: ReadonlySet<string> = new Set(CREDENTIAL_HEADERS);

/**
 * The credential headers plus the caller's own `sensitiveHeaders`,
 * lower-cased: the one set both the redirect rule and the plain-HTTP rule read.
 *
 * @example
 * ```ts
 * credentialHeaderSet(["X-Session"]).has("x-session"); // true
 * ```
 */
export function credentialHeaderSet(extra?: readonly string[]): ReadonlySet<string> {
  if (extra === undefined || extra.length === 0) return DEFAULT_SET;
  const set = new Set(CREDENTIAL_HEADERS);
  for (const name of extra) set.add(name.toLowerCase());
  return set;
}

/** True when `headers` holds any header of `credentials`. */
export function carriesCredentials(headers: Headers, credentials: ReadonlySet<string>): boolean {
  for (const name of credentials) if (headers.has(name)) return true;
  return false;
}

/** A copy of `headers` without the headers of `credentials`. */
export function withoutCredentials(headers: Headers, credentials: ReadonlySet<string>): Headers {
  const result = new Headers();
  for (const [name, value] of headers) if (!credentials.has(name)) result.append(name, value);
  return result;
}

/**
 * The plain-HTTP rule: credentials — an auth, or any header of
 * {@link credentialHeaderSet} — never travel in clear to a host that is not
 * loopback (see `isLoopback`) unless the caller opted in.
 *
 * @example
 * ```ts
 * refusesPlainHttp(new URL("http://svc.localhost/"), false); // true: resolved through DNS
 * ```
 */
export function refusesPlainHttp(url: URL, allowInsecureAuth: boolean): boolean {
  return !allowInsecureAuth && isInsecure(url);
}

/** What a redirect is, as {@link redirectVerdict} judges it. */
export interface RedirectInput {
  /** The URL of the request that was answered with the redirect. */
  readonly from: URL;
  /** The `Location` header, as the server sent it. */
  readonly location: string;
  readonly status: number;
  /** The method of the request that was answered. */
  readonly method: string;
  /** Whether the answered request carried credentials (an auth, or a credential header). */
  readonly credentialed: boolean;
  /** Whether the chain may still carry credentials (once stripped, they stay stripped). */
  readonly credentialsKept: boolean;
  /** Whether the answered request had a body that a 307/308 would send again. */
  readonly hasBody: boolean;
  /** Whether `origin` may receive the chain's credentials (the first hop's origin, or a trusted one). */
  readonly trusted: (origin: string) => boolean;
}

/** Why a redirect is refused. */
export type RedirectRefusal = "invalid" | "scheme" | "userinfo" | "credentialed-body";

/** What to do with a redirect. */
export type RedirectVerdict =
  | {
      readonly follow: true;
      readonly url: URL;
      /** The method of the next request (303, and 301/302 after POST, turn into GET). */
      readonly method: string;
      /** The body and its headers are dropped (the method became GET). */
      readonly dropBody: boolean;
      /** Whether the next hop may carry credentials. */
      readonly credentials: boolean;
    }
  | { readonly follow: false; readonly reason: RedirectRefusal; readonly target: string };

/**
 * The redirect-credential rule, in one place: only http: and https: are
 * followed; a `Location` with `user:pass@` is refused; credentials go only to
 * trusted origins, never from https to http, and once stripped stay stripped
 * (Go CVE-2024-45336); a 307/308 that would re-send a credentialed request's
 * body to an untrusted origin is refused (the body may be the secret).
 * Fetch §4.4 step 12 for the method.
 */
export function redirectVerdict(input: RedirectInput): RedirectVerdict {
  let next: URL;
  try {
    next = new URL(input.location, input.from);
  } catch {
    return { follow: false, reason: "invalid", target: "invalid" };
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") {
    return { follow: false, reason: "scheme", target: next.protocol };
  }
  if (next.username !== "" || next.password !== "") {
    return { follow: false, reason: "userinfo", target: next.origin };
  }
  const downgrade = input.from.protocol === "https:" && next.protocol === "http:";
  const trusted = input.trusted(next.origin);
  const credentials = input.credentialsKept && trusted && !downgrade;
  const method = input.method;
  const toGet =
    (input.status === 303 && method !== "GET" && method !== "HEAD") ||
    ((input.status === 301 || input.status === 302) && method === "POST");
  if (toGet) return { follow: true, url: next, method: "GET", dropBody: true, credentials };
  if (input.credentialed && input.hasBody && !(trusted && !downgrade)) {
    return { follow: false, reason: "credentialed-body", target: next.origin };
  }
  return { follow: true, url: next, method, dropBody: false, credentials };
}

/** The status codes that are redirects with a `Location` to follow. */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * The error for a redirect {@link redirectVerdict} refused, for every front door.
 *
 * @example
 * ```ts
 * if (!verdict.follow) throw redirectRefusalError(verdict, from, 307);
 * ```
 */
export function redirectRefusalError(
  verdict: Extract<RedirectVerdict, { follow: false }>,
  from: URL,
  status: number,
): UnsafeRedirectError {
  const { target } = verdict;
  switch (verdict.reason) {
    case "invalid":
      return new UnsafeRedirectError(`redirect from ${from.origin} to an invalid URL`, target);
    case "scheme":
      return new UnsafeRedirectError(
        `refusing to follow a redirect from ${from.origin} to a ${target} URL; only http: and https: are followed`,
        target,
      );
    case "userinfo":
      return new UnsafeRedirectError(
        `refusing to follow a redirect from ${from.origin} to a URL with embedded credentials (${target})`,
        target,
      );
    case "credentialed-body":
      return new UnsafeRedirectError(
        `refusing to re-send a credentialed request's body from ${from.origin} to ${target} (${status} redirect); ` +
          "add the target to trustedOrigins if it should receive it",
        target,
      );
  }
}

/** The error for credentials that would go over plain HTTP to `origin` (shared with the undici interceptor). */
export function insecureTransportError(origin: string): InsecureTransportError {
  return new InsecureTransportError(
    `refusing to send credentials over plain HTTP to ${origin}: anyone on the network could read them. ` +
      "Use https://, or set allowInsecureAuth: true if this network is trusted.",
  );
}
