/**
 * The core's size as an application would ship it: BasicAuth, DigestAuth,
 * BearerAuth and withAuth bundled from the sources with esbuild (ESM,
 * browser platform, minified, tree-shaken), then gzipped at level 9.
 */
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

export interface CoreSize {
  readonly names: readonly string[];
  readonly minifiedBytes: number;
  readonly gzippedBytes: number;
}

const root = fileURLToPath(new URL("..", import.meta.url));

/** Bundles the named exports of src/index.ts that exist; the rest are reported missing by the caller. */
export async function coreSize(names: readonly string[]): Promise<CoreSize> {
  const result = await build({
    stdin: {
      contents: `export { ${names.join(", ")} } from "./src/index.ts";`,
      resolveDir: root,
      loader: "ts",
      sourcefile: "core-size-entry.ts",
    },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { names, minifiedBytes: code.byteLength, gzippedBytes: gzipSync(code, { level: 9 }).byteLength };
}
