import { shownHeaderValue } from "./credential-names.js";
import { escapeControl, escapeText } from "./safe-text.js";
import type { Scrubber } from "./scrub.js";
import type { SentRequest } from "./transport.js";

/** A stream the CLI writes to: `process.stdout` or `process.stderr` (or a test double). */
export interface OutputStream {
  readonly isTTY?: boolean;
  write(chunk: string | Uint8Array): boolean;
  once(event: "drain", listener: () => void): unknown;
}

/** Where output goes, and what the environment says about colours. */
export interface Terminal {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * `FORCE_COLOR` as Node reads it: `true` when set to anything but `0` or
 * `false` (colours even into a pipe: `… | less -R`), `false` for those two,
 * undefined when unset.
 *
 * @example
 * ```ts
 * forcedColour({ FORCE_COLOR: "1" }); // true
 * ```
 */
export function forcedColour(env: Terminal["env"]): boolean | undefined {
  const force = env.FORCE_COLOR;
  if (force === undefined) return undefined;
  return force !== "0" && force.toLowerCase() !== "false";
}

/**
 * Colours when `FORCE_COLOR` says so (it wins, as in Node); otherwise only
 * on a terminal, and never when `NO_COLOR` is set to anything but the empty
 * string (https://no-color.org) or `TERM` is `dumb`.
 *
 * @example
 * ```ts
 * if (colours(process.stdout, process.env)) write(paint.green("ok"));
 * ```
 */
export function colours(stream: OutputStream, env: Terminal["env"]): boolean {
  const forced = forcedColour(env);
  if (forced !== undefined) return forced;
  const noColor = env.NO_COLOR;
  return stream.isTTY === true && (noColor === undefined || noColor === "") && env.TERM !== "dumb";
}

const SGR = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;

/** `text` in an ANSI colour when `enabled`. */
export function paint(enabled: boolean, colour: keyof typeof SGR, text: string): string {
  return enabled ? `\u001b[${SGR[colour]}m${text}\u001b[0m` : text;
}

/**
 * stderr as the CLI writes to it: everything passes the {@link Scrubber}
 * (no secret, in any spelling; no credential in a URL's query), and every
 * control character is escaped (see safe-text.ts), on a terminal or not —
 * diagnostics end up on terminals later (`cat log`). The colours are the
 * CLI's own, added after the text they paint was made safe.
 *
 * @example
 * ```ts
 * const diagnostics = new Diagnostics(process.stderr, process.env, new Scrubber());
 * diagnostics.say(`authflow: error: ${error.message}`);
 * ```
 */
export class Diagnostics {
  /** Whether this stream gets colours. */
  readonly colour: boolean;

  constructor(
    private readonly stream: OutputStream,
    env: Terminal["env"],
    /** The secrets to keep out; the request command adds its own. */
    readonly scrubber: Scrubber,
  ) {
    this.colour = colours(stream, env);
  }

  /** A message that may quote the server or the user: scrubbed, escaped, line breaks kept. */
  say(text: string): void {
    this.stream.write(`${escapeText(this.scrubber.scrub(text))}\n`);
  }

  /** One field of a line (a reason phrase, a header, a path): scrubbed and escaped, ready to paint. */
  field(text: string): string {
    return escapeControl(this.scrubber.scrub(text));
  }

  /** `text` painted when this stream gets colours. */
  paint(colour: keyof typeof SGR, text: string): string {
    return paint(this.colour, colour, text);
  }

  /** Lines built from {@link field}s and {@link paint}: written as they are. */
  writeLines(lines: readonly string[]): void {
    this.stream.write(`${lines.join("\n")}\n`);
  }
}

/**
 * `200 OK`, the reason phrase made safe, coloured by class on a colour terminal.
 *
 * @example
 * ```ts
 * diagnostics.writeLines([statusLine(response, diagnostics)]); // "401 \x1b[32m200 OK" for a hostile reason
 * ```
 */
export function statusLine(response: Response, out: Diagnostics): string {
  const text = `${response.status} ${out.field(response.statusText)}`.trim();
  const colour = response.status < 300 ? "green" : response.status < 400 ? "yellow" : "red";
  return out.paint("bold", out.paint(colour, text));
}

/**
 * The lines `-v` prints for one request as it goes out: request line, host,
 * headers (credentials redacted, by name and by shape).
 *
 * @example
 * ```ts
 * requestLines(new Request("https://h/x", { headers: { authorization: "Basic dTpw" } }), diagnostics);
 * // ["> GET /x", "> host: h", "> authorization: Basic [redacted]", ">"]
 * ```
 */
export function requestLines(request: Request, out: Diagnostics): string[] {
  const url = new URL(request.url);
  const lines = [
    `> ${out.paint("bold", out.field(request.method))} ${out.field(`${url.pathname}${url.search}`)}`,
    `> ${header("host", url.host, out)}`,
  ];
  for (const [name, value] of request.headers) lines.push(`> ${header(name, value, out)}`);
  if (request.body !== null) lines.push(`> ${out.paint("dim", "(request body not shown)")}`);
  lines.push(">");
  return lines;
}

/**
 * The lines `-v` prints for one response: status line and headers (credentials redacted).
 *
 * @example
 * ```ts
 * diagnostics.writeLines(responseLines(response, diagnostics)); // "< 200 OK", "< set-cookie: [redacted]", "<"
 * ```
 */
export function responseLines(response: Response, out: Diagnostics): string[] {
  const lines = [`< ${statusLine(response, out)}`];
  for (const [name, value] of response.headers) lines.push(`< ${header(name, value, out)}`);
  lines.push("<");
  return lines;
}

/**
 * The lines `-v` prints for a request as it went on the wire: the request
 * line and every header undici wrote, in order (host, connection and the
 * framing line included), credentials redacted.
 *
 * @example
 * ```ts
 * diagnostics.writeLines(sentLines(sent, diagnostics)); // "> GET /x HTTP/1.1", "> host: h", …
 * ```
 */
export function sentLines(sent: SentRequest, out: Diagnostics): string[] {
  const [method = "", ...rest] = sent.requestLine.split(" ");
  const lines = [`> ${out.paint("bold", out.field(method))} ${out.field(rest.join(" "))}`];
  for (const [name, value] of sent.headers) lines.push(`> ${header(name, value, out)}`);
  if (hasBody(sent)) lines.push(`> ${out.paint("dim", "(request body not shown)")}`);
  lines.push(">");
  return lines;
}

/** True when the framing line says a body follows. */
export function hasBody(sent: SentRequest): boolean {
  return sent.headers.some(
    ([name, value]) => (name === "content-length" && value !== "0") || name === "transfer-encoding",
  );
}

function header(name: string, value: string, out: Diagnostics): string {
  return `${out.paint("cyan", out.field(name))}: ${out.field(shownHeaderValue(name, value))}`;
}
