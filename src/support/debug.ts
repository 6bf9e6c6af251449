/**
 * Debug logging, off unless the environment variable `AUTHFLOW_DEBUG=1` is
 * set (read once, lazily; Node, Deno and Bun). Lines go to stderr — never
 * stdout, where a program's own output goes (`authflow … > file` stays the
 * body alone) — or, where there is no stderr (browsers, workers), to
 * `console.debug`. They describe only method, origin, status and scheme — never headers,
 * bodies, paths or query strings, which can carry secrets
 * (scenario PAR-07 in SECURITY.md).
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
  if (debugEnabled()) {
    sink ??= stderrSink();
    sink(`authflow: ${line}`);
  }
}

let sink: ((line: string) => void) | undefined;

/**
 * Where debug lines go: the runtime's stderr (Node, Bun, Deno 2 expose
 * `process.stderr`; Deno 1's `console.error` is stderr), else the console's
 * debug level — browsers and workers have no stdout to mix into.
 */
function stderrSink(): (line: string) => void {
  const runtime = globalThis as {
    process?: { stderr?: { write?: (text: string) => unknown } };
    Deno?: unknown;
  };
  const stderr = runtime.process?.stderr;
  if (typeof stderr?.write === "function") return (line) => stderr.write?.(`${line}\n`);
  if (runtime.Deno !== undefined) return (line) => console.error(line);
  return (line) => console.debug(line);
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
