/**
 * How Client names a failed transport: a NetworkError naming the origin, or
 * a TlsError naming the option that fixes the certificate problem.
 */
import { tlsFailure } from "../engine/tls-failure.js";
import { AuthflowError, NetworkError } from "../errors.js";
import { redactURLText } from "../support/url.js";
import type { Attempt } from "./attempt.js";

/**
 * Client's rule: a transport that gave no answer at all becomes a
 * {@link NetworkError} naming the origin. The Fetch standard makes every
 * network failure a `TypeError` (Node and Deno say "fetch failed", Bun names
 * the socket error, Chromium "Failed to fetch"); workerd's platform fetch
 * throws a plain `Error`, so with the platform's fetch any error counts.
 * Aborts and authflow's own errors pass through. In a file of its own so that
 * withAuth, which keeps fetch's errors, does not carry it.
 *
 * @example
 * ```ts
 * const policy: SendPolicy = { ...usual, nameNetworkError };
 * ```
 */
export function nameNetworkError(error: unknown, attempt: Attempt, platformFetch: boolean): unknown {
  if (attempt.signal?.aborted === true) return error;
  if (error instanceof AuthflowError || !(error instanceof Error)) return error;
  if (error.name === "AbortError" || error.name === "TimeoutError") return error;
  if (!(error instanceof TypeError) && !platformFetch) return error;
  // A certificate problem is named with the option that fixes it (issue 14), not as "no answer".
  const tls = tlsFailure(error, attempt.origin, undefined);
  if (tls !== undefined) return tls;
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail =
    typeof cause?.message === "string" && cause.message !== ""
      ? cause.message
      : typeof cause?.code === "string"
        ? cause.code
        : error.message || "network error";
  // Some runtimes name the URL in their message: never its userinfo or query.
  const reason = detail.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s)'"]+/gi, (url) => redactURLText(url));
  return new NetworkError(
    `no answer from ${attempt.origin}: ${reason}; check that the server is up and the URL is right`,
    attempt.origin,
    { cause: error },
  );
}
