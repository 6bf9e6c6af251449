#!/usr/bin/env node
// The `authflow` command: requests with every scheme, `serve` and `demo`.
import { AuthflowError, NetworkError } from "../index.js";
import { parseCommand } from "./args.js";
import { PromptCancelled } from "./prompt.js";
import { runRequest } from "./request.js";
import { Scrubber } from "./scrub.js";
import { HELP, SHORT_USAGE, UsageError } from "./usage.js";
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
  const scrubber = new Scrubber();
  const verbose = argv.includes("-v") || argv.includes("--verbose");
  const print = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const command = parseCommand(argv);
    switch (command.command) {
      case "help":
        print(HELP);
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
        return await runServe(command, { stdout: process.stdout });
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
          scrubber,
        );
    }
  } catch (error) {
    return report(error, verbose, scrubber);
  }
}

/** One clear line on stderr (the stack too with -v), and the exit status for it. */
function report(error: unknown, verbose: boolean, scrubber: Scrubber): number {
  const say = (text: string) => process.stderr.write(`${scrubber.scrub(text)}\n`);
  if (error instanceof UsageError) {
    say(`authflow: ${error.message}\n${SHORT_USAGE}`);
    return 2;
  }
  if (error instanceof PromptCancelled) return 130;
  say(`authflow: error: ${describe(error)}`);
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
    const hint = error.code === "ERR_INSECURE_TRANSPORT" ? " [authflow: --insecure-auth]" : "";
    return `${error.message}${hint} (${error.name})`;
  }
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  if (error.message === "fetch failed" && cause !== undefined) {
    return `the request failed: ${String(cause.message ?? cause.code ?? "network error")}`;
  }
  return error.message;
}

// A reader that closed the pipe (`authflow … | head`) is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
