import type { FetchLike } from "../engine/flow.js";
import { inBrowser } from "../engine/runtime.js";
import { tlsFailure } from "../engine/tls-failure.js";
import { AuthRejectedError, OAuthError, ProxyError, TlsError, TokenEndpointError } from "../errors.js";
import type { Token } from "../stores/store.js";
import type { ClientAuthenticator } from "./client-auth.js";
import type { DpopSigner } from "./dpop.js";
import type { ResolvedOptions } from "./options.js";
import { backoffDelay, monotonicNow, raceAbort, retryAfterMs, type Timers } from "./retry.js";
import { parseTokenResponse } from "./token-response.js";

export { lifetimeSeconds, MAX_LIFETIME_SECONDS, parseTokenResponse } from "./token-response.js";

/**
 * Everything one token acquisition needs.
 *
 * @example
 * ```ts
 * const context: TokenRequestContext = { endpoint, options, authenticator, fetch, timers: new Timers(true) };
 * ```
 */
export interface TokenRequestContext {
  readonly endpoint: string;
  readonly options: ResolvedOptions;
  readonly authenticator: ClientAuthenticator;
  readonly fetch: FetchLike;
  readonly timers: Timers;
  /** With DPoP: each attempt carries a proof, and the answer must be a DPoP token (RFC 9449 §5). */
  readonly dpop?: DpopSigner | undefined;
}

/**
 * The form body of a client credentials request (RFC 6749 §4.4.2), without
 * client authentication: `grant_type`, `scope`, `audience`, one `resource` per
 * resource (RFC 8707 §2) and the extra parameters.
 *
 * @example
 * ```ts
 * tokenRequestBody(resolveOptions({ tokenUrl, clientId: "c", scope: "b a" })).toString();
 * // "grant_type=client_credentials&scope=a+b"
 * ```
 */
export function tokenRequestBody(options: ResolvedOptions): URLSearchParams {
  const body = new URLSearchParams({ grant_type: "client_credentials" });
  if (options.scopes.length > 0) body.set("scope", options.scopes.join(" "));
  if (options.audience !== undefined) body.set("audience", options.audience);
  for (const resource of options.resources) body.append("resource", resource);
  for (const [name, value] of Object.entries(options.extraParams)) body.set(name, value);
  return body;
}

/** A failure worth another attempt: a network error, 5xx or 429 (RFC 6585 §4). */
class RetryableFailure {
  constructor(
    readonly reason: string,
    readonly status: number | undefined,
    readonly retryAfterMs: number | undefined,
    readonly cause?: unknown,
  ) {}
}

/**
 * Asks the token endpoint for a token, retrying network errors, 5xx and 429
 * with exponential backoff and full jitter (honouring `Retry-After`), at most
 * `maxRetries` times and within `retryBudgetMs`. RFC 6749 §5.2 errors are
 * thrown at once as {@link OAuthError}: retrying `invalid_client` only risks a
 * lock-out. Everything else ends in {@link TokenEndpointError}.
 *
 * @example
 * ```ts
 * const token = await requestToken({ endpoint, options, authenticator, fetch, timers: new Timers(true) });
 * ```
 */
export async function requestToken(context: TokenRequestContext): Promise<Token> {
  const { maxRetries, retryBudgetMs } = context.options;
  const deadline = monotonicNow() + retryBudgetMs;
  for (let attempt = 0; ; attempt++) {
    const outcome = await attemptOnce(context, deadline);
    if (!(outcome instanceof RetryableFailure)) return outcome;
    const delay = outcome.retryAfterMs ?? backoffDelay(attempt);
    const exhausted = attempt >= maxRetries;
    if (exhausted || monotonicNow() + delay >= deadline) {
      throw finalError(context.endpoint, outcome, attempt + 1, exhausted ? "retries" : "budget");
    }
    await context.timers.sleep(delay);
  }
}

/** A proof the server refused for want of what its answer just gave: a nonce, or its clock. */
class ProofRetry {
  constructor(
    readonly error: OAuthError,
    readonly nonce: string | undefined,
  ) {}
}

/** One attempt; a DPoP proof refused with `use_dpop_nonce` is answered once with the nonce given (RFC 9449 §8). */
async function attemptOnce(context: TokenRequestContext, deadline: number): Promise<Token | RetryableFailure> {
  const first = await sendOnce(context, deadline, undefined);
  if (!(first instanceof ProofRetry)) return first;
  const second = await sendOnce(context, deadline, first.nonce);
  if (second instanceof ProofRetry) throw second.error;
  return second;
}

