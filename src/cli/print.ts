/**
 * What `--print` (`-p`), `-i` and `-I` put on stdout besides the body: the
 * request as sent (`H`; its credentials redacted, as in `-v`: these are the
 * CLI's own) and the response's status line and headers (`h`; the server's,
 * as received, like the body). On a terminal, or with `--pretty`/`FORCE_COLOR`,
 * every field is escaped (safe-text.ts) and coloured when colours are on.
 */
import { shownHeaderValue } from "./credential-names.js";
import { paint } from "./output.js";
import { escapeControl } from "./safe-text.js";
import type { Scrubber } from "./scrub.js";
import type { SentRequest } from "./transport.js";

/** How header blocks are written: escaped (a terminal, or forced) and coloured, or as they are. */
export interface BlockStyle {
  readonly escape: boolean;
  readonly colour: boolean;
}

/**
 * The request line and headers as sent, then an empty line.
 *
 * @example
 * ```ts
 * stdout.write(requestBlock(sent, scrubber, { escape: true, colour: false }));
 * // "GET /x HTTP/1.1\nhost: h\nauthorization: Basic [redacted]\n\n"
 * ```
 */
export function requestBlock(sent: SentRequest, scrubber: Scrubber, style: BlockStyle): string {
  const field = (text: string) => {
    const scrubbed = scrubber.scrub(text);
    return style.escape ? escapeControl(scrubbed) : scrubbed.replace(/[\r\n]/g, " ");
  };
  const [method = "", ...rest] = sent.requestLine.split(" ");
  const lines = [`${paint(style.colour, "bold", field(method))} ${field(rest.join(" "))}`];
  for (const [name, value] of sent.headers) {
    lines.push(`${paint(style.colour, "cyan", field(name))}: ${field(shownHeaderValue(name, value))}`);
  }
  return `${lines.join("\n")}\n\n`;
}

/**
 * `HTTP/1.1 200 OK` and the response headers as received, then an empty line.
 *
 * @example
 * ```ts
 * stdout.write(responseBlock(response, { escape: false, colour: false })); // "HTTP/1.1 200 OK\ncontent-type: …\n\n"
 * ```
 */
export function responseBlock(response: Response, style: BlockStyle): string {
  const field = (text: string) => (style.escape ? escapeControl(text) : text);
  const colour = response.status < 300 ? "green" : response.status < 400 ? "yellow" : "red";
  const status = `${response.status} ${field(response.statusText)}`.trim();
  const lines = [`HTTP/1.1 ${paint(style.colour, "bold", paint(style.colour, colour, status))}`];
  for (const [name, value] of response.headers)
    lines.push(`${paint(style.colour, "cyan", field(name))}: ${field(value)}`);
  return `${lines.join("\n")}\n\n`;
}
