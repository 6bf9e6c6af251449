#!/usr/bin/env node
// The `authflow` command: requests with every scheme, `serve` and `demo`.
import { AuthflowError, NetworkError } from "../index.js";
import { parseCommand } from "./args.js";
import { Diagnostics } from "./output.js";
import { PromptCancelled } from "./prompt.js";
import { runRequest } from "./request.js";
import { escapeText } from "./safe-text.js";
import { Scrubber } from "./scrub.js";
import { HELP, SERVE_HELP, SHORT_USAGE, UsageError } from "./usage.js";
import { version } from "./version.js";

/**
 * Runs the CLI on `argv` (without `node` and the script) and returns the exit
 * status: 0 done, 1 failure, 2 usage error, 3–5 for `--check-status`, 130
 * when a prompt was cancelled.
 *
 * @example
 * ```ts
 * process.exitCode = await main(["GET", "https://httpbin.org/basic-auth/u/p", "-a", "u"]);
 * ```
 */
async function main(argv: readonly string[]): Promise<number> {
  const diagnostics = new Diagnostics(process.stderr, process.env, new Scrubber());
  const verbose = argv.includes("-v") || argv.includes("--verbose");
  // Lines of the CLI's own (help, version, the demo's report, which may quote an error): escaped, never raw.
  const print = (line: string) => process.stdout.write(`${escapeText(line)}\n`);
  try {
    const command = parseCommand(argv);
    switch (command.command) {
      case "help":
        print(command.topic === "serve" ? SERVE_HELP : HELP);
        return 0;
      case "version":
        print(await version());
        return 0;
      // The test server is loaded only for the commands that run it: requests start faster.
      case "demo": {
        const { runDemo } = await import("./demo.js");
        return (await runDemo({ out: print })) ? 0 : 1;
      }
      case "serve": {
        const { runServe } = await import("./serve.js");
        return await runServe(command, { stdout: process.stdout, stderr: process.stderr });
      }
      case "request":
        return await runRequest(
          command,
          {
            stdin: process.stdin,
            stdout: process.stdout,
            stderr: process.stderr,
            env: process.env,
            version: await version(),
          },
          diagnostics,
        );
    }
  } catch (error) {
    return report(error, verbose, diagnostics);
  }
}

/** One clear line on stderr (the stack too with -v), and the exit status for it. */
function report(error: unknown, verbose: boolean, diagnostics: Diagnostics): number {
  // Error messages can quote the server (a reason, an error_description): Diagnostics escapes and scrubs them.
  const say = (text: string) => diagnostics.say(text);
  if (error instanceof UsageError) {
    say(`authflow: ${error.message}\n${SHORT_USAGE}`);
    return 2;
  }
  if (error instanceof PromptCancelled) return 130;
  say(`authflow: error: ${inFlagWords(describe(error))}`);
  if (verbose) {
    for (let current: unknown = error; current instanceof Error; current = current.cause) {
      say(current === error ? String(current.stack) : `caused by: ${String(current.stack)}`);
    }
  }
  return 1;
}

/** What went wrong, in one line: the error's own words and, for a network failure, the cause's. */
function describe(error: unknown): string {
  if (error instanceof NetworkError) {
    const cause = (error.cause as Error | undefined)?.cause as { code?: unknown; message?: unknown } | undefined;
    return `the request failed: ${String(cause?.message ?? cause?.code ?? error.message)}`;
  }
  if (error instanceof AuthflowError) {
    const hint =
      error.code === "ERR_INSECURE_TRANSPORT" && !error.message.includes("allowInsecureAuth")
        ? " [authflow: --insecure-auth]"
        : "";
    return `${error.message}${hint} (${error.name})`;
  }
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  if (error.message === "fetch failed" && cause !== undefined) {
    return `the request failed: ${String(cause.message ?? cause.code ?? "network error")}`;
  }
  return error.message;
}

// The library's option names, as the flags the user typed.
const FLAG_WORDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/`timeout`/g, "--timeout"],
  [/\bmaxRedirects\b/g, "--max-redirects"],
  [/\bset allowInsecureAuth: true\b/g, "pass --insecure-auth"],
  [/\ballowInsecureAuth(: true)?/g, "--insecure-auth"],
];

/** `message` with library option names replaced by the CLI flags that set them. */
function inFlagWords(message: string): string {
  return FLAG_WORDS.reduce((text, [pattern, flag]) => text.replace(pattern, flag), message);
}

// A reader that closed the pipe (`authflow … | head`) is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
