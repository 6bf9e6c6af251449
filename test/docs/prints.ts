/**
 * What a sample says it prints, checked against what it printed: a `console.log(…)` line ending in
 * `//=> 200 DPoP` must print a line that reads `200 DPoP` (`…` stands for anything). Plain `//`
 * comments are prose and are not checked, so the check is opt-in, line by line.
 */

const PRINTS = /console\.log\(.*\/\/=>\s*(.+?)\s*$/;

/**
 * The `//=>` claims of a sample, in order.
 *
 * @example
 * ```ts
 * expectedPrints('console.log(response.status); //=> 200\n'); // ["200"]
 * ```
 */
export function expectedPrints(code: string): string[] {
  return code.split("\n").flatMap((line) => {
    const claim = PRINTS.exec(line)?.[1];
    return claim === undefined ? [] : [claim];
  });
}

/**
 * The first claim the output does not bear out, or undefined. Claims are matched in order, each
 * against a later line of `stdout` than the one before, so a sample may print more than it claims.
 *
 * @example
 * ```ts
 * unmetPrint(["200 …"], "200 { ok: true }\n"); // undefined
 * unmetPrint(["200"], "401\n"); // "200"
 * ```
 */
export function unmetPrint(claims: readonly string[], stdout: string): string | undefined {
  const lines = stdout.split("\n").map((line) => line.trim());
  let next = 0;
  for (const claim of claims) {
    const pattern = new RegExp(`^${claim.split("…").map(escapeRegExp).join(".*")}$`, "s");
    const found = lines.findIndex((line, index) => index >= next && pattern.test(line));
    if (found === -1) return claim;
    next = found + 1;
  }
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
