/**
 * The `proxy` option of `Client` and `proxyAgent`: checked and resolved at
 * construction into which proxy (if any) serves each target, with the
 * credentials for each. The plain-HTTP rule for proxies: a password never
 * goes in clear to a proxy reached over `http:` that is not loopback —
 * Digest reveals no password and always may; Basic needs
 * `allowInsecureAuth: true` (in the proxy options, or the Client's own).
 */
import type { AuthLike } from "../engine/auth.js";
import { resolveTls } from "../engine/tls.js";
import { InsecureTransportError, InvalidArgumentError } from "../errors.js";
import type { RejectionGuard } from "../guard/guard.js";
import { isLoopback } from "../policy/origin.js";
import { parseURL } from "../support/url.js";
import { BasicAuth } from "./basic.js";
import { DigestAuth } from "./digest.js";
import { NoProxy } from "./no-proxy.js";
import { ProxyCredentials } from "./proxy-auth.js";
import { type Environment, processEnvironment, proxyEnvironment } from "./proxy-env.js";

/**
 * A proxy for `Client({ proxy })` and `proxyAgent(…)` (Node).
 *
 * @example
 * ```ts
 * const proxy: ProxyOptions = {
 *   url: "http://proxy.internal:3128",
 *   auth: ["alice", process.env.PROXY_PASSWORD ?? ""], // Digest or Basic, whichever the proxy offers
 *   noProxy: [".internal", "10.0.0.0/8"],
 * };
 * ```
 */
export interface ProxyOptions {
  /** The proxy, `http://` or `https://` (TLS to the proxy); `user:pass@` in it is `auth: [user, pass]`. */
  url: string | URL;
  /**
   * `[user, pass]`: answers whatever the 407 offers, Digest over Basic (curl's
   * `--proxy-anyauth`); `new BasicAuth(…)`: Basic, preemptive; `new DigestAuth(…)`: Digest only.
   */
  auth?: AuthLike;
  /** Hosts that go direct, curl's `NO_PROXY` rules: names, `.domains`, IPs, CIDRs, `host:port`, `*`. */
  noProxy?: readonly string[];
  /**
   * Allow Basic (the password in clear) to a proxy reached over plain `http:`
   * that is not loopback (default false: only Digest answers such a proxy).
   */
  allowInsecureAuth?: boolean;
  /**
   * The CA certificates (PEM text) that verify an `https://` proxy, replacing
   * the platform's roots for that hop only. Left out: the `tls.ca` of the
   * Client (or auth, or `proxyAgent`) when given — one private CA for the
   * proxy and the origins — else the platform's roots. The origins are
   * verified by `tls.ca` alone, never by this.
   */
  ca?: string | readonly string[];
}

/**
 * What the `proxy` option of a Client takes: a URL, {@link ProxyOptions},
 * `"env"` (the `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` variables, curl's
 * rules), or `false` (no proxy, the default).
 *
 * @example
 * ```ts
 * const setting: ProxySetting = "env";
 * ```
 */
export type ProxySetting = string | URL | ProxyOptions | "env" | false;

/** One proxy, ready: where it is, what answers its 407s, and what verifies its certificate. */
export interface ProxyEndpoint {
  readonly url: URL;
  /** `http://proxy:3128`: never with userinfo. */
  readonly origin: string;
  readonly credentials: ProxyCredentials | undefined;
  /** `ca` of the proxy options (an https:// proxy), checked; undefined to use the origins' `tls.ca` or the roots. */
  readonly ca: readonly string[] | undefined;
}

/**
 * The proxy setting resolved: the proxy for each target, and the guard that
 * counts the proxy's 407s.
 *
 * @example
 * ```ts
 * const proxy = resolveProxy("proxy", "http://127.0.0.1:3128", { allowInsecureAuth: false, guard: null });
 * proxy?.endpointFor(new URL("https://api.example.com/"))?.origin; // "http://127.0.0.1:3128"
 * ```
 */
export interface ResolvedProxy {
  /** The proxy for a request to `target`, or undefined to go direct. */
  endpointFor(target: URL): ProxyEndpoint | undefined;
  readonly guard: RejectionGuard | null;
}

/** What {@link resolveProxy} needs besides the setting. */
export interface ProxyContext {
  /** The Client's own opt-in, which covers its proxies too. */
  readonly allowInsecureAuth: boolean;
  readonly guard: RejectionGuard | null;
  /** The environment for `"env"` (default: the process's). */
  readonly environment?: Environment | undefined;
}

/**
 * Checks and resolves a proxy setting; undefined for none (`false`,
 * undefined, or `"env"` with no proxy variable set). Throws a coded
 * InvalidArgumentError (never repeating a password), InvalidURLError
 * (redacted) or InsecureTransportError (Basic pinned to a plain-HTTP proxy).
 *
 * @example
 * ```ts
 * resolveProxy("proxy", { url: "http://proxy:3128", auth: ["u", "p"] }, context);
 * ```
 */
