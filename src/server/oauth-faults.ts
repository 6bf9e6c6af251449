import type { ServerResponse } from "node:http";
import { sendEmpty, sendJson } from "./router.js";

/**
 * What a faulty token endpoint does instead of answering:
 * - `"503"`, `"500"`: that status, with `Retry-After` when `retryAfter` is set;
 * - `"429"`: Too Many Requests with `Retry-After: retryAfter` (default 1);
 * - `"broken-json"`: 200 `application/json` with a truncated body;
 * - `"html"`: 200 `text/html` (a login page, a proxy's error page);
 * - `"slow"`: waits `delayMs` (default 1000), then answers normally;
 * - `"reset"`: closes the connection without an answer;
 * - `"redirect"`: `status` (default 307) to `location`.
 *
 * @example
 * ```ts
 * const kind: OAuthFaultKind = "429";
 * ```
 */
export type OAuthFaultKind = "503" | "500" | "429" | "broken-json" | "html" | "slow" | "reset" | "redirect";

/**
 * The JSON body of `POST /oauth/_faults` (`DELETE /oauth/_faults` clears all):
 * - `{ "next": 3, "kind": "503", "retryAfter": 1 }` — the next 3 token requests fail that way;
 * - `{ "halfFail": true }` — from now on every other token request (the 1st, 3rd, …) answers 503;
 * - `{ "down": true }` — every token request answers 503 until `{ "down": false }`.
 *
 * @example
 * ```ts
 * await fetch(`${server.url}/oauth/_faults`, { method: "POST", body: JSON.stringify({ next: 1, kind: "slow", delayMs: 500 }) });
 * ```
 */
export interface OAuthFaultPlan {
  next?: number;
  kind?: OAuthFaultKind;
  retryAfter?: number;
  delayMs?: number;
  status?: number;
  location?: string;
  halfFail?: boolean;
  down?: boolean;
}

interface Fault {
  readonly kind: OAuthFaultKind;
  readonly retryAfter?: number | undefined;
  readonly delayMs?: number | undefined;
  readonly status?: number | undefined;
  readonly location?: string | undefined;
}

const KINDS = new Set<string>(["503", "500", "429", "broken-json", "html", "slow", "reset", "redirect"]);

/**
 * The fault state of one server's token endpoint; cleared by `reset()`.
 *
 * @example
 * ```ts
 * const faults = new OAuthFaults();
 * faults.configure({ next: 2, kind: "503" });
 * faults.take(); // { kind: "503" } — twice, then undefined
 * ```
 */
export class OAuthFaults {
  #queued: Fault | undefined;
  #remaining = 0;
  #halfFail = false;
  #halfFailCount = 0;
  #down = false;

  /** Applies a plan; returns an error message for a plan that makes no sense. */
  configure(plan: OAuthFaultPlan): string | undefined {
    if (plan.halfFail !== undefined) {
      this.#halfFail = plan.halfFail === true;
      this.#halfFailCount = 0;
    }
    if (plan.down !== undefined) this.#down = plan.down === true;
    if (plan.next === undefined && plan.kind === undefined) return undefined;
    if (typeof plan.kind !== "string" || !KINDS.has(plan.kind)) return `kind must be one of ${[...KINDS].join(", ")}`;
    if (plan.kind === "redirect" && typeof plan.location !== "string") return "a redirect fault needs a location";
    const { kind, retryAfter, delayMs, status, location } = plan;
    this.#queued = { kind, retryAfter, delayMs, status, location };
    this.#remaining = Math.max(0, Math.floor(plan.next ?? 1));
    return undefined;
  }

  /** The fault for the token request being handled now, if any. */
  take(): Fault | undefined {
    if (this.#down) return { kind: "503" };
    if (this.#remaining > 0 && this.#queued !== undefined) {
      this.#remaining -= 1;
      return this.#queued;
    }
    if (this.#halfFail) {
      this.#halfFailCount += 1;
      if (this.#halfFailCount % 2 === 1) return { kind: "503" };
    }
    return undefined;
  }

  reset(): void {
    this.#queued = undefined;
    this.#remaining = 0;
    this.#halfFail = false;
    this.#halfFailCount = 0;
    this.#down = false;
  }
}

/**
 * Plays `fault` on `response`. Resolves to true when the request is answered
 * (or dropped), false when it should go on normally (after a `slow` delay).
 *
 * @example
 * ```ts
 * const fault = faults.take();
 * if (fault !== undefined && (await playFault(fault, response))) return;
 * ```
 */
export async function playFault(fault: Fault, response: ServerResponse): Promise<boolean> {
  switch (fault.kind) {
    case "slow":
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 1000));
      return false;
    case "reset":
      response.socket?.destroy();
      return true;
    case "broken-json":
      sendRaw(response, 200, "application/json", '{"access_token":"abc","token_type":"Bea');
      return true;
    case "html":
      sendRaw(response, 200, "text/html", "<!doctype html><html><body><h1>Sign in</h1></body></html>");
      return true;
    case "redirect":
      sendEmpty(response, fault.status ?? 307, { location: fault.location ?? "/" });
      return true;
    default: {
      const status = Number(fault.kind);
      const retryAfter = fault.retryAfter ?? (status === 429 ? 1 : undefined);
      const headers: Record<string, string> = retryAfter === undefined ? {} : { "retry-after": String(retryAfter) };
      sendJson(response, status, { error: "temporarily_unavailable", error_description: "injected fault" }, headers);
      return true;
    }
  }
}

function sendRaw(response: ServerResponse, status: number, type: string, text: string): void {
  response.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(text) });
  response.end(text);
}
