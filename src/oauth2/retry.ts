/**
 * Backoff arithmetic and timers for token endpoint retries. Pure helpers plus
 * one small timer group, so a background refresh never keeps a process alive
 * while a foreground caller's wait does.
 */

/** First backoff step; attempt n waits a random time in [0, BASE · 2^n) ("full jitter"). */
export const BASE_DELAY_MS = 200;
/** The backoff never waits longer than this per attempt, unless Retry-After says so. */
export const MAX_DELAY_MS = 10_000;

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential
 * Backoff and Jitter"): coalesced callers share one schedule, and a fleet of
 * clients that failed together does not retry together.
 *
 * @example
 * ```ts
 * backoffDelay(2, () => 0.5); // 400 (half of 200 · 2²)
 * ```
 */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/**
 * The wait a `Retry-After` header asks for, in milliseconds (RFC 9110 §10.2.3):
 * delay-seconds, or an HTTP-date. A date is measured against the response's own
 * `Date` header when there is one, so the client's clock skew does not matter;
 * otherwise against `now`. Undefined when absent or unreadable.
 *
 * @example
 * ```ts
 * retryAfterMs(new Headers({ "retry-after": "3" }), Date.now()); // 3000
 * ```
 */
export function retryAfterMs(headers: Headers, now: number): number | undefined {
  const value = headers.get("retry-after")?.trim();
  if (value === undefined || value === "") return undefined;
  if (/^[0-9]{1,9}$/.test(value)) return Number(value) * 1000;
  const retryAt = Date.parse(value);
  if (Number.isNaN(retryAt)) return undefined;
  const serverDate = Date.parse(headers.get("date") ?? "");
  const reference = Number.isNaN(serverDate) ? now : serverDate;
  return Math.max(0, retryAt - reference);
}

/**
 * A monotonic clock for budgets, in milliseconds: wall-clock jumps must not
 * stretch or cut a retry budget.
 *
 * @example
 * ```ts
 * const deadline = monotonicNow() + 30_000;
 * ```
 */
export function monotonicNow(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}

type TimerHandle = ReturnType<typeof setTimeout>;

/**
 * The timers of one token acquisition. A background refresh's timers are
 * `unref`ed (Node, Deno, Bun) so they never keep a process alive; once a
 * foreground caller waits on the same acquisition, `hold()` refs them again,
 * or a script awaiting its token could exit mid-backoff.
 *
 * @example
 * ```ts
 * const timers = new Timers(false);
 * await timers.sleep(250);
 * ```
 */
export class Timers {
  #hold: boolean;
  readonly #active = new Set<TimerHandle>();

  constructor(hold: boolean) {
    this.#hold = hold;
  }

  /** From now on, keep the process alive while these timers run. */
  hold(): void {
    if (this.#hold) return;
    this.#hold = true;
    for (const timer of this.#active) (timer as { ref?: () => void }).ref?.();
  }

  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.start(ms, resolve);
    });
  }

  /**
   * Calls `callback` after `ms` milliseconds; returns a function that cancels
   * it. A `guard` timer (a timeout around a fetch) is always unref'd: the open
   * socket keeps the process alive while it matters.
   */
  start(ms: number, callback: () => void, guard = false): () => void {
    const timer = setTimeout(() => {
      this.#active.delete(timer);
      callback();
    }, ms);
    if (guard || !this.#hold) (timer as { unref?: () => void }).unref?.();
    if (!guard) this.#active.add(timer);
    return () => {
      clearTimeout(timer);
      this.#active.delete(timer);
    };
  }
}

/**
 * Waits for `promise`, but lets this one caller leave when `signal` aborts:
 * the shared work goes on for the others (OAUTH-04 e).
 *
 * @example
 * ```ts
 * const token = await raceAbort(sharedRefresh, request.signal);
 * ```
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}
