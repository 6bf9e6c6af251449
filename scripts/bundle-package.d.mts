/** The source file of each `exports` entry and of the command, keyed by its path under dist/ without `.js`. */
export function packageEntryPoints(root: string): Record<string, string>;
/** Bundles the package found at `root` into `outdir` (esbuild, ESM, shared chunks). */
export function bundlePackage(root: string, outdir: string, logLevel?: "warning" | "silent"): Promise<void>;
