import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";
import { redirectRefusalError, redirectVerdict } from "../policy/rules.js";
import { Exchange } from "./exchange.js";

/**
 * undici's redirect handler as the interceptor sees it when
 * `interceptors.redirect` is composed after it (outside): every hop of a
 * chain is dispatched through the interceptor with that handler, whose
 * `history` holds the URLs of the hops answered so far.
 */
export interface Follower {
  readonly history: readonly URL[];
  readonly maxRedirections?: unknown;
}

/** Where a hop stands in its chain: the first request, a hop within the chain's origins, or one that gets no credentials. */
export type Standing = "first" | "bound" | "foreign";

// undici's redirect handler follows these (300 too, unlike fetch).
const FOLLOWED = new Set([300, 301, 302, 303, 307, 308]);

/** The handler as a redirect follower, when it is one. */
export function followerOf(handler: object): Follower | undefined {
  const history = (handler as { history?: unknown }).history;
  return Array.isArray(history) ? (handler as Follower) : undefined;
}

/**
 * Where a hop to `origin` stands: once a chain leaves the first hop's
 * origin (and `origins`), or goes from https to http, it stays out (Go
 * CVE-2024-45336).
 */
export function chainStanding(
  follower: Follower | undefined,
  hop: { readonly origin: string; readonly protocol: string },
  origins: ReadonlySet<string> | undefined,
): Standing {
  const history = follower?.history;
  if (history === undefined || history.length === 0 || !(history[0] instanceof URL)) return "first";
  const first = history[0].origin;
  let previous = history[0].protocol;
  for (let index = 1; index <= history.length; index++) {
    const next: { origin: string; protocol: string } = index < history.length ? (history[index] as URL) : hop;
    if (previous === "https:" && next.protocol === "http:") return "foreign";
    if (next.origin !== first && origins?.has(next.origin) !== true) return "foreign";
    previous = next.protocol;
  }
  return "bound";
}

/** One dispatch of a chain, as the redirect rule needs it. */
export interface Hop {
  readonly follower: Follower | undefined;
  /** The absolute URL this hop was sent to. */
  readonly url: string;
  readonly options: Pick<Dispatcher.DispatchOptions, "method" | "body">;
}

/**
 * The error for a redirect answer that the follower must not follow, by the
 * policy every front door applies (`redirectVerdict`): a Location that is
 * not http:/https:, does not parse, or carries `user:pass@`; or a 307/308
 * (or 300, or 301/302 after anything but POST) that would re-send a
 * credentialed request's body where its credentials may not go. Undefined
 * when the answer is no redirect the follower would take.
 */
export function redirectRefusal(
  hop: Hop,
  origins: ReadonlySet<string> | undefined,
  credentialed: boolean,
  status: number,
  location: string | undefined,
): Error | undefined {
  const follower = hop.follower;
  if (follower === undefined || location === undefined || !FOLLOWED.has(status)) return undefined;
  const max = follower.maxRedirections;
  // At its limit undici hands the 3xx to the caller (or throws, with throwOnMaxRedirect): nothing is re-sent.
  if (typeof max === "number" && follower.history.length >= max) return undefined;
  const from = new URL(hop.url);
  const first = follower.history[0]?.origin ?? from.origin;
  const verdict = redirectVerdict({
    from,
    location,
    status,
    method: hop.options.method,
    credentialed,
    credentialsKept: credentialed,
    hasBody: hasBody(hop.options.body),
    trusted: (origin) => origin === first || origins?.has(origin) === true,
  });
  return verdict.follow ? undefined : redirectRefusalError(verdict, from, status);
}

/** The `location` of undici's parsed response headers. */
export function locationOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.location;
  return Array.isArray(value) ? value[0] : value;
}

/** Whether a dispatch body would be sent again by a redirect that keeps the method (any stream counts). */
function hasBody(body: unknown): boolean {
  if (body === null || body === undefined) return false;
  if (typeof body === "string") return body.length > 0;
  if (ArrayBuffer.isView(body) || body instanceof ArrayBuffer) return body.byteLength > 0;
  return true;
}

/**
 * A hop that goes out without credentials (stripped), still under the
 * redirect rule for where its chain may go next: its events pass straight
 * through, a refused redirect becomes an error.
 */
export class CheckedHop extends Exchange {
  readonly #hop: Hop;
  readonly #origins: ReadonlySet<string> | undefined;

  constructor(hop: Hop, handler: Dispatcher.DispatchHandler, origins: ReadonlySet<string> | undefined) {
    super(hop.options.method, handler);
    this.#hop = hop;
    this.#origins = origins;
  }

  protected override refusal(status: number, headers: IncomingHttpHeaders): Error | undefined {
    return redirectRefusal(this.#hop, this.#origins, false, status, locationOf(headers));
  }
}
