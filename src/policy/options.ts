/**
 * The options every front door shares (Client, withAuth, the undici
 * interceptor), their defaults written once, and their validation in one
 * place (ky's Options/merge model): each front door resolves its options
 * here at construction, so the per-request path reads plain fields.
 */
import { InvalidArgumentError } from "../errors.js";
import { RejectionGuard, type RejectionGuardOptions } from "../guard/guard.js";
import { normaliseOrigins } from "./origin.js";
import { credentialHeaderSet } from "./rules.js";
import { checkBoolean, checkInteger, checkObject, checkStringArray, checkTimeout } from "./validate.js";

/**
 * Options shared by every front door.
 *
 * @example
 * ```ts
 * const common: CommonOptions = { maxFlowSteps: 4, sensitiveHeaders: ["x-session"], rejectionGuard: false };
 * ```
 */
export interface CommonOptions {
  /** Allow credentials over plain `http:` to hosts that are not loopback (default false). */
  allowInsecureAuth?: boolean;
  /** Most requests one auth flow may send (default 8). */
  maxFlowSteps?: number;
  /** Bytes of a streamed body kept to re-send it after a challenge (default 1 MiB). */
  maxReplayBytes?: number;
  /** Extra header names that carry credentials: stripped on untrusted hops, refused over plain HTTP. */
  sensitiveHeaders?: readonly string[];
  /** The bad-credential guard (on by default: 3 failures, then 30 s of fail-fast); `false` turns it off. */
  rejectionGuard?: RejectionGuardOptions | false;
}

/**
 * Options of the front doors that follow redirects themselves (Client, withAuth).
 *
 * @example
 * ```ts
 * const options: RedirectingOptions = { trustedOrigins: ["https://cdn.example.com"], maxRedirects: 5, timeout: 10_000 };
 * ```
 */
export interface RedirectingOptions extends CommonOptions {
  /** Origins besides the request's own that may receive credentials on redirect. */
  trustedOrigins?: readonly string[];
  /** Most redirects followed for one request (default 20). */
  maxRedirects?: number;
  /** Milliseconds for the whole request, auth steps included; `false` (or 0) for no limit. */
  timeout?: number | false;
}

/**
 * The defaults, written once. `timeout` differs by front door: Client's is
 * 30 s, withAuth's none (a drop-in for fetch, which has none).
 *
 * @example
 * ```ts
 * resolveCommonOptions(options, { ...DEFAULT_OPTIONS, timeout: 0 });
 * ```
 */
export const DEFAULT_OPTIONS = {
  allowInsecureAuth: false,
  maxFlowSteps: 8,
  maxReplayBytes: 1024 * 1024,
  maxRedirects: 20,
  /** Client's timeout, in milliseconds. */
  timeout: 30_000,
  /** withAuth's timeout: none. */
  fetchTimeout: 0,
} as const;

/** The defaults {@link resolveCommonOptions} falls back on. */
export interface CommonDefaults {
  readonly allowInsecureAuth: boolean;
  readonly maxFlowSteps: number;
  readonly maxReplayBytes: number;
}

/**
 * Common options resolved: every field set, the header set built, the guard made.
 *
 * @example
 * ```ts
 * const { maxFlowSteps, credentialHeaders, guard } = resolveCommonOptions({ maxFlowSteps: 4 });
 * ```
 */
export interface ResolvedCommonOptions {
  readonly allowInsecureAuth: boolean;
  readonly maxFlowSteps: number;
  readonly maxReplayBytes: number;
  /** The credential headers (policy's list plus `sensitiveHeaders`), lower-cased. */
  readonly credentialHeaders: ReadonlySet<string>;
  /** The bad-credential guard, or null when `rejectionGuard: false`. */
  readonly guard: RejectionGuard | null;
}

/**
 * Validates and resolves the {@link CommonOptions}: a coded
 * {@link InvalidArgumentError} names the first bad option and what it accepts.
 *
 * @example
 * ```ts
 * const resolved = resolveCommonOptions({ maxReplayBytes: 4 << 20 }, DEFAULT_OPTIONS);
 * resolved.maxReplayBytes; // 4194304
 * resolveCommonOptions({ maxFlowSteps: -1 }); // throws InvalidArgumentError (option "maxFlowSteps")
 * ```
 */
export function resolveCommonOptions(
  options: CommonOptions | undefined,
  defaults: CommonDefaults = DEFAULT_OPTIONS,
): ResolvedCommonOptions {
  checkObject("options", options);
  const given = options ?? {};
  checkBoolean("allowInsecureAuth", given.allowInsecureAuth);
  checkInteger("maxFlowSteps", given.maxFlowSteps, 1);
  checkInteger("maxReplayBytes", given.maxReplayBytes, 0);
  checkHeaderNames("sensitiveHeaders", given.sensitiveHeaders);
  checkRejectionGuard(given.rejectionGuard);
  return {
    allowInsecureAuth: given.allowInsecureAuth ?? defaults.allowInsecureAuth,
    maxFlowSteps: given.maxFlowSteps ?? defaults.maxFlowSteps,
    maxReplayBytes: given.maxReplayBytes ?? defaults.maxReplayBytes,
    credentialHeaders: credentialHeaderSet(given.sensitiveHeaders),
    guard: given.rejectionGuard === false ? null : new RejectionGuard(given.rejectionGuard),
  };
}

