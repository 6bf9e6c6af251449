// Runs the built CLI as a child process: piped, or in a pseudo-terminal
// (util-linux `script`) for the prompt and colours.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const cacheRoot = join(root, "node_modules", ".cache", "authflow-cli");
const BUILD_INPUTS = ["package.json", "tsconfig.base.json", "tsconfig.core.json", "tsconfig.node.json"];

/**
 * The path of `dist/cli/main.js` built from the current sources with the
 * project's own tsconfigs (the `npm run build` steps), into a cache keyed by
 * the sources' hash. It is not the repository's `dist/`: other tests rebuild
 * that one (`rm -rf dist`) while these run.
 */
export function builtCli(): string {
  // Once per test file: sources edited while the tests run do not trigger a rebuild midway.
  built ??= build();
  return built;
}

let built: string | undefined;

function build(): string {
  const directory = join(cacheRoot, sourceHash());
  const main = join(directory, "dist", "cli", "main.js");
  if (existsSync(main)) return main;
  mkdirSync(cacheRoot, { recursive: true });
  const staging = `${directory}.staging-${process.pid}-${Date.now()}`;
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  for (const project of ["tsconfig.core.json", "tsconfig.node.json"]) {
    try {
      execFileSync(process.execPath, [tsc, "-p", project, "--outDir", join(staging, "dist")], {
        cwd: root,
        stdio: "pipe",
      });
    } catch (error) {
      // Type errors elsewhere in the tree still emit; only a missing output is fatal (checked below).
      const output = String((error as { stdout?: unknown }).stdout ?? "");
      if (!existsSync(join(staging, "dist"))) throw new Error(`tsc -p ${project} failed:\n${output}`);
    }
  }
  if (!existsSync(join(staging, "dist", "cli", "main.js")))
    throw new Error("the build did not produce dist/cli/main.js");
  // package.json gives "type": "module" and the version; node_modules is found from the parent folders.
  copyFileSync(join(root, "package.json"), join(staging, "package.json"));
  try {
    renameSync(staging, directory);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another worker finished the same build first
  }
  pruneOldBuilds(directory);
  return main;
}

function sourceHash(): string {
  const hash = createHash("sha256");
  const files = [...BUILD_INPUTS, ...listFiles(join(root, "src")).map((file) => file.slice(root.length + 1))].sort();
  for (const file of files)
    hash
      .update(file)
      .update("\0")
      .update(readFileSync(join(root, file)))
      .update("\0");
  return hash.digest("hex").slice(0, 16);
}

function listFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    return entry.isDirectory() ? listFiles(path) : entry.name.endsWith(".ts") ? [path] : [];
  });
}

function pruneOldBuilds(keep: string): void {
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  for (const name of readdirSync(cacheRoot)) {
    const path = join(cacheRoot, name);
    if (path !== keep && statSync(path).mtimeMs < dayAgo) rmSync(path, { recursive: true, force: true });
  }
}

/** What a CLI run printed and how it ended. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: Buffer;
}

/** Variables the tests set themselves; inherited values would change the CLI's behaviour. */
const CLEARED = [
  "NO_COLOR",
  "FORCE_COLOR",
  "AUTHFLOW_PASSWORD",
  "NETRC",
  "AUTHFLOW_DEBUG",
  "TERM",
  "XDG_CACHE_HOME",
  "NODE_EXTRA_CA_CERTS",
  // The CLI reads the proxy variables by default, as curl does: a test sets the ones it means.
  "http_proxy",
  "HTTP_PROXY",
  "https_proxy",
  "HTTPS_PROXY",
  "all_proxy",
  "ALL_PROXY",
  "no_proxy",
  "NO_PROXY",
  "REQUEST_METHOD",
  "AUTHFLOW_PROXY_PASSWORD",
  "AUTHFLOW_KEY_PASSPHRASE",
];

export function environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CLEARED) delete env[name];
  return { ...env, ...extra };
}

/**
 * Runs `node dist/cli/main.js ...args` with pipes for stdin, stdout and stderr,
 * in a session of its own (`setsid`): no controlling terminal, so a prompt
 * can never reach the terminal the tests were started from.
 */
