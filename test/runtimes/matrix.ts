import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HERE } from "./runners.js";

/** One runtime's row of the measured matrix. */
export interface MatrixRow {
  readonly id: string;
  readonly label: string;
  /** Rows of a group share a table: `"scenario"` (scenario.mjs) or `"undici"` (undici.mjs). */
  readonly group: string;
  readonly version: string;
  /** Case name → passed. */
  readonly results: Record<string, boolean>;
}

/**
 * The measured matrix, for README's "Runs on" table (`node test/runtimes/table.mjs`).
 * AUTHFLOW_RUNTIME_MATRIX may name another file. Rows measured in this run
 * replace their old selves; rows of runtimes not run (skipped, filtered out)
 * are kept. No timing or port in it: the file changes only when a result does.
 */
export const MATRIX_FILE = process.env.AUTHFLOW_RUNTIME_MATRIX ?? join(HERE, "matrix.json");

export function writeMatrix(rows: readonly MatrixRow[], order: readonly string[]): void {
  if (rows.length === 0) return;
  const old: MatrixRow[] = existsSync(MATRIX_FILE)
    ? (JSON.parse(readFileSync(MATRIX_FILE, "utf8")) as { runtimes: MatrixRow[] }).runtimes
    : [];
  const byId = new Map(old.map((row) => [row.id, row]));
  for (const row of rows) byId.set(row.id, row);
  const runtimes = [...byId.values()].sort((a, b) => rank(a.id, order) - rank(b.id, order));
  writeFileSync(MATRIX_FILE, `${JSON.stringify({ runtimes }, null, 2)}\n`);
}

function rank(id: string, order: readonly string[]): number {
  const index = order.indexOf(id);
  return index < 0 ? order.length : index;
}
