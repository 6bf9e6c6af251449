/**
 * What the spec files share: the server's side of an exchange, written by
 * hand (no network), and the step of a flow read as the request it yields.
 */
import { expect } from "vitest";

/** One step of a flow, as `await flow.next(…)` gives it. */
export type Step = IteratorResult<Request, void>;

/** The request a step yields; fails the test when the flow finished instead. */
export function yielded(step: Step): Request {
  expect(step.done, "the flow should yield a request here").toBe(false);
  return step.value as Request;
}

/** Asserts the flow finished: the driver then hands the last response to the caller. */
export function expectFinished(step: Step): void {
  expect(step.done, "the flow should be finished here").toBe(true);
}

/** The `Authorization` value a step's request carries (null when none). */
export function authorizationOf(step: Step): string | null {
  return yielded(step).headers.get("authorization");
}

/** A 401 carrying each challenge as its own `WWW-Authenticate` line. */
export function unauthorized(...challenges: string[]): Response {
  const headers = new Headers();
  for (const challenge of challenges) headers.append("www-authenticate", challenge);
  return new Response("unauthorized", { status: 401, headers });
}

/** A 200, with extra headers (`Authentication-Info`) when given. */
export function ok(headers?: HeadersInit): Response {
  return new Response("ok", { status: 200, ...(headers === undefined ? {} : { headers }) });
}

/** What `action` (a step of a flow) rejects with; fails the test when it does not. */
export async function errorOf(action: () => unknown): Promise<Error & Record<string, unknown>> {
  try {
    await action();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected the flow to fail here");
}
