// Prints README's "Runs on" tables from the measured matrix: `node test/runtimes/table.mjs [matrix.json]`.
// One table per group: the scenario's runtimes; authflow/undici on each Node and undici major.
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? new URL("matrix.json", import.meta.url);
const { runtimes } = JSON.parse(readFileSync(file, "utf8"));

const mark = (row, name) => (name in row.results ? (row.results[name] ? "✓" : "✗") : "n/a");
const groups = new Map();
for (const row of runtimes) groups.set(row.group, [...(groups.get(row.group) ?? []), row]);
const tables = [...groups.values()].map((rows) => {
  const cases = [...new Set(rows.flatMap((row) => Object.keys(row.results)))];
  const lines = [`| runtime | version | ${cases.join(" | ")} |`, `|---|---|${cases.map(() => "---").join("|")}|`];
  for (const row of rows) {
    lines.push(`| ${row.label} | ${row.version} | ${cases.map((name) => mark(row, name)).join(" | ")} |`);
  }
  return lines.join("\n");
});
console.log(tables.join("\n\n"));
