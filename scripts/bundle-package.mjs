// The JavaScript of the published package: one ESM file per entry point plus shared chunks, built by
// esbuild from src/ (tsc emits only the .d.ts files). A few files load in a fraction of the time of
// one file per module (bench/cold-start.ts). Dependencies stay external; jose is imported on first use.
// Used by scripts/bundle.mjs (npm run build) and by the doc tests' private copy of the package.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

/** The source file of each `exports` entry and of the command, keyed by its path under dist/ without `.js`. */
export function packageEntryPoints(root) {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const entries = {};
  for (const target of [...Object.values(manifest.exports), ...Object.values(manifest.bin ?? {})]) {
    const file = typeof target === "string" ? target : target.default;
    if (!file.endsWith(".js")) continue;
    const name = file.replace(/^\.\/dist\//, "").replace(/\.js$/, "");
    entries[name] = join(root, "src", `${name}.ts`);
  }
  return entries;
}

/** Bundles the package found at `root` into `outdir`. */
export async function bundlePackage(root, outdir, logLevel = "warning") {
  await build({
    entryPoints: packageEntryPoints(root),
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    chunkNames: "chunks/[name]-[hash]",
    sourcemap: true,
    logLevel,
  });
}
