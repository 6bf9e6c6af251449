/**
 * Cold start (issue 17 item 7): how long a fresh Node process takes to
 * `import()` authflow's core, against ky (the model of a small fetch
 * wrapper), interleaved, median of 15 each. Needs `npm run build` first.
 * Run: `npx tsx bench/cold-start.ts`.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROUNDS = 15;
const root = fileURLToPath(new URL("..", import.meta.url));
const targets = {
  authflow: new URL("../dist/index.js", import.meta.url).href,
  ky: import.meta.resolve("ky"),
};

function importMs(specifier: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;
  return Number(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" }));
}

const times: Record<string, number[]> = { authflow: [], ky: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, specifier] of Object.entries(targets)) times[name]?.push(importMs(specifier));
}
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};
const authflow = median(times.authflow ?? []);
const ky = median(times.ky ?? []);
console.log(`import() in a fresh process, median of ${ROUNDS} (Node ${process.versions.node}):`);
console.log(`  authflow ${authflow.toFixed(1)} ms`);
console.log(`  ky       ${ky.toFixed(1)} ms`);
console.log(`  ratio    ${(authflow / ky).toFixed(2)} (target ≤ 1.30)`);
