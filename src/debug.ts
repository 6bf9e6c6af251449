/**
 * Debug logging, off unless the environment variable `AUTHFLOW_DEBUG=1` is
 * set (read once, lazily; Node, Deno and Bun). Lines go to `console.debug`
 * and describe only method, origin, status and scheme — never headers,
 * bodies, paths or query strings, which can carry secrets
 * (SECURITY-SCENARIOS PAR-07).
 *
 * @example
 * ```sh
 * AUTHFLOW_DEBUG=1 node app.js
 * # authflow: GET http://127.0.0.1:8080 → 401 (DigestAuth, step 1)
 * ```
 */
let enabled: boolean | undefined;

/** True when debug lines are written; call sites check it before building a line. */
export function debugEnabled(): boolean {
  enabled ??= readFlag();
  return enabled;
}

/** Writes one debug line. Pass only methods, origins, statuses, scheme names and counts. */
export function debug(line: string): void {
  if (debugEnabled()) console.debug(`authflow: ${line}`);
}

/** The scheme's name for a line: its class name, never its fields. */
export function schemeName(auth: object | null): string {
  if (auth === null) return "no auth";
  return auth.constructor?.name && auth.constructor !== Object ? auth.constructor.name : "custom flow";
}

function readFlag(): boolean {
  const runtime = globalThis as {
    process?: { env?: Record<string, string | undefined> };
    Deno?: { env?: { get(key: string): string | undefined } };
  };
  try {
    const value = runtime.process?.env?.AUTHFLOW_DEBUG ?? runtime.Deno?.env?.get("AUTHFLOW_DEBUG");
    return value === "1" || value === "true";
  } catch {
    return false; // Deno without --allow-env
  }
}
