/**
 * Fuzzes every parser authflow runs on server input: `npx tsx fuzz/run.ts`
 * (or `npm run fuzz`). FUZZ_CASES sets the cases per target (default 40,000,
 * so ≥ 100,000 in total); FUZZ_SEED replays a run. Prints counts and the
 * slowest input per target, then times the 1 MiB adversarial headers.
 * Exits 1 on a crash (an error that is not the parser's typed error).
 */
import fc from "fast-check";
import { parseAuthenticationInfo, parseChallenges } from "../src/headers/challenge.js";
import { adversarialHeaders, withOptionalTargets } from "./targets.js";

const casesPerTarget = Number(process.env.FUZZ_CASES ?? 40_000);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
let total = 0;
let failed = false;

for (const target of await withOptionalTargets()) {
  let slowest = 0;
  let slowestLength = 0;
  let typedErrors = 0;
  const result = fc.check(
    fc.property(target.input, (input) => {
      const start = performance.now();
      try {
        target.run(input);
      } catch (error) {
        if (!target.typed(error)) throw error;
        typedErrors += 1;
      } finally {
        const elapsed = performance.now() - start;
        if (elapsed > slowest) {
          slowest = elapsed;
          slowestLength = JSON.stringify(input)?.length ?? 0;
        }
      }
    }),
    { numRuns: casesPerTarget, seed },
  );
  total += result.numRuns;
  console.log(
    `${target.name.padEnd(24)} ${String(result.numRuns).padStart(7)} cases, ${String(typedErrors).padStart(6)} typed errors, ` +
      `max ${slowest.toFixed(2)} ms per input (input of ${slowestLength} chars)`,
  );
  if (result.failed) {
    failed = true;
    console.error(fc.defaultReportMessage(result));
  }
}
console.log(`total: ${total} generated cases (seed ${seed})`);

for (const [name, header] of adversarialHeaders()) {
  let worst = 0;
  for (const parse of [parseChallenges, parseAuthenticationInfo]) {
    for (const input of [header, [header, header]]) {
      const start = performance.now();
      try {
        parse(input);
      } catch {
        // typed errors were checked above; here only the time matters
      }
      worst = Math.max(worst, performance.now() - start);
    }
  }
  console.log(`adversarial ${name.padEnd(38)} ${String(header.length).padStart(8)} chars: max ${worst.toFixed(1)} ms`);
}
process.exit(failed ? 1 : 0);
