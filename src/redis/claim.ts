import { createHash, randomUUID } from "node:crypto";
import type { Token } from "../stores/store.js";
import type { RedisConnection } from "./connection.js";
import { Holding, type KeyNames, type LockSettings, pause, ReleaseWaiter } from "./lock.js";
import { CLAIM, CLAIM_CHANGED, CLAIM_TAKEN } from "./scripts.js";

/** A digest no stored value has: the caller's token is not known in its stored form. */
export const UNKNOWN_DIGEST = "unknown";

/**
 * What a refresh asks of the fleet's lock (see `TokenStore.refresh`).
 *
 * @example
 * ```ts
 * const request: ClaimRequest = { names, seen, digest, satisfies, wait: true, decode };
 * ```
 */
export interface ClaimRequest {
  readonly names: KeyNames;
  /** The token the caller has, and the SHA-1 of its stored form ('' for none, UNKNOWN_DIGEST when not known). */
  readonly seen: Token | undefined;
  readonly digest: string;
  readonly satisfies: (token: Token | undefined) => boolean;
  readonly wait: boolean;
  /** A stored value (null: none) as a token, kept as this process's copy; `remainingMs` its TTL when known. */
  readonly decode: (text: string | null, remainingMs?: number) => Promise<Token | undefined>;
}

/**
 * What a claim came to: a stored token that satisfies (no lock taken); the
 * lock, with the token the store held when it was taken; `"busy"` — another
 * holder had it and left nothing that satisfies (only when not waiting);
 * `"unavailable"` — Redis did not answer; `"timeout"` — waited
 * `waitTimeoutMs` (only when waiting).
 */
export type Claim =
  | { readonly kind: "satisfied"; readonly token: Token }
  | { readonly kind: "taken"; readonly holding: Holding; readonly current: Token | undefined }
  | { readonly kind: "timeout"; readonly current: Token | undefined }
  | { readonly kind: "busy" }
  | { readonly kind: "unavailable" };

/**
 * The SHA-1 of a stored value as Redis's `redis.sha1hex` computes it ('' for
 * none): how CLAIM tells whether the token changed. Not a security measure.
 *
 * @example
 * ```ts
 * storedDigest(null); // ""
 * ```
 */
export function storedDigest(text: string | null): string {
  return text === null ? "" : createHash("sha1").update(text).digest("hex");
}

/**
 * Takes the refresh lock only while the work is still to do (issue 13.2).
 * Each attempt is one CLAIM: the lock is taken only if the token is still the
 * one the caller has; otherwise the new token comes back in the same reply.
 * A waiter woken by a release notice reads the token from the notice and
 * takes the lock only if that token does not satisfy. Not waiting (a
 * background refresh), it tries once, then only watches for the holder's
 * result. Notices can be lost: a waiter also looks again on a jittered timer
 * bounded by the holder's remaining TTL.
 *
 * @example
 * ```ts
 * const claimed = await claim(connection, settings, { names, seen, digest, satisfies, wait: true, decode });
 * if (claimed.kind === "taken") try { await refresh(claimed.current); } finally { await claimed.holding.release(); }
 * ```
 */
export async function claim(
  connection: RedisConnection,
  settings: LockSettings,
  request: ClaimRequest,
): Promise<Claim> {
  const value = randomUUID();
  const deadline = Date.now() + settings.waitTimeoutMs;
  const waiter = new ReleaseWaiter();
  const stop = connection.onMessage(request.names.lock, (notice) => waiter.wake(notice));
  let current = request.seen;
  let digest = request.digest;
  let tried = false;
  // Whether release notices arrive; asked only once there is something to wait for.
  let notified: boolean | undefined;
  try {
    for (;;) {
      waiter.reset();
      const take = request.wait || !tried;
      // Subscribed before this look: a release after it will be heard.
      const listening = connection.listening;
      const reply = await attempt(connection, settings, request.names, [value, digest, take ? "1" : "0"]);
      if (reply === undefined) return { kind: "unavailable" };
      if (reply[0] === CLAIM_CHANGED) {
        const text = typeof reply[1] === "string" ? reply[1] : null;
        current = await request.decode(text, Number(reply[2]));
        digest = storedDigest(text);
        if (request.satisfies(current)) return { kind: "satisfied", token: current as Token };
        continue;
      }
      if (reply[0] === CLAIM_TAKEN) {
        return { kind: "taken", holding: new Holding(connection, request.names, value, settings), current };
      }
      const remaining = Number(reply[1]);
      // Looked only, and the lock is free with the token unchanged: the holder left nothing new.
      if (!take && remaining < 0) return { kind: "busy" };
      tried = true;
      if (listening) notified = true;
      else if (notified === undefined) {
        // Look again at once: the holder may have released before the subscription began.
        notified = await connection.listen(settings.channel);
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) return request.wait ? { kind: "timeout", current } : { kind: "busy" };
      const notice = await waiter.wait(Math.min(left, pause(remaining, notified)));
      // No notice (a timer ran out) or an older version's bare one: look again.
      if (notice?.value === undefined) continue;
      const text = notice.value === "" ? null : notice.value;
      current = await request.decode(text);
      digest = storedDigest(text);
      if (request.satisfies(current)) return { kind: "satisfied", token: current as Token };
      // The holder released without a satisfying token: a background refresh leaves it to the next request.
      if (!request.wait) return { kind: "busy" };
    }
  } finally {
    stop();
  }
}

/** One CLAIM: its reply, or undefined when Redis did not answer. */
async function attempt(
  connection: RedisConnection,
  settings: LockSettings,
  names: KeyNames,
  [value, digest, take]: [string, string, string],
): Promise<unknown[] | undefined> {
  try {
    const ttl = String(settings.ttlMs);
    const reply = await connection.call((client) =>
      client.eval(CLAIM, 2, names.lock, names.token, value, ttl, digest, take),
    );
    return Array.isArray(reply) ? reply : undefined;
  } catch {
    return undefined;
  }
}
