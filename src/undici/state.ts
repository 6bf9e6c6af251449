import type { AuthLike } from "../engine/auth.js";
import {
  acknowledgerOf,
  authorizationFor,
  type FastPathAuth,
  hasFastPath,
  mayAuthorize,
} from "../engine/capabilities.js";
import { InvalidArgumentError } from "../errors.js";
import { resolveAuth } from "../front/to-auth.js";
import { type CommonOptions, resolveCommonOptions, resolveOrigins } from "../policy/options.js";
import { refusesPlainHttp } from "../policy/rules.js";
import { debug, debugEnabled } from "../support/debug.js";
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
   * requests to any other origin pass through untouched. Default: the origin
   * of the first request the interceptor sees (an auth that knows its hosts,
   * such as `NetrcAuth`, serves every origin it has credentials for): global
   * fetch follows redirects as new requests, and without a bound any origin a
   * redirect names would get the credentials.
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
  /** Without `origins`: the set the first origin seen is bound into (the same object as `origins`). */
  readonly bindsFirst: Set<string> | undefined;
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
  // An auth that knows its hosts (netrc) needs no bound; any other is bound to the first origin it serves.
  const bindsFirst = origins === undefined && !(mayAuthorize in resolved) ? new Set<string>() : undefined;
  return {
    auth: resolved,
    fast,
    fastNeedsUrl: fast !== undefined && fast[authorizationFor].length > 0,
    acknowledge: acknowledgerOf(resolved),
    guard: common.guard,
    maxFlowSteps: common.maxFlowSteps,
    maxReplayBytes: common.maxReplayBytes,
    origins: origins === undefined ? bindsFirst : new Set(resolveOrigins("origins", origins)),
    bindsFirst,
    allowInsecureAuth: common.allowInsecureAuth,
    credentials: common.credentialHeaders,
    sites: new Map(),
  };
}

/** Whether `origin` receives credentials; the first origin seen binds an interceptor without `origins`. */
function configured(state: InterceptorState, origin: string): boolean {
  const first = state.bindsFirst;
  if (first !== undefined && first.size === 0) {
    first.add(origin);
    if (debugEnabled())
      debug(`authInterceptor: credentials bound to ${origin} (the first origin; set origins for more)`);
  }
  return state.origins === undefined || state.origins.has(origin);
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
    configured: configured(state, url.origin),
  };
  if (state.sites.size >= MAX_SITES) state.sites.clear();
  state.sites.set(key, site);
  return site;
}