export function resolveProxy(option: string, value: unknown, context: ProxyContext): ResolvedProxy | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === "env") return environmentProxy(option, context);
  const given: ProxyOptions =
    typeof value === "string" || value instanceof URL
      ? { url: value }
      : (checkProxyObject(option, value) as ProxyOptions);
  const endpoint = resolveEndpoint(option, given.url, given.auth, {
    allowInsecureAuth: context.allowInsecureAuth || given.allowInsecureAuth === true,
    ca: given.ca === undefined ? undefined : resolveTls(option, { ca: given.ca }).ca,
  });
  const noProxy = new NoProxy(given.noProxy ?? []);
  return {
    guard: context.guard,
    endpointFor: (target) => (noProxy.matches(target.hostname, portOf(target)) ? undefined : endpoint),
  };
}

function checkProxyObject(option: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_TYPE",
      option,
      `${option} must be a proxy URL, { url, auth, noProxy }, "env" or false`,
    );
  }
  const { url, noProxy, allowInsecureAuth } = value as Partial<ProxyOptions>;
  if (typeof url !== "string" && !(url instanceof URL)) {
    throw new InvalidArgumentError("ERR_INVALID_ARG_TYPE", `${option}.url`, `${option}.url must be a URL string`);
  }
  if (noProxy !== undefined && (!Array.isArray(noProxy) || noProxy.some((entry) => typeof entry !== "string"))) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_TYPE",
      `${option}.noProxy`,
      `${option}.noProxy must be an array of strings`,
    );
  }
  if (allowInsecureAuth !== undefined && typeof allowInsecureAuth !== "boolean") {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_TYPE",
      `${option}.allowInsecureAuth`,
      `${option}.allowInsecureAuth must be true or false`,
    );
  }
  return value;
}

/** `"env"`: one endpoint per target scheme; loopback targets always go direct (nobody asked to proxy them). */
function environmentProxy(option: string, context: ProxyContext): ResolvedProxy | undefined {
  const settings = proxyEnvironment(context.environment ?? processEnvironment());
  const endpoint = (text: string | undefined, variable: string) =>
    text === undefined
      ? undefined
      : resolveEndpoint(`${option} (${variable})`, text.includes("://") ? text : `http://${text}`, undefined, context);
  const http = endpoint(settings.http, "http_proxy");
  const https = endpoint(settings.https, "https_proxy");
  if (http === undefined && https === undefined) return undefined;
  const noProxy = new NoProxy(settings.noProxy);
  return {
    guard: context.guard,
    endpointFor(target) {
      if (isLoopback(target) || noProxy.matches(target.hostname, portOf(target))) return undefined;
      return target.protocol === "https:" ? https : http;
    },
  };
}

function resolveEndpoint(
  option: string,
  value: string | URL,
  auth: AuthLike | undefined,
  context: { readonly allowInsecureAuth: boolean; readonly ca?: readonly string[] | undefined },
): ProxyEndpoint {
  const url = parseURL(value, `the ${option} URL`);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      option,
      `${option} must be an http:// or https:// proxy (got ${url.protocol}; SOCKS proxies are not supported)`,
    );
  }
  const origin = url.origin;
  if (context.ca !== undefined && url.protocol !== "https:") {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      `${option}.ca`,
      `${option}.ca verifies an https:// proxy, and ${origin} is reached over plain HTTP: use its https:// URL, ` +
        `or leave ${option}.ca out`,
    );
  }
  const allowBasic = url.protocol === "https:" || isLoopback(url) || context.allowInsecureAuth;
  const credentials = credentialsOf(option, url, auth, { proxy: origin, allowBasic });
  if (credentials?.pinnedBasic === true && !allowBasic) {
    throw new InsecureTransportError(
      `refusing to send the proxy password in clear (Basic) to ${origin} over plain HTTP; use an https:// proxy, ` +
        "Digest (new DigestAuth, or [user, pass] with a proxy that offers it), or set allowInsecureAuth: true",
    );
  }
  return { url: new URL(origin), origin, credentials, ca: context.ca };
}

function credentialsOf(
  option: string,
  url: URL,
  auth: AuthLike | undefined,
  target: { proxy: string; allowBasic: boolean },
): ProxyCredentials | undefined {
  const inUrl = url.username !== "" || url.password !== "";
  if (inUrl && auth !== undefined) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      `${option}.auth`,
      `${option} has credentials both in its URL (user:pass@) and in auth: give them once`,
    );
  }
  if (inUrl) return ProxyCredentials.from([decode(url.username), decode(url.password)], target);
  if (auth === undefined || auth === null) return undefined;
  if (auth instanceof BasicAuth || auth instanceof DigestAuth) return ProxyCredentials.from(auth, target);
  if (Array.isArray(auth) && auth.length === 2 && auth.every((part) => typeof part === "string")) {
    return ProxyCredentials.from([auth[0], auth[1]], target);
  }
  throw new InvalidArgumentError(
    "ERR_INVALID_ARG_TYPE",
    `${option}.auth`,
    `${option}.auth must be [user, pass], a BasicAuth or a DigestAuth`,
  );
}

/** Percent-decoded userinfo (the URL keeps it encoded); a malformed escape is kept as written. */
function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function portOf(url: URL): number {
  if (url.port !== "") return Number(url.port);
  return url.protocol === "https:" ? 443 : 80;
}
