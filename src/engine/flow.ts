import { BodyNotReplayableError, FlowError } from "../errors.js";
import { debug, debugEnabled, schemeName } from "../support/debug.js";
import type { Auth, AuthFlow } from "./auth.js";
import type { BodySource } from "./body.js";

/**
 * A fetch-compatible function: what every transport looks like to the
 * driver. `init`, when given, holds the caller's own fetch options that
 * authflow passes through untouched (withAuth's `dispatcher`, `priority`…).
 *
 * @example
 * ```ts
 * const logged: FetchLike = (request, init) => { console.log(request.url); return fetch(request, init); };
 * ```
 */
export type FetchLike = (input: Request, init?: RequestInit) => Promise<Response>;

/** Bounds of one flow run. */
export interface FlowLimits {
  /** Most requests one flow may yield (default 8). */
  readonly maxFlowSteps: number;
}

/** Bytes of an intermediate response read to keep its connection; past that it is cancelled. */
const DRAIN_LIMIT = 64 * 1024;

/**
 * Drives `auth`'s flow for `request`: sends each yielded request through
 * `send`, resumes the flow with the response, and returns the response to the
 * last yielded request. Intermediate responses are drained (or cancelled when
 * large) so connections are reused; a request whose body was already sent is
 * rebuilt from `body` (replayed, or BodyNotReplayableError); the flow is
 * closed in every case. Every wait — the flow's own steps (a token provider,
 * a file read), a body replay, a send — ends when `signal` aborts, with its
 * reason: a flow that never answers cannot outlive the request's deadline.
 */
export async function runAuthFlow(
  auth: Auth,
  request: Request,
  body: BodySource,
  send: FetchLike,
  limits: FlowLimits,
  signal?: AbortSignal,
): Promise<Response> {
  const flow = auth.authFlow(request);
  let response: Response | undefined;
  let finished = false;
  try {
    let step = await untilAborted(flow.next(), signal);
    if (step.done) {
      finished = true;
      throw new FlowError("the auth flow finished without yielding a request; a flow must yield at least once");
    }
    for (let sent = 0; ; sent++) {
      if (sent >= limits.maxFlowSteps) {
        throw new FlowError(
          `the auth flow yielded more than ${limits.maxFlowSteps} requests for ${request.url ? originOf(request.url) : "a request"}; it looks like a loop`,
        );
      }
      const next: Request = await untilAborted(sendable(step.value, body, request), signal);
      if (response !== undefined) await discard(response);
      response = await untilAborted(send(next), signal, discard);
      if (debugEnabled())
        debug(`${next.method} ${originOf(next.url)} → ${response.status} (${schemeName(auth)}, step ${sent + 1})`);
      step = await untilAborted(flow.next(response), signal);
      if (step.done) {
        finished = true;
        return response;
      }
    }
  } catch (error) {
    if (response !== undefined) void discard(response);
    throw error;
  } finally {
    if (!finished) await closeFlow(flow, signal);
  }
}

/**
 * Closes an unfinished flow (its `finally` runs). An async flow still stuck
 * in an await would queue the close behind it forever: after an abort the
 * close is started, not waited for.
 */
async function closeFlow(flow: AuthFlow, signal: AbortSignal | undefined): Promise<void> {
  const closing = flow.return(undefined);
  if (signal?.aborted === true) {
    Promise.resolve(closing).catch(() => {});
    return;
  }
  await closing;
}

/**
 * `promise`, or a rejection with `signal`'s reason as soon as it aborts,
 * whichever comes first. A value that arrives after the abort goes to
 * `late` (a response to free). Exported for the send path.
 */
export function untilAborted<T>(
  promise: T | Promise<T>,
  signal: AbortSignal | undefined,
  late?: (value: T) => unknown,
): Promise<T> {
  if (signal === undefined) return Promise.resolve(promise);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      settled = true;
      reject(signal.reason);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    Promise.resolve(promise).then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        if (!settled) resolve(value);
        else if (late !== undefined) void late(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** The request to put on the wire for what the flow yielded. */
async function sendable(yielded: unknown, body: BodySource, original: Request): Promise<Request> {
  if (!(yielded instanceof Request)) {
    throw new FlowError(`an auth flow must yield Request objects, got ${describe(yielded)}`);
  }
  if (!yielded.bodyUsed) return yielded;
  // A used body is replayed only if it is the caller's, to the caller's URL and method; never sent empty.
  if (yielded.url !== original.url || yielded.method !== original.method) throw ownBodyError(yielded);
  const replay = await body.replay();
  if (replay === null) throw ownBodyError(yielded);
  // Rebuilt around the replay, keeping every other field (integrity, keepalive, cache, mode, dispatcher).
  return new Request(yielded, {
    body: replay,
    redirect: yielded.redirect,
    ...(body.streaming ? { duplex: "half" } : {}),
  } as RequestInit);
}

function ownBodyError(yielded: Request): BodyNotReplayableError {
  return new BodyNotReplayableError(
    `an auth flow re-sent a ${yielded.method} request to ${originOf(yielded.url)} whose body was already sent and ` +
      "is not the caller's to replay there; build a new Request (with its body) for each attempt",
  );
}

/**
 * Frees an intermediate response: reads a small body to the end (so the
 * connection goes back to the pool), cancels a large one.
 */
export async function discard(response: Response): Promise<void> {
  const stream = response.body;
  if (stream === null || response.bodyUsed) return;
  try {
    const reader = stream.getReader();
    let read = 0;
    for (;;) {
      const step = await reader.read();
      if (step.done) return;
      read += step.value.byteLength;
      if (read > DRAIN_LIMIT) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // The connection is gone already; nothing left to free.
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "an object";
  return typeof value;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "a request";
  }
}
