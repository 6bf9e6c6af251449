/**
 * Request timeouts without a timer per request. Every request with a timeout
 * of the same length joins one queue; since they all wait equally long, their
 * deadlines fall due in the order they joined, so one timer (for the oldest
 * live entry) serves the whole queue. Joining and leaving are O(1) amortised;
 * a request that finishes first leaves nothing behind but a flag until the
 * head passes it. The timer is unref'd: it never keeps a process alive. Times
 * are monotonic (performance.now()), so a wall-clock jump changes nothing.
 */

interface Entry {
  readonly at: number;
  /** Cleared when the request finishes, so a finished entry holds nothing. */
  controller: AbortController | undefined;
  readonly reason: unknown;
}

/** What {@link startDeadline} hands back: call it when the request is done. */
export type DeadlineRelease = () => void;

const queues = new Map<number, Queue>();

/** Aborts `controller` with `reason` once `ms` milliseconds have passed, unless released first. */
export function startDeadline(ms: number, controller: AbortController, reason: unknown): DeadlineRelease {
  let queue = queues.get(ms);
  if (queue === undefined) {
    queue = new Queue(ms);
    queues.set(ms, queue);
  }
  return queue.add(controller, reason);
}

class Queue {
  readonly #ms: number;
  #entries: Entry[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** True while the timer aborts: an abort may release its entry at once, and the walk must not be reshaped. */
  #firing = false;

  constructor(ms: number) {
    this.#ms = ms;
  }

  add(controller: AbortController, reason: unknown): DeadlineRelease {
    const entry: Entry = { at: performance.now() + this.#ms, controller, reason };
    this.#entries.push(entry);
    if (this.#timer === undefined) this.#schedule(entry.at);
    return () => {
      entry.controller = undefined;
      this.#trim();
    };
  }

  /** Drops finished entries from the head, and compacts once the dead prefix is most of the array. */
  #trim(): void {
    if (this.#firing) return;
    const entries = this.#entries;
    while (this.#head < entries.length && (entries[this.#head] as Entry).controller === undefined) this.#head++;
    if (this.#head === entries.length) {
      this.#entries = [];
      this.#head = 0;
      if (this.#timer !== undefined) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
      if (queues.get(this.#ms) === this) queues.delete(this.#ms);
    } else if (this.#head > 64 && this.#head * 2 > entries.length) {
      this.#entries = entries.slice(this.#head);
      this.#head = 0;
    }
  }

  #schedule(at: number): void {
    const timer = setTimeout(this.#fire, Math.max(0, at - performance.now()));
    (timer as { unref?: () => void }).unref?.();
    this.#timer = timer;
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    const entries = this.#entries;
    this.#firing = true;
    try {
      while (this.#head < entries.length) {
        const entry = entries[this.#head] as Entry;
        if (entry.controller !== undefined) {
          if (entry.at > now) break;
          const { controller } = entry;
          entry.controller = undefined;
          controller.abort(entry.reason);
        }
        this.#head++;
      }
    } finally {
      this.#firing = false;
    }
    this.#trim();
    const next = this.#entries[this.#head];
    if (next !== undefined && this.#timer === undefined) this.#schedule(next.at);
  };
}

/**
 * The caller's signal and the timeout's (if any) as one signal of this
 * request's own. `AbortSignal.any` holds the caller's signal weakly, so a
 * long-lived signal shared by many requests (an application's shutdown
 * signal) does not collect a listener per request.
 */
export function requestSignal(parent: AbortSignal, timeout: AbortSignal | undefined): AbortSignal {
  const signals = timeout === undefined ? [parent] : [parent, timeout];
  if (typeof AbortSignal.any === "function") return AbortSignal.any(signals);
  if (timeout === undefined) return parent; // nothing to combine, and no weak alternative
  const controller = new AbortController();
  const forward = (signal: AbortSignal) => () => controller.abort(signal.reason);
  for (const signal of signals) {
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener("abort", forward(signal), { once: true });
  }
  return controller.signal;
}
