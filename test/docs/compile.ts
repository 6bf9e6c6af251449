/**
 * Type-checks the TypeScript blocks as a user's project would (strict, `module: nodenext`, Node's types,
 * "authflow…" resolved through the installed package's `exports` to its `.d.ts`), in one program,
 * and emits each block's JavaScript for the runner.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { formatHost } from "./package.js";

/** A block written to the scratch project. */
export interface BlockSource {
  /** File name without extension, unique per block (`README.md-42`). */
  readonly name: string;
  readonly code: string;
  /** Where errors are reported: the Markdown file and the line of the block's first line of code. */
  readonly file: string;
  readonly firstLine: number;
}

/** Per block name: the type errors (empty when it compiles) and the emitted JavaScript's path. */
export interface Compiled {
  readonly errors: ReadonlyMap<string, string[]>;
  readonly javascript: (name: string) => string;
}

/** What a user's tsconfig says, the strictness included; not our own house options. */
const USER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  moduleDetection: ts.ModuleDetectionKind.Force,
  strict: true,
  types: ["node"],
  skipLibCheck: true,
  sourceMap: true,
};

/**
 * Writes the blocks under `directory`/blocks, compiles them into `directory`/out.
 *
 * @example
 * ```ts
 * const compiled = compileBlocks(project.directory, [{ name: "README.md-42", code }]);
 * compiled.errors.get("README.md-42"); // [] when it type-checks
 * ```
 */
export function compileBlocks(directory: string, blocks: readonly BlockSource[]): Compiled {
  const sources = join(directory, "blocks");
  const outDir = join(directory, "out");
  mkdirSync(sources, { recursive: true });
  const files = blocks.map((block) => {
    const file = join(sources, `${block.name}.ts`);
    writeFileSync(file, block.code);
    return file;
  });
  const program = ts.createProgram(files, { ...USER_OPTIONS, rootDir: sources, outDir });
  const emitted = program.emit();
  const errors = new Map<string, string[]>();
  blocks.forEach((block, index) => {
    const file = program.getSourceFile(files[index] as string);
    const diagnostics = file === undefined ? [] : ts.getPreEmitDiagnostics(program, file);
    const own = [...diagnostics, ...emitted.diagnostics].filter(
      (diagnostic) => diagnostic.file === undefined || diagnostic.file === file,
    );
    errors.set(
      block.name,
      own.map((diagnostic) => describe(diagnostic, block, directory)),
    );
  });
  return { errors, javascript: (name) => join(outDir, `${name}.js`) };
}

/** One diagnostic, placed in the Markdown file: `README.md:57:13 TS2304 Cannot find name 'server'.` */
function describe(diagnostic: ts.Diagnostic, block: BlockSource, directory: string): string {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
  if (diagnostic.file === undefined || diagnostic.start === undefined) {
    return ts.formatDiagnostic(diagnostic, formatHost(directory)).trim();
  }
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  return `${block.file}:${block.firstLine + line}:${character + 1} TS${diagnostic.code} ${message}`;
}
