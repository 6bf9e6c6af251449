/**
 * Runs one sample as its own process (a process group, so a shell block's children go with it), with
 * a time limit: a sample that leaves a server, a timer or an Agent open fails instead of lingering.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { root } from "./package.js";

/** The network guard every sample process preloads. */
export const OFFLINE = join(root, "test", "docs", "offline.mjs");

/** How a sample process ended. */
export interface Outcome {
  /** The exit status, or null when it was killed. */
  readonly status: number | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** What to run, where, and for how long. */
export interface RunOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
}

const MAX_OUTPUT = 64 * 1024;

/**
 * Runs `command` with `args` and resolves with how it ended; never rejects for the sample's own failure.
 *
 * @example
 * ```ts
 * const outcome = await runProcess(process.execPath, ["out/README.md-42.js"], { cwd, env, timeoutMs: 20_000 });
 * ```
 */
export function runProcess(command: string, args: readonly string[], options: RunOptions): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += chunk;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (status) => {
      clearTimeout(timer);
      // Whatever the sample left behind in its group (a backgrounded server) goes with it.
      killGroup(child.pid);
      resolve({ status, timedOut, stdout, stderr });
    });
  });
}

/** SIGKILL to the group this runner started (its leader's pid); gone already is fine. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // the group has already exited
  }
}

/**
 * A failed run, for the test's message: why, then the end of its output.
 *
 * @example
 * ```ts
 * if (outcome.status !== 0) throw new Error(explain(outcome, 20_000));
 * ```
 */
export function explain(outcome: Outcome, timeoutMs: number): string {
  const why = outcome.timedOut
    ? `still running after ${timeoutMs / 1000} s (killed): something is left open — close servers, Agents and stores`
    : `exited with status ${outcome.status}`;
  const tail = (text: string) => text.trim().split("\n").slice(-25).join("\n");
  return [
    why,
    outcome.stderr && `stderr:\n${tail(outcome.stderr)}`,
    outcome.stdout && `stdout:\n${tail(outcome.stdout)}`,
  ]
    .filter(Boolean)
    .join("\n");
}
