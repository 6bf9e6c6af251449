#!/usr/bin/env node
// The `authflow` command: requests with every scheme, `serve`, `session` and `demo`.
import { type HelpTopic, parseCommand } from "./args.js";
import { describeError, EXIT, exitNote, exitStatus } from "./exit.js";
import { Diagnostics } from "./output.js";
import { runRequest } from "./request.js";
import { escapeText } from "./safe-text.js";
import { Scrubber } from "./scrub.js";
import { DEMO_HELP, HELP, SERVE_HELP, SESSION_HELP, SHORT_USAGE, UsageError } from "./usage.js";
import { version } from "./version.js";

const HELP_TEXTS: Readonly<Record<HelpTopic, string>> = {
  request: HELP,
  serve: SERVE_HELP,
  session: SESSION_HELP,
  demo: DEMO_HELP,
};

/**
 * Runs the CLI on `argv` (without `node` and the script) and returns the exit
 * status: 0 done, 1 failure, 2 usage error, 3–5 for `--check-status`, 9 a
 * refused resource discovery, 28 a timeout, 35 a TLS failure, 56 a proxy's
 * refused tunnel, 130 when a prompt was cancelled.
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
        print(HELP_TEXTS[command.topic ?? "request"]);
        return EXIT.ok;
      case "version":
        print(await version());
        return EXIT.ok;
      // The test server is loaded only for the commands that run it: requests start faster.
      case "demo": {
        const { runDemo } = await import("./demo.js");
        return (await runDemo({ out: print })) ? EXIT.ok : EXIT.failure;
      }
      case "serve": {
        const { runServe } = await import("./serve.js");
        return await runServe(command, { stdout: process.stdout, stderr: process.stderr });
      }
      case "session": {
        const { runSession } = await import("./session-command.js");
        return await runSession(command, { stdout: process.stdout, stderr: process.stderr, env: process.env });
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
  const status = exitStatus(error);
  if (error instanceof UsageError) {
    say(`authflow: ${error.message}\n${SHORT_USAGE}`);
    return status;
  }
  if (status === EXIT.cancelled) return status;
  say(`authflow: error: ${describeError(error)}${exitNote(status)}`);
  if (verbose) {
    for (let current: unknown = error; current instanceof Error; current = current.cause) {
      say(current === error ? String(current.stack) : `caused by: ${String(current.stack)}`);
    }
  }
  return status;
}

// A reader that closed the pipe (`authflow … | head`) is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
