import type { Auth } from "./auth.js";
import type { BodySource } from "./body.js";
import { debug, debugEnabled, schemeName } from "./debug.js";
import { AuthFlowError } from "./errors.js";

/** A fetch-compatible function: what every transport looks like to the driver. */
export type FetchLike = (input: Request) => Promise<Response>;

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
 * closed in every case.
 */
export async function runAuthFlow(
  auth: Auth,
  request: Request,
  body: BodySource,
  send: FetchLike,
  limits: FlowLimits,
): Promise<Response> {
  const flow = auth.authFlow(request);
  let response: Response | undefined;
  let finished = false;
  try {
    let step = await flow.next();
    if (step.done) {
      finished = true;
      throw new AuthFlowError("the auth flow finished without yielding a request; a flow must yield at least once");
    }
    for (let sent = 0; ; sent++) {
      if (sent >= limits.maxFlowSteps) {
        throw new AuthFlowError(
          `the auth flow yielded more than ${limits.maxFlowSteps} requests for ${request.url ? originOf(request.url) : "a request"}; it looks like a loop`,
        );
      }
      const next = await sendable(step.value, body);
      if (response !== undefined) await discard(response);
      response = await send(next);
      if (debugEnabled())
        debug(`${next.method} ${originOf(next.url)} → ${response.status} (${schemeName(auth)}, step ${sent + 1})`);
      step = await flow.next(response);
      if (step.done) {
        finished = true;
        return response;
      }
    }
  } catch (error) {
    if (response !== undefined) void discard(response);
    throw error;
  } finally {
    if (!finished) await flow.return(undefined);
  }
}

/** The request to put on the wire for what the flow yielded. */
async function sendable(yielded: unknown, body: BodySource): Promise<Request> {
  if (!(yielded instanceof Request)) {
    throw new AuthFlowError(`an auth flow must yield Request objects, got ${describe(yielded)}`);
  }
  if (!yielded.bodyUsed) return yielded;
  // The body went out with an earlier attempt: rebuild around a replay of it.
  const replay = await body.replay();
  return new Request(yielded.url, {
    method: yielded.method,
    headers: yielded.headers,
    body: replay,
    signal: yielded.signal,
    redirect: "manual",
    ...(body.streaming ? { duplex: "half" } : {}),
  } as RequestInit);
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
