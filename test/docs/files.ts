/** The documentation the doc tests read: the top-level pages and every page of docs/ (read when asked). */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { root } from "./package.js";

/**
 * README.md, SECURITY.md, BENCHMARKS.md and docs/*.md, as paths from the checkout's root; a new page
 * in docs/ is picked up without a change here.
 *
 * @example
 * ```ts
 * docFiles(); // ["README.md", "SECURITY.md", "BENCHMARKS.md", "docs/architecture.md", …]
 * ```
 */
export function docFiles(): string[] {
  const pages = readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`);
  return ["README.md", "SECURITY.md", "BENCHMARKS.md", ...pages];
}
