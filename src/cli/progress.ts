/**
 * The download progress bar on stderr (a terminal only): percentage and bar
 * when the size is known, bytes so far, rate, and time left; redrawn in place
 * at most ten times a second, then replaced by one summary line.
 */

/** Where the bar is drawn. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly columns?: number;
}

const REDRAW_MS = 100;
const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/**
 * `bytes` for people: `512 B`, `1.5 KiB`, `27.2 MiB`.
 *
 * @example
 * ```ts
 * formatBytes(28_521_267); // "27.2 MiB"
 * ```
 */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** `m:ss` (or `h:mm:ss`). */
function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

/**
 * One download's progress bar.
 *
 * @example
 * ```ts
 * const progress = new Progress(process.stderr, 28_521_267);
 * for await (const chunk of body) progress.add(chunk.length);
 * progress.finish("report.pdf");
 * ```
 */
export class Progress {
  readonly #started: number;
  #received = 0;
  #drawn = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly stream: ProgressStream,
    private readonly total: number | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#started = now();
  }

  /** Counts `bytes` more, and redraws if the last drawing is old enough. */
  add(bytes: number): void {
    this.#received += bytes;
    const now = this.now();
    if (now - this.#drawn < REDRAW_MS) return;
    this.#drawn = now;
    this.stream.write(`\r${this.line(now)}\u001b[K`);
  }

  /** Clears the bar; the caller prints the summary. */
  finish(): void {
    if (this.#drawn !== Number.NEGATIVE_INFINITY) this.stream.write("\r\u001b[K");
  }

  /** Bytes per second so far. */
  rate(now = this.now()): number {
    const seconds = Math.max((now - this.#started) / 1000, 0.001);
    return this.#received / seconds;
  }

  /** The bar's text: `  45% [#########-----------]  12.3 MiB / 27.2 MiB  3.4 MiB/s  ETA 0:04`. */
  line(now = this.now()): string {
    const rate = this.rate(now);
    const speed = `${formatBytes(Math.round(rate))}/s`;
    if (this.total === undefined || this.total === 0) return `  ${formatBytes(this.#received)}  ${speed}`;
    const fraction = Math.min(1, this.#received / this.total);
    const left = rate > 0 ? (this.total - this.#received) / rate : 0;
    const tail = `  ${formatBytes(this.#received)} / ${formatBytes(this.total)}  ${speed}  ETA ${formatDuration(left)}`;
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - tail.length - 10));
    const filled = Math.round(fraction * width);
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    return `${percent} [${"#".repeat(filled)}${"-".repeat(width - filled)}]${tail}`;
  }
}

export { formatDuration };