/**
 * The {@link RedirectingOptions} resolved on top of the common ones.
 *
 * @example
 * ```ts
 * const { timeout, maxRedirects, trustedOrigins } = resolveRedirectingOptions({ timeout: false }, 30_000);
 * ```
 */
export interface ResolvedRedirectingOptions extends ResolvedCommonOptions {
  readonly trustedOrigins: readonly string[];
  readonly maxRedirects: number;
  /** Milliseconds, 0 for none. */
  readonly timeout: number;
}

/**
 * Validates and resolves {@link RedirectingOptions}; `defaultTimeout` is the
 * front door's own (Client 30 s, withAuth none).
 *
 * @example
 * ```ts
 * resolveRedirectingOptions({ maxRedirects: 3 }, DEFAULT_OPTIONS.timeout).maxRedirects; // 3
 * ```
 */
export function resolveRedirectingOptions(
  options: RedirectingOptions | undefined,
  defaultTimeout: number,
): ResolvedRedirectingOptions {
  const common = resolveCommonOptions(options);
  const given = options ?? {};
  checkInteger("maxRedirects", given.maxRedirects, 0);
  return {
    ...common,
    trustedOrigins: resolveOrigins("trustedOrigins", given.trustedOrigins),
    maxRedirects: given.maxRedirects ?? DEFAULT_OPTIONS.maxRedirects,
    timeout: timeoutOf(given.timeout, defaultTimeout),
  };
}

/**
 * A timeout option as milliseconds, 0 for none (`false` and `0` both mean
 * none); validated first.
 *
 * @example
 * ```ts
 * timeoutOf(false, 30_000); // 0
 * ```
 */
export function timeoutOf(value: number | false | undefined, fallback: number): number {
  checkTimeout("timeout", value);
  if (value === undefined) return fallback;
  return value === false ? 0 : value;
}

/**
 * An origins option (`trustedOrigins`, the interceptor's `origins`) as
 * serialised origins: an array of http:/https: URLs, each checked.
 *
 * @example
 * ```ts
 * resolveOrigins("trustedOrigins", ["https://a.example/x"]); // ["https://a.example"]
 * ```
 */
export function resolveOrigins(option: string, value: unknown): string[] {
  checkStringArray(option, value);
  return normaliseOrigins(value as readonly string[] | undefined, option);
}

// RFC 9110 §5.6.2: a header name is a token.
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i;

/** Throws unless `value` is undefined or an array of header names. */
export function checkHeaderNames(option: string, value: unknown): void {
  checkStringArray(option, value);
  for (const name of (value as readonly string[] | undefined) ?? []) {
    if (!TOKEN.test(name)) {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        option,
        `${option} must hold header names (letters, digits and !#$%&'*+.^_\`|~-), got "${name.slice(0, 40)}"`,
      );
    }
  }
}

function checkRejectionGuard(value: unknown): void {
  if (value === false || value === undefined) return;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_TYPE",
      "rejectionGuard",
      "rejectionGuard must be an object ({ maxFailures, cooldownMs }) or false to turn the guard off",
    );
  }
  const guard = value as RejectionGuardOptions;
  checkInteger("rejectionGuard.maxFailures", guard.maxFailures, 1);
  checkInteger("rejectionGuard.cooldownMs", guard.cooldownMs, 0);
}

/**
 * The per-request options of `Client`, checked when the request is made
 * (the caller sees a rejected promise): only the fields present are looked at.
 *
 * @example
 * ```ts
 * checkRequestOptions({ timeout: -1 }); // throws InvalidArgumentError (option "timeout")
 * ```
 */
export function checkRequestOptions(options: RequestOptionFields): void {
  if (options.timeout !== undefined) checkTimeout("timeout", options.timeout);
  if (options.maxRedirects !== undefined) checkInteger("maxRedirects", options.maxRedirects, 0);
  if (options.followRedirects !== undefined) checkBoolean("followRedirects", options.followRedirects);
  if (options.signal !== undefined && !isSignal(options.signal)) {
    throw new InvalidArgumentError("ERR_INVALID_ARG_TYPE", "signal", "signal must be an AbortSignal");
  }
  if (options.params !== undefined) checkObject("params", options.params);
  if (options.json !== undefined && options.body !== undefined && options.body !== null) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      "json",
      "json and body cannot both be given: json is sent as the body; pass one of them",
    );
  }
}

/** The per-request fields {@link checkRequestOptions} reads. */
export interface RequestOptionFields {
  readonly timeout?: unknown;
  readonly maxRedirects?: unknown;
  readonly followRedirects?: unknown;
  readonly signal?: unknown;
  readonly params?: unknown;
  readonly json?: unknown;
  readonly body?: unknown;
}

/** An AbortSignal, by shape: a signal from another realm or library passes too. */
function isSignal(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const signal = value as Partial<AbortSignal>;
  return typeof signal.aborted === "boolean" && typeof signal.addEventListener === "function";
}
