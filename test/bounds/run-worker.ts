import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

/**
 * Runs test/bounds/memory-worker.ts in a child `node --expose-gc` (vitest's
 * workers cannot collect on demand), bundled by esbuild first so the child
 * spends its time on the measurement, not on compiling TypeScript.
 */
export async function runMemoryWorker<T>(mode: string, realCount: number, directCount: number): Promise<T> {
  const directory = mkdtempSync(join(tmpdir(), "authflow-bounds-"));
  try {
    const script = join(directory, "worker.mjs");
    await build({
      entryPoints: [join(import.meta.dirname, "memory-worker.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile: script,
      logLevel: "warning",
      // undici and friends use require(): give the bundle one.
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ["--expose-gc", script, mode, String(realCount), String(directCount)], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.once("error", reject);
      child.once("exit", (code) =>
        code === 0 ? resolve(stdout) : reject(new Error(`worker exited ${code}: ${stderr}`)),
      );
    });
    const line = output.trim().split("\n").at(-1) ?? "";
    return JSON.parse(line) as T;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
