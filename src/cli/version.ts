import { readFile } from "node:fs/promises";

/**
 * authflow's version, from the package.json next to the build (`dist/cli/` and
 * `src/cli/` both sit two levels below it).
 *
 * @example
 * ```ts
 * console.log(`authflow ${await version()}`);
 * ```
 */
export async function version(): Promise<string> {
  try {
    const manifest = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: unknown;
    };
    return typeof manifest.version === "string" ? manifest.version : "unknown";
  } catch {
    return "unknown";
  }
}
