import type { OutputOptions } from "./args-output.js";
import { type BodyStyle, writeBody } from "./body.js";
import { saveBody } from "./download.js";
import { colours, type Diagnostics, forcedColour, statusLine, type Terminal } from "./output.js";
import { requestBlock, responseBlock } from "./print.js";
import type { ProgressStream } from "./progress.js";
import type { SentRequest } from "./transport.js";

/** What the output needs to know about the exchange. */
export interface Exchange {
  readonly response: Response;
  /** The last request of the chain as sent (after redirects and auth round trips). */
  readonly sent: SentRequest | undefined;
  /** What `--print B` shows of the request body. */
  readonly requestBody: string | undefined;
  readonly url: URL;
}

/** The terminal, with stderr's width for the progress bar. */
export interface OutputTerminal extends Terminal {
  readonly stderr: Terminal["stderr"] & { readonly columns?: number };
}

/**
 * The body's style on stdout (`--pretty`, `FORCE_COLOR`, `NO_COLOR`): on a
 * terminal or forced, JSON formatted and coloured and text escaped; piped,
 * the bytes as received.
 *
 * @example
 * ```ts
 * bodyStyle(terminal, undefined); // { escape: true, format: true, colour: true } on a colour terminal
 * ```
 */
export function bodyStyle(terminal: Terminal, pretty: OutputOptions["pretty"]): BodyStyle {
  const display = terminal.stdout.isTTY === true || forcedColour(terminal.env) === true;
  const chosen = pretty ?? (display ? "all" : "none");
  const wantsColour = chosen === "all" || chosen === "colors";
  return {
    // A terminal always gets escaped text, whatever --pretty says.
    escape: chosen !== "none" || terminal.stdout.isTTY === true,
    format: chosen === "all" || chosen === "format",
    colour: wantsColour && (pretty !== undefined || colours(terminal.stdout, terminal.env)),
  };
}

/**
 * Writes what the command asked for: `--print`'s blocks on stdout, or the
 * status line on stderr (not with `-q` or `-v`, whose log has it); then the
 * body to stdout or to a file (with a progress bar on a terminal).
 *
 * @example
 * ```ts
 * await writeExchange(exchange, command.output, terminal, diagnostics, { verbose: false, save: false });
 * ```
 */
export async function writeExchange(
  exchange: Exchange,
  output: OutputOptions,
  terminal: OutputTerminal,
  out: Diagnostics,
  options: { readonly verbose: boolean; readonly save: boolean },
): Promise<void> {
  const style = bodyStyle(terminal, output.pretty);
  const block = { escape: style.escape, colour: style.colour };
  const { print } = output;
  const write = (text: string) => terminal.stdout.write(text);
  if (print === undefined && !output.quiet && !options.verbose) out.writeLines([statusLine(exchange.response, out)]);
  if (print?.requestHeaders === true && exchange.sent !== undefined) {
    write(requestBlock(exchange.sent, out.scrubber, block));
  }
  if (print?.requestBody === true && exchange.requestBody !== undefined) write(`${exchange.requestBody}\n\n`);
  if (print?.responseHeaders === true) write(responseBlock(exchange.response, block));
  if (options.save) {
    const progress = terminal.stderr.isTTY === true && !output.quiet ? (terminal.stderr as ProgressStream) : undefined;
    const saved = await saveBody(exchange.response, {
      file: output.file,
      directory: process.cwd(),
      url: exchange.url,
      progress,
    });
    if (!output.quiet) out.say(`authflow: ${saved.summary}`);
    return;
  }
  if (print === undefined || print.responseBody) {
    const note = (text: string) => {
      if (!output.quiet) out.say(text);
    };
    await writeBody(exchange.response, terminal, note, style);
  } else await exchange.response.body?.cancel();
}
