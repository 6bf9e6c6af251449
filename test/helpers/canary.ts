import { createHash } from "node:crypto";
import { appendFileSync } from "node:fs";

/**
 * When AUTHFLOW_CANARY_LOG names a file, every canary handed out is appended to it.
 *
 * A canary secret, `CANARY-<uuid>`, derived from `scope` and `name`: the same
 * value on every run, so that a child process (secret-hygiene.test.ts) can
 * list the canaries a test file used and grep output for them.
 */
export function canary(scope: string, name: string): string {
  const hex = createHash("sha256").update(`${scope}\u0000${name}`).digest("hex");
  return `CANARY-${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Canaries of one test file, by name; `all()` lists every one handed out so far. */
export function canaries(scope: string) {
  const issued = new Set<string>();
  return {
    get(name: string): string {
      const value = canary(scope, name);
      if (!issued.has(value) && process.env.AUTHFLOW_CANARY_LOG)
        appendFileSync(process.env.AUTHFLOW_CANARY_LOG, `${value}\n`);
      issued.add(value);
      return value;
    },
    all: (): string[] => [...issued],
  };
}

/** Every text a secret could leak through from an error: message, stack, JSON, inspect, cause chain. */
export async function errorTexts(error: unknown): Promise<string> {
  const { inspect } = await import("node:util");
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    if (current instanceof Error) {
      parts.push(current.message, current.stack ?? "", String(current));
    }
    try {
      parts.push(JSON.stringify(current) ?? "");
    } catch {
      // circular: inspect below still covers it
    }
    parts.push(inspect(current, { depth: 8, showHidden: true }));
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join("\n");
}
