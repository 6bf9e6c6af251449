import { type FileHandle, open, rm } from "node:fs/promises";
import { join } from "node:path";
import { downloadName, numbered } from "./filename.js";
import { formatBytes, Progress, type ProgressStream } from "./progress.js";

/** Where and how a body is saved. */
export interface SaveOptions {
  /** `-o FILE`: this path, overwritten as curl -o does. */
  readonly file: string | undefined;
  /** `--download` without `-o`: a new file in `directory`, named by the server or the URL. */
  readonly directory: string;
  /** The URL the response came from (after redirects): names the file when the server does not. */
  readonly url: URL;
  /** The progress bar's stream, or undefined for none (piped stderr, `--quiet`). */
  readonly progress: ProgressStream | undefined;
}

/** What was saved. */
export interface Saved {
  readonly path: string;
  readonly bytes: number;
  /** A line for stderr: `saved 27.2 MiB to report.pdf (3.4 MiB/s)`. */
  readonly summary: string;
}

/** Names tried after the first one exists (`name-1.ext` … `name-999.ext`). */
const MAX_NUMBERED = 999;

/**
 * Writes `response`'s body to a file, chunk by chunk (memory stays at one
 * chunk whatever the size), with a progress bar when asked. A name chosen
 * from the response never replaces a file: it is created new (O_EXCL, which
 * also refuses a symbolic link planted under that name), and if it exists
 * `-1`, `-2`… is added. A download cut short is removed and reported.
 *
 * @throws Error saying how much arrived, when the body ends early or cannot be written.
 * @example
 * ```ts
 * const saved = await saveBody(response, { file: undefined, directory: process.cwd(), url, progress: process.stderr });
 * ```
 */
export async function saveBody(response: Response, options: SaveOptions): Promise<Saved> {
  const { handle, path, chosen } = await target(response, options);
  const length = Number(response.headers.get("content-length") ?? Number.NaN);
  const progress =
    options.progress === undefined
      ? undefined
      : new Progress(options.progress, Number.isFinite(length) ? length : undefined);
  let bytes = 0;
  try {
    const reader = response.body?.getReader();
    for (let chunk = await reader?.read(); chunk !== undefined && !chunk.done; chunk = await reader?.read()) {
      await handle.write(chunk.value);
      bytes += chunk.value.length;
      progress?.add(chunk.value.length);
    }
  } catch (error) {
    progress?.finish();
    await handle.close();
    if (chosen) await rm(path, { force: true });
    const kept = chosen ? "nothing was kept" : `the ${formatBytes(bytes)} received are in ${path}`;
    throw new Error(`the download broke off after ${formatBytes(bytes)} (${(error as Error).message}); ${kept}`, {
      cause: error,
    });
  }
  await handle.close();
  progress?.finish();
  const rate = progress === undefined ? "" : ` (${formatBytes(Math.round(progress.rate()))}/s)`;
  return { path, bytes, summary: `saved ${formatBytes(bytes)} to ${path}${rate}` };
}

async function target(
  response: Response,
  options: SaveOptions,
): Promise<{ handle: FileHandle; path: string; chosen: boolean }> {
  if (options.file !== undefined) {
    return { handle: await open(options.file, "w"), path: options.file, chosen: false };
  }
  const name = downloadName(response, options.url);
  for (let number = 0; number <= MAX_NUMBERED; number++) {
    const path = number === 0 ? name : numbered(name, number);
    try {
      return { handle: await open(join(options.directory, path), "wx", 0o644), path, chosen: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  throw new Error(
    `${name} and ${numbered(name, 1)} to ${numbered(name, MAX_NUMBERED)} exist already; name the file with -o FILE`,
  );
}