async function sendOnce(
  context: TokenRequestContext,
  deadline: number,
  nonce: string | undefined,
): Promise<Token | RetryableFailure | ProofRetry> {
  const { endpoint, options, authenticator, dpop } = context;
  const sentAt = options.now();
  const headers = new Headers({
    "content-type": "application/x-www-form-urlencoded;charset=UTF-8",
    accept: "application/json",
  });
  const body = tokenRequestBody(options);
  // A fresh client assertion per attempt: its jti must never repeat (RFC 7523 §3 item 7).
  await authenticator.apply(headers, body, endpoint, sentAt);
  // RFC 9449 §5: a fresh proof per attempt, htu the token endpoint.
  if (dpop !== undefined) headers.set("dpop", await dpop.proof("POST", endpoint, nonce === undefined ? {} : { nonce }));
  const controller = new AbortController();
  const cancelTimeout = context.timers.start(Math.max(0, deadline - monotonicNow()), () => controller.abort(), true);
  try {
    // RFC 9700 §4.12: never follow a redirect with credentials in the request.
    const request = new Request(endpoint, {
      method: "POST",
      headers,
      body: body.toString(),
      redirect: "manual",
      signal: controller.signal,
      // A browser answers a 401 Basic challenge (a wrong secret) with its own prompt otherwise.
      ...(inBrowser ? { credentials: "omit" as const } : {}),
    });
    // Raced with the abort too: a fetch that ignores its signal still ends within the budget.
    const answer = context.fetch(request).then((response) => readAnswer(endpoint, response, sentAt, dpop));
    return await raceAbort(answer, controller.signal);
  } catch (error) {
    if (settled(error)) throw error;
    // A certificate problem does not go away by asking again (issue 14): named at once, with the option to fix.
    const tls = controller.signal.aborted ? undefined : tlsFailure(error, describeEndpoint(endpoint), undefined);
    if (tls !== undefined) throw tls;
    const reason = controller.signal.aborted ? "no answer within retryBudgetMs" : "a network error";
    return new RetryableFailure(reason, undefined, undefined, safeCause(error));
  } finally {
    cancelTimeout();
  }
}

async function readAnswer(
  endpoint: string,
  response: Response,
  sentAt: number,
  dpop: DpopSigner | undefined,
): Promise<Token | RetryableFailure | ProofRetry> {
  const { status } = response;
  // RFC 9449 §8.2: a DPoP-Nonce on any answer is the one to use next.
  const learned = dpop?.learn(endpoint, response.headers);
  if (response.type === "opaqueredirect" || (status >= 300 && status < 400)) {
    await response.body?.cancel();
    throw new TokenEndpointError(
      `the token endpoint ${describeEndpoint(endpoint)} answered with a redirect (${status}); token requests carry ` +
        "client credentials, so redirects are not followed (RFC 9700 §4.12). Configure the final token URL.",
      { status },
    );
  }
  if (status >= 500 || status === 429) {
    await response.body?.cancel();
    return new RetryableFailure(`${status}`, status, retryAfterMs(response.headers, Date.now()));
  }
  const text = await readCapped(response, `the token endpoint ${describeEndpoint(endpoint)}`);
  try {
    return parseTokenResponse(status, response.headers, text, sentAt, dpop === undefined ? "Bearer" : "DPoP");
  } catch (error) {
    if (!(error instanceof OAuthError) || learned === undefined) throw error;
    // RFC 9449 §8: use_dpop_nonce with a nonce; a stale iat from a server whose clock we just learned.
    if (error.error === "use_dpop_nonce" && learned.nonce !== undefined) return new ProofRetry(error, learned.nonce);
    if (error.error === "invalid_dpop_proof" && learned.clockMoved) return new ProofRetry(error, learned.nonce);
    throw error;
  }
}

/** Token responses and metadata documents are a few KB at most; past this the answer is not one (and is not kept). */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * Reads a response body as text, at most {@link MAX_ANSWER_BYTES}: a broken or
 * hostile server streaming without end fails fast with TokenEndpointError
 * (not retried) instead of filling memory.
 */
export async function readCapped(response: Response, who: string): Promise<string> {
  const stream = response.body;
  if (stream === null) return "";
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for (;;) {
    const step = await reader.read();
    if (step.done) return text + decoder.decode();
    size += step.value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel().catch(() => {});
      throw new TokenEndpointError(
        `${who} answered with more than ${MAX_ANSWER_BYTES / 1024} KiB (status ${response.status}); an OAuth answer is ` +
          "a few hundred bytes. Check that the URL points at the authorization server.",
        { status: response.status },
      );
    }
    text += decoder.decode(step.value, { stream: true });
  }
}

function finalError(endpoint: string, failure: RetryableFailure, attempts: number, why: string): TokenEndpointError {
  const what = failure.status === undefined ? failure.reason : `answered ${failure.reason}`;
  const limit = why === "retries" ? "maxRetries" : "retryBudgetMs";
  return new TokenEndpointError(
    `the token endpoint ${describeEndpoint(endpoint)} ${what} (${attempts} attempt${attempts === 1 ? "" : "s"}); ` +
      `giving up (${limit} reached). Check that the authorization server is up, or raise ${limit}.`,
    { status: failure.status, cause: failure.cause },
  );
}

/**
 * The endpoint for messages, without its query: a misconfigured URL may carry
 * a secret there.
 *
 * @example
 * ```ts
 * describeEndpoint("https://as.example/token?key=s3cr3t"); // "https://as.example/token"
 * ```
 */
export function describeEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.origin}${url.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

/** Network errors keep their name and code, not their message, which may quote a URL with credentials (V6). */
function safeCause(error: unknown): Error {
  if (!(error instanceof Error)) return new Error("network error");
  const inner = (error as { cause?: { code?: unknown } }).cause;
  const code = typeof inner?.code === "string" ? ` (${inner.code})` : "";
  const safe = new Error(`${error.name}${code}`);
  safe.name = error.name;
  return safe;
}

/**
 * An answer that asking again does not change: the server's own, a
 * certificate problem, a proxy's refusal, or the guard's after the proxy's
 * 407s (retrying those would only hit the proxy again).
 */
function settled(error: unknown): boolean {
  return (
    error instanceof OAuthError ||
    error instanceof TokenEndpointError ||
    error instanceof TlsError ||
    error instanceof ProxyError ||
    error instanceof AuthRejectedError
  );
}
