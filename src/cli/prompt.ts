import { closeSync, openSync, writeSync } from "node:fs";
import { isatty, ReadStream } from "node:tty";
import { escapeControl } from "./safe-text.js";

/**
 * The user pressed Ctrl-C (or Ctrl-D on an empty line) at a prompt.
 *
 * @example
 * ```ts
 * try { await promptSecret("Password: "); } catch (error) { if (error instanceof PromptCancelled) process.exit(130); }
 * ```
 */
export class PromptCancelled extends Error {
  override readonly name = "PromptCancelled";
}

/** The part of `process.stdin` a prompt needs (a TTY read stream). */
export interface PromptInput {
  readonly isTTY?: boolean;
  readonly isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
  setEncoding(encoding: "utf8"): unknown;
  on(event: "data", listener: (chunk: string) => void): unknown;
  off(event: "data", listener: (chunk: string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

/** Where the question goes: stderr, so stdout keeps only the body. */
export interface PromptOutput {
  write(text: string): unknown;
}

/** True when a secret can be asked for on `input`: a terminal that can stop echoing. */
export function canPrompt(input: PromptInput = process.stdin): boolean {
  return input.isTTY === true && typeof input.setRawMode === "function";
}

/** The terminal a prompt talks to, and how to let go of it. */
export interface PromptTerminal {
  readonly input: PromptInput;
  readonly output: PromptOutput;
  close(): void;
}

/**
 * The controlling terminal, as curl and httpie use it: `/dev/tty`, whatever
 * stdin is (`… | authflow -a user -d @- URL` still asks), the question
 * written there too (stderr may be a file). Undefined when the process has
 * no terminal at all (cron, CI, `setsid`). On Windows, stdin and stderr when
 * stdin is a console.
 *
 * @example
 * ```ts
 * const terminal = openPromptTerminal();
 * try { if (terminal) await promptSecret("Password: ", terminal.input, terminal.output); } finally { terminal?.close(); }
 * ```
 */
export function openPromptTerminal(): PromptTerminal | undefined {
  if (process.platform === "win32") {
    return canPrompt(process.stdin) ? { input: process.stdin, output: process.stderr, close() {} } : undefined;
  }
  let descriptor: number;
  try {
    descriptor = openSync("/dev/tty", "r+");
  } catch {
    return undefined;
  }
  if (!isatty(descriptor)) {
    closeSync(descriptor);
    return undefined;
  }
  const input = new ReadStream(descriptor);
  return {
    input,
    output: { write: (text: string) => writeSync(descriptor, text) },
    // Closing the stream closes the descriptor: the process can exit.
    close: () => input.destroy(),
  };
}

/**
 * Asks for a secret on the terminal without echoing it: the terminal is put
 * in raw mode, so the typed characters are never shown (not even as `*`,
 * which would give away the length). Backspace and Ctrl-U edit; Enter ends.
 *
 * @throws PromptCancelled on Ctrl-C, or Ctrl-D on an empty line.
 * @example
 * ```ts
 * const password = await promptSecret("Password for alice: ");
 * ```
 */
export function promptSecret(
  question: string,
  input: PromptInput = process.stdin,
  output: PromptOutput = process.stderr,
): Promise<string> {
  if (!canPrompt(input)) return Promise.reject(new Error("cannot prompt: not a terminal"));
  return new Promise((resolve, reject) => {
    const wasRaw = input.isRaw === true;
    let answer: string[] = [];
    const finish = (error?: Error) => {
      input.off("data", onData);
      input.setRawMode?.(wasRaw);
      input.pause();
      output.write("\n");
      if (error === undefined) resolve(answer.join(""));
      else reject(error);
    };
    const onData = (chunk: string) => {
      // Arrow and function keys send an escape sequence in one chunk: not part of a secret.
      if (chunk.startsWith("\u001b")) return;
      for (const character of chunk) {
        const outcome = edit(answer, character);
        if (outcome === "done") return finish();
        if (outcome === "cancel") return finish(new PromptCancelled("cancelled at the prompt"));
        answer = outcome;
      }
    };
    // Echo off before the question shows: whatever is typed after seeing it stays hidden.
    input.setRawMode?.(true);
    // The question names a user the command line gave: shown, never acted on by the terminal.
    output.write(escapeControl(question));
    input.setEncoding("utf8");
    input.on("data", onData);
    input.resume();
  });
}

/** One key press: the answer so far after it, or whether the prompt ends. */
function edit(answer: string[], character: string): string[] | "done" | "cancel" {
  switch (character) {
    case "\r":
    case "\n":
      return "done";
    case "\u0003": // Ctrl-C
      return "cancel";
    case "\u0004": // Ctrl-D: end of input, as a shell does
      return answer.length === 0 ? "cancel" : "done";
    case "\u007f": // Backspace (DEL), and Ctrl-H
    case "\b":
      return answer.slice(0, -1);
    case "\u0015": // Ctrl-U: clear the line
      return [];
    default:
      // Other control characters are not part of a secret.
      return character < " " ? answer : [...answer, character];
  }
}
