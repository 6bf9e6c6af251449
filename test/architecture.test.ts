/**
 * The layering of docs/architecture.md, enforced: no import cycles in src/,
 * the portable core imports nothing Node-only, and each layer imports only
 * the layers under it. Static imports and re-exports count, type-only ones too
 * (a cycle of types is still a knot for a reader).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const src = join(root, "src");

function sources(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

const IMPORT = /^\s*(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm;

/** Module (path under src/) → what it imports: other modules (paths under src/) or packages. */
const graph = new Map<string, string[]>();
for (const file of sources(src)) {
  const module = relative(src, file);
  const text = readFileSync(file, "utf8");
  const targets: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = (match[1] ?? match[2]) as string;
    if (!specifier.startsWith(".")) {
      targets.push(specifier);
      continue;
    }
    targets.push(normalize(join(dirname(module), specifier)).replace(/\.js$/, ".ts"));
  }
  graph.set(module, targets);
}

/** The top folder of a module ("engine", "front", …), or the file name for root files. */
const layerOf = (module: string): string => (module.includes("/") ? (module.split("/")[0] as string) : module);

const NODE_ONLY = ["server", "cli", "undici", "redis", "node"];
const isCore = (module: string) => !NODE_ONLY.includes(layerOf(module));

/** What each layer may import (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  "errors.ts": [],
  support: ["errors.ts", "policy"],
  hashes: [],
  engine: ["errors.ts", "support", "hashes"],
  policy: ["errors.ts", "support", "engine", "guard"],
  guard: ["errors.ts", "support", "engine", "hashes", "policy"],
  headers: ["errors.ts", "support"],
  schemes: ["errors.ts", "support", "engine", "hashes", "policy", "guard", "headers"],
  stores: ["errors.ts", "support", "engine", "policy"],
  oauth2: ["errors.ts", "support", "engine", "hashes", "policy", "guard", "headers", "stores", "schemes"],
  front: ["errors.ts", "support", "engine", "policy", "guard", "schemes", "headers"],
};

describe("architecture", () => {
  it("has no import cycle in src/", () => {
    const cycles: string[][] = [];
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    let counter = 0;
    const visit = (node: string) => {
      index.set(node, counter);
      low.set(node, counter);
      counter++;
      stack.push(node);
      onStack.add(node);
      for (const next of graph.get(node) ?? []) {
        if (!graph.has(next)) continue;
        if (!index.has(next)) {
          visit(next);
          low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
        } else if (onStack.has(next)) {
          low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
        }
      }
      if (low.get(node) === index.get(node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop() as string;
          onStack.delete(member);
          component.push(member);
        } while (member !== node);
        if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
      }
    };
    for (const node of graph.keys()) if (!index.has(node)) visit(node);
    expect(cycles).toEqual([]);
  });

  it("keeps the portable core free of Node-only imports", () => {
    const offending: string[] = [];
    for (const [module, targets] of graph) {
      if (!isCore(module)) continue;
      for (const target of targets) {
        const nodeOnly =
          target.startsWith("node:") ||
          target === "undici" ||
          target === "ioredis" ||
          (graph.has(target) && !isCore(target));
        if (nodeOnly) offending.push(`${module} → ${target}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it("has each layer import only the layers under it", () => {
    const offending: string[] = [];
    for (const [module, targets] of graph) {
      const allowed = ALLOWED[layerOf(module)];
      if (allowed === undefined) continue;
      for (const target of targets) {
        if (!graph.has(target)) continue;
        const layer = layerOf(target);
        if (layer !== layerOf(module) && !allowed.includes(layer)) offending.push(`${module} → ${target}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