export function runCli(
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string; cwd?: string } = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, [builtCli(), ...args], {
    env: environment(options.env),
    stdio: "pipe",
    detached: true,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  child.stdin.end(options.input ?? "");
  return new Promise((resolvePromise, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      const bytes = Buffer.concat(stdout);
      resolvePromise({
        code,
        stdout: bytes.toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        stdoutBytes: bytes,
      });
    });
  });
}

/** What a run in a pseudo-terminal showed (stdout and stderr together, as on a screen). */
export interface TerminalResult {
  readonly code: number | null;
  /** The whole screen, or with `screenEnds` only its first and last bytes. */
  readonly screen: string;
  /** Bytes the screen received in all. */
  readonly screenBytes: number;
}

/** Options of {@link runInTerminal}. */
export interface TerminalOptions {
  readonly env?: Record<string, string>;
  readonly answer?: { after: string; text: string };
  /** Arguments for node itself, before the CLI's path (e.g. `--require` a preload). */
  readonly nodeArgs?: readonly string[];
  /** Keep only this many bytes at each end of the screen: for bodies too large to hold twice. */
  readonly screenEnds?: number;
  /** A file the CLI's stdin is redirected from (stdin is then not the terminal; /dev/tty still is). */
  readonly stdinFile?: string;
  /** The working directory. */
  readonly cwd?: string;
}

/**
 * Runs the CLI in a pseudo-terminal (`script -q -e -c … /dev/null`), so
 * stdin, stdout and stderr are all a TTY. When `answer` is given, its text and
 * Enter are typed once the screen shows `answer.after`.
 */
export function runInTerminal(args: readonly string[], options: TerminalOptions = {}): Promise<TerminalResult> {
  const words = [process.execPath, ...(options.nodeArgs ?? []), builtCli(), ...args].map(shellQuote).join(" ");
  const command = options.stdinFile === undefined ? words : `${words} < ${shellQuote(options.stdinFile)}`;
  const child = spawn("script", ["-q", "-e", "-c", command, "/dev/null"], {
    env: environment({ TERM: "xterm-256color", ...options.env }),
    stdio: "pipe",
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  let screen = "";
  let tail = Buffer.alloc(0);
  let screenBytes = 0;
  let answered = false;
  child.stdout.on("data", (chunk: Buffer) => {
    screenBytes += chunk.length;
    if (options.screenEnds !== undefined) {
      if (screen.length < options.screenEnds) screen += chunk.toString("utf8");
      tail = Buffer.concat([tail, chunk]).subarray(-options.screenEnds);
      return;
    }
    screen += chunk.toString("utf8");
    // Typed only once the prompt is up: the terminal no longer echoes by then.
    if (options.answer !== undefined && !answered && screen.includes(options.answer.after)) {
      answered = true;
      child.stdin.write(`${options.answer.text}\r`);
    }
  });
  return new Promise((resolvePromise, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      child.stdin.end();
      const shown = options.screenEnds === undefined ? screen : `${screen}\n…\n${tail.toString("utf8")}`;
      resolvePromise({ code, screen: shown, screenBytes });
    });
  });
}

/**
 * A `--require` preload for node that writes the process's peak resident
 * memory (VmHWM, in KiB) to `$AUTHFLOW_TEST_PEAK_FILE` as it exits. Linux only:
 * undefined where /proc/self/status does not exist.
 */
export function peakMemoryPreload(directory: string): string | undefined {
  if (!existsSync("/proc/self/status")) return undefined;
  const path = join(directory, "peak-memory.cjs");
  writeFileSync(
    path,
    `process.on("exit", () => {
  const fs = require("node:fs");
  const peak = /VmHWM:\\s+(\\d+)/.exec(fs.readFileSync("/proc/self/status", "utf8"));
  if (peak && process.env.AUTHFLOW_TEST_PEAK_FILE) fs.writeFileSync(process.env.AUTHFLOW_TEST_PEAK_FILE, peak[1]);
});
`,
  );
  return path;
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, "'\\''")}'`;
}

/** True when the `script` command (util-linux) is installed. */
export function hasScript(): boolean {
  try {
    execFileSync("script", ["--version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}
