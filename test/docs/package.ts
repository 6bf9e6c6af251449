/**
 * A private copy of the package for the doc tests, installed in a scratch project as a user gets it:
 * `node_modules/authflow` with this package.json (its `exports`) and a `dist/` of its own — the
 * JavaScript bundled by esbuild as scripts/bundle.mjs does, the `.d.ts` emitted by the TypeScript API
 * without a type-check (`npm run typecheck` does that). Its own copy, not the checkout's dist/: that
 * one may be stale, and test/package.test.ts deletes and rebuilds it while other tests run.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import ts from "typescript";
import { bundlePackage, packageEntryPoints } from "../../scripts/bundle-package.mjs";

export const root = resolve(import.meta.dirname, "../..");

interface Manifest {
  readonly name: string;
  readonly exports: Record<string, string | { types?: string; default: string }>;
  readonly bin: Record<string, string>;
}

/** The scratch project: where blocks are written, and the installed package in it. */
export interface DocProject {
  /** The project's folder (under the checkout's gitignored tmp/, so Node finds its dependencies). */
  readonly directory: string;
  /** The package's command: `node <cli>` is `npx authflow`. */
  readonly cli: string;
}

/**
 * Makes the scratch project and installs the package in it.
 *
 * @example
 * ```ts
 * const project = await installPackage();
 * // project.directory/node_modules/authflow/dist/index.js, …/index.d.ts
 * ```
 */
export async function installPackage(): Promise<DocProject> {
  mkdirSync(join(root, "tmp"), { recursive: true });
  const directory = mkdtempSync(join(root, "tmp", "doctests-"));
  writeFileSync(join(directory, "package.json"), JSON.stringify({ name: "doctests", private: true, type: "module" }));
  const installed = join(directory, "node_modules", "authflow");
  mkdirSync(installed, { recursive: true });
  cpSync(join(root, "package.json"), join(installed, "package.json"));
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Manifest;
  await bundlePackage(root, join(installed, "dist"), "silent");
  emitDeclarations(join(installed, "dist"));
  const bin = manifest.bin.authflow ?? "./dist/cli/main.js";
  return { directory, cli: join(installed, bin) };
}

/** The `.d.ts` tree under dist/, as tsc -p tsconfig.core.json / tsconfig.node.json write it. */
function emitDeclarations(outDir: string): void {
  const roots = Object.entries(packageEntryPoints(root))
    .filter(([name]) => name !== "cli/main")
    .map(([, file]) => file);
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts"],
    types: ["node"],
    strict: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: true,
    declaration: true,
    emitDeclarationOnly: true,
    noCheck: true,
    rootDir: join(root, "src"),
    outDir,
  };
  const program = ts.createProgram(roots, options);
  const result = program.emit();
  const errors = result.diagnostics.filter((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) throw new Error(ts.formatDiagnostics(errors, formatHost(root)));
}

/** How diagnostics print: paths relative to `directory`. */
export function formatHost(directory: string): ts.FormatDiagnosticsHost {
  return {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => directory,
    getNewLine: () => "\n",
  };
}
