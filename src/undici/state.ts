import type { AuthLike } from "../engine/auth.js";
import { acknowledgerOf, authorizationFor, type FastPathAuth, hasFastPath } from "../engine/capabilities.js";
import { InvalidArgumentError } from "../errors.js";
import { resolveAuth } from "../front/to-auth.js";
import { type CommonOptions, resolveCommonOptions, resolveOrigins } from "../policy/options.js";
import { refusesPlainHttp } from "../policy/rules.js";
import type { FlowPolicy } from "./flow.js";

/**
 * Options of `authInterceptor`: the options every front door shares, plus
 * the origins that receive credentials.
 *
 * @example
 * ```ts
 * authInterceptor(new BearerAuth(token), { origins: ["https://api.example.com"], maxReplayBytes: 4 << 20 });
 * ```
 */
export interface AuthInterceptorOptions extends CommonOptions {
  /**
   * The origins that receive credentials, e.g. `["https://api.example.com"]`;
   * requests to any other origin pass through untouched. Default: every
   * origin the dispatcher talks to. Set it whenever the dispatcher is shared
   * or redirects are followed.
   */
  origins?: readonly string[];
}

/** An origin as the interceptor judges it, computed once per origin string. */
export interface Site {
  readonly origin: string;
  readonly protocol: string;
  /** Plain http: to a host that is not loopback, and `allowInsecureAuth` unset: credentials may not go. */
  readonly plainHttp: boolean;
  /** Whether `origins` lets this origin receive credentials. */
  readonly configured: boolean;
}

/** Everything the interceptor decides with, resolved once at construction. */
export interface InterceptorState extends FlowPolicy {
  readonly fast: FastPathAuth | undefined;
  /** Whether the fast-path method reads its arguments (Digest does; Basic does not). */
  readonly fastNeedsUrl: boolean;
  readonly allowInsecureAuth: boolean;
  /** The credential headers (policy's set plus `sensitiveHeaders`), lower case. */
  readonly credentials: ReadonlySet<string>;
  readonly sites: Map<string, Site>;
}

const OPTION_NAMES: ReadonlySet<string> = new Set([
  "origins",
  "allowInsecureAuth",
  "maxFlowSteps",
  "maxReplayBytes",
  "sensitiveHeaders",
  "rejectionGuard",
]);

/**
 * Validates `auth` and every option (a coded InvalidArgumentError naming the
 * first bad one) and resolves them. An unknown option name is refused too: a
 * misspelt `origins` (say, Client's `trustedOrigins`) would otherwise widen
 * where credentials go without a word.
 */
export function resolveState(auth: AuthLike, options: AuthInterceptorOptions | undefined): InterceptorState {
  const resolved = resolveAuth("auth", auth);
  if (resolved === null) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_TYPE",
      "auth",
      "authInterceptor needs an auth: an Auth object, a [username, password] tuple or a function",
    );
  }
  const common = resolveCommonOptions(options);
  for (const name of Object.keys(options ?? {})) {
    if (!OPTION_NAMES.has(name)) {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        name.slice(0, 40),
        `authInterceptor has no option "${name.slice(0, 40)}"; it takes ${[...OPTION_NAMES].join(", ")}`,
      );
    }
  }
  const origins = options?.origins;
  const fast = hasFastPath(resolved) ? resolved : undefined;
  return {
    auth: resolved,
    fast,
    fastNeedsUrl: fast !== undefined && fast[authorizationFor].length > 0,
    acknowledge: acknowledgerOf(resolved),
    guard: common.guard,
    maxFlowSteps: common.maxFlowSteps,
    maxReplayBytes: common.maxReplayBytes,
    origins: origins === undefined ? undefined : new Set(resolveOrigins("origins", origins)),
    allowInsecureAuth: common.allowInsecureAuth,
    credentials: common.credentialHeaders,
    sites: new Map(),
  };
}

/** Distinct origins judged before the cache starts over (a shared dispatcher may talk to many). */
const MAX_SITES = 256;

/** The judged origin of a dispatch, from a cache keyed by the origin as the caller spelt it. */
export function siteOf(state: InterceptorState, origin: string | URL | undefined): Site | undefined {
  if (origin === undefined) return undefined;
  const key = typeof origin === "string" ? origin : origin.href;
  const cached = state.sites.get(key);
  if (cached !== undefined) return cached;
  let url: URL;
  try {
    url = new URL(key);
  } catch {
    return undefined;
  }
  const site: Site = {
    origin: url.origin,
    protocol: url.protocol,
    plainHttp: refusesPlainHttp(url, state.allowInsecureAuth),
    configured: state.origins === undefined || state.origins.has(url.origin),
  };
  if (state.sites.size >= MAX_SITES) state.sites.clear();
  state.sites.set(key, site);
  return site;
}
