import { getTouched, setBounded } from "./bounded.js";

/**
 * What the DPoP client remembers per server (origin): the last `DPoP-Nonce`
 * it gave (RFC 9449 §8, §9 — an authorization server and a resource server
 * each have their own) and how far its clock is from ours, read from its
 * `Date` header, so proofs are dated on the clock that checks them.
 */
interface ServerState {
  nonce: string | undefined;
  /** Seconds to add to the local clock to get the server's; 0 within {@link SKEW_IGNORED_SECONDS}. */
  offsetSeconds: number;
}

/** Servers remembered; past this the least recently used is forgotten (its next proof goes without a nonce). */
export const SERVERS_REMEMBERED = 256;
/** RFC 9449 §8.1: nonce = 1*NQCHAR. Longer than this is not a nonce worth keeping. */
const MAX_NONCE_LENGTH = 1024;
const NQCHAR = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** A `Date` within this of our clock is ours: one-second resolution and transit make smaller offsets noise. */
const SKEW_IGNORED_SECONDS = 10;

/**
 * What {@link ServerMemory.learn} took from one answer.
 *
 * @example
 * ```ts
 * const { nonce, clockMoved } = servers.learn(response.url, response.headers);
 * ```
 */
export interface Learned {
  /** The answer's `DPoP-Nonce`, when it carried a valid one. */
  readonly nonce: string | undefined;
  /** The server's clock, read from `Date`, moved by more than the noise since the last answer. */
  readonly clockMoved: boolean;
}

/**
 * Per-server DPoP state, bounded ({@link SERVERS_REMEMBERED}).
 *
 * @example
 * ```ts
 * const servers = new ServerMemory();
 * servers.learn("https://api.example.com/orders", response.headers);
 * servers.nonce("https://api.example.com"); // the nonce to sign into the next proof
 * ```
 */
export class ServerMemory {
  readonly #servers = new Map<string, ServerState>();

  /** The nonce to put in the next proof for `origin`, if the server gave one. */
  nonce(origin: string): string | undefined {
    return this.#servers.get(origin)?.nonce;
  }

  /** The server's time for `origin`, in epoch seconds: the `iat` of a proof for it. */
  issuedAt(origin: string, now: number): number {
    return Math.floor(now / 1000) + (this.#servers.get(origin)?.offsetSeconds ?? 0);
  }

  /** Remembers what an answer from `origin` says: a `DPoP-Nonce` (RFC 9449 §8.2) and the server's `Date`. */
  learn(origin: string, headers: Headers, now: number): Learned {
    const nonce = validNonce(headers.get("dpop-nonce"));
    const offset = clockOffset(headers.get("date"), now);
    if (nonce === undefined && offset === undefined) return { nonce: undefined, clockMoved: false };
    const state = getTouched(this.#servers, origin) ?? { nonce: undefined, offsetSeconds: 0 };
    if (nonce !== undefined) state.nonce = nonce;
    let clockMoved = false;
    if (offset !== undefined) {
      clockMoved = Math.abs(offset - state.offsetSeconds) > SKEW_IGNORED_SECONDS;
      if (clockMoved || offset === 0) state.offsetSeconds = offset;
    }
    setBounded(this.#servers, origin, state, SERVERS_REMEMBERED);
    return { nonce, clockMoved };
  }
}

/** The value of a `DPoP-Nonce` header when it is one (RFC 9449 §8.1), else undefined. */
export function validNonce(value: string | null): string | undefined {
  if (value === null || value.length > MAX_NONCE_LENGTH || !NQCHAR.test(value)) return undefined;
  return value;
}

/** Whole seconds from our clock to the one a `Date` header shows; 0 within the noise; undefined without one. */
function clockOffset(date: string | null, now: number): number | undefined {
  if (date === null) return undefined;
  const server = Date.parse(date);
  if (Number.isNaN(server)) return undefined;
  const offset = Math.round((server - now) / 1000);
  return Math.abs(offset) <= SKEW_IGNORED_SECONDS ? 0 : offset;
}
