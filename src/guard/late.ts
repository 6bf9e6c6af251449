import { type GuardState, releaseSlot, stateFor } from "./store.js";

/** What a flow needs of the guard that admitted its request (AdmittingGuard, src/guard/guard.ts). */
interface AdmittingGuard {
  admit(state: GuardState, origin: string, signal: AbortSignal | undefined): boolean | Promise<boolean>;
  settle(state: GuardState, origin: string, response: Response, ticket: boolean): void;
}

/**
 * The guard for Auths whose credentials are known only inside their flow (a
 * function, a token provider): `enter` cannot key them, so it binds the Auth
 * to the guard admitting it, and the flow passes that guard through
 * {@link guardedSend} once it knows what it put on the request.
 */

/** The guard admitting requests of such an Auth, per origin, while they are in flight. */
const bindings = new WeakMap<object, Map<string, { guard: AdmittingGuard; inFlight: number }>>();

/** A request of `auth` to `origin` was admitted by `guard` (its flow will find it). */
export function bind(auth: object, origin: string, guard: AdmittingGuard): void {
  let origins = bindings.get(auth);
  if (origins === undefined) {
    origins = new Map();
    bindings.set(auth, origins);
  }
  const binding = origins.get(origin);
  if (binding === undefined) origins.set(origin, { guard, inFlight: 1 });
  else {
    binding.guard = guard;
    binding.inFlight += 1;
  }
}

/** That request ended (recorded or abandoned). */
export function unbind(auth: object, origin: string): void {
  const origins = bindings.get(auth);
  const binding = origins?.get(origin);
  if (origins === undefined || binding === undefined) return;
  binding.inFlight -= 1;
  if (binding.inFlight <= 0) origins.delete(origin);
}

/**
 * Yields `request` past the guard that admitted this Auth's request,
 * counting under `identity` (the keyed digest of the credentials the flow put
 * on the request, computed only when a guard is on), and returns the answer:
 * while the credentials cool down it throws AuthRejectedError instead, and
 * until they have worked it waits its turn. Without a guard (turned off) the
 * request simply goes out.
 *
 * @example
 * ```ts
 * const response: Response = yield* guardedSend(this, request, () => headerIdentity([["authorization", value]]));
 * ```
 */
export async function* guardedSend(
  auth: object,
  request: Request,
  identity: () => string,
): AsyncGenerator<Request, Response, Response> {
  const origins = bindings.get(auth);
  const origin = origins === undefined ? "" : new URL(request.url).origin;
  const guard = origins?.get(origin)?.guard;
  if (guard === undefined) return yield request;
  const state = stateFor(`${origin} ${identity()}`);
  const entered = guard.admit(state, origin, request.signal);
  const ticket = typeof entered === "boolean" ? entered : await entered;
  let answered = false;
  try {
    const response = yield request;
    answered = true;
    guard.settle(state, origin, response, ticket);
    return response;
  } finally {
    if (!answered) releaseSlot(state, ticket);
  }
}
