// The JavaScript of the published package: one ESM file per entry point plus shared chunks, built by
// esbuild from src/ (tsc emits only the .d.ts files). A few files load in a fraction of the time of
// one file per module: a fresh process's import() of the core went from ~1.6× ky's to under it
// (bench/cold-start.ts). Dependencies stay external; jose is imported on first use.
import { build } from "esbuild";
import { readFileSync } from "node:fs";

const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const entryPoints = {};
for (const target of Object.values(manifest.exports)) {
  const file = typeof target === "string" ? target : target.default;
  if (!file.endsWith(".js")) continue;
  const name = file.replace(/^\.\/dist\//, "").replace(/\.js$/, "");
  entryPoints[name] = `src/${name}.ts`;
}
entryPoints[manifest.bin.authflow.replace(/^\.\/dist\//, "").replace(/\.js$/, "")] = "src/cli/main.ts";

await build({
  entryPoints,
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  chunkNames: "chunks/[name]-[hash]",
  sourcemap: true,
  logLevel: "warning",
});
