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
  /** Each name bundled alone, gzipped (they share the engine, so these add up to more than the whole). */
  readonly alone: Readonly<Record<string, number>>;
  /** Minified bytes of the whole bundle by part of the source tree. */
  readonly parts: Readonly<Record<string, number>>;
}

/** The parts of the source tree the size breakdown names, first match wins. */
const PARTS: readonly (readonly [string, RegExp])[] = [
  ["hashes (MD5, SHA-1, SHA-256, SHA-512, SHA-512/256)", /src\/hashes\//],
  ["Digest (RFC 7616)", /schemes\/digest/],
  ["challenge parser (RFC 7235, RFC 8187)", /headers\//],
  ["Basic, Bearer, function auth", /schemes\//],
  ["send path (front doors, redirects, replay, timeouts)", /src\/(front|engine)\//],
  ["policy (credential headers, plain HTTP, redirects, options, validation)", /src\/policy\//],
  ["bad-credential guard", /src\/guard\//],
  ["errors, redaction, debug, URLs", /src\/(errors\.ts|support\/)/],
];

const root = fileURLToPath(new URL("..", import.meta.url));

/** Bundles the named exports of src/index.ts that exist; the rest are reported missing by the caller. */
export async function coreSize(names: readonly string[]): Promise<CoreSize> {
  const whole = await bundle(names);
  const alone: Record<string, number> = {};
  for (const name of names) alone[name] = gzipSync((await bundle([name])).code, { level: 9 }).byteLength;
  const parts: Record<string, number> = {};
  for (const [path, bytes] of Object.entries(whole.inputs)) {
    if (bytes === 0) continue;
    const part = PARTS.find(([, pattern]) => pattern.test(path))?.[0] ?? "other";
    parts[part] = (parts[part] ?? 0) + bytes;
  }
  return {
    names,
    minifiedBytes: whole.code.byteLength,
    gzippedBytes: gzipSync(whole.code, { level: 9 }).byteLength,
    alone,
    parts,
  };
}

async function bundle(names: readonly string[]): Promise<{ code: Uint8Array; inputs: Record<string, number> }> {
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
    metafile: true,
    logLevel: "silent",
  });
  const output = Object.values(result.metafile.outputs)[0];
  const inputs: Record<string, number> = {};
  for (const [path, input] of Object.entries(output?.inputs ?? {})) inputs[path] = input.bytesInOutput;
  return { code: result.outputFiles[0]?.contents ?? new Uint8Array(), inputs };
}
