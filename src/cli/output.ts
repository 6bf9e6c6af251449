import { once } from "node:events";
import { ANSI_PALETTE, formatJson } from "./json-format.js";

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
 * Colours only on a terminal, and never when `NO_COLOR` is set to anything
 * but the empty string (https://no-color.org) or `TERM` is `dumb`.
 *
 * @example
 * ```ts
 * if (colours(process.stdout, process.env)) write(paint.green("ok"));
 * ```
 */
export function colours(stream: OutputStream, env: Terminal["env"]): boolean {
  const noColor = env.NO_COLOR;
  return stream.isTTY === true && (noColor === undefined || noColor === "") && env.TERM !== "dumb";
}

const SGR = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;

/** `text` in an ANSI colour when `enabled`. */
export function paint(enabled: boolean, colour: keyof typeof SGR, text: string): string {
  return enabled ? `\u001b[${SGR[colour]}m${text}\u001b[0m` : text;
}

/** `200 OK`, coloured by class on a colour terminal. */
export function statusLine(response: Response, enabled: boolean): string {
  const text = `${response.status} ${response.statusText}`.trim();
  const colour = response.status < 300 ? "green" : response.status < 400 ? "yellow" : "red";
  return paint(enabled, "bold", paint(enabled, colour, text));
}

// Header names whose values are secrets in any request or response.
const SECRET_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "cookie2",
  "set-cookie",
  "set-cookie2",
  "x-api-key",
  "api-key",
  "x-auth-token",
]);

/**
 * True for a header name whose value is a secret, by name: the usual ones,
 * and any name that says token, secret, password, key or session.
 *
 * @example
 * ```ts
 * isSecretHeader("X-Vault-Token"); // true
 * ```
 */
export function isSecretHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_HEADERS.has(lower) || /token|secret|passw|api-?key|session|credential/.test(lower);
}

/** What `-v` shows of a header value: the scheme of an `Authorization`, never its credentials. */
export function shownHeaderValue(name: string, value: string): string {
  if (!isSecretHeader(name)) return value;
  if (/authorization$/i.test(name)) {
    const scheme = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/.exec(value)?.[0];
    return scheme === undefined ? "[redacted]" : `${scheme} [redacted]`;
  }
  return "[redacted]";
}

/**
 * The lines `-v` prints for one request as it goes out: request line, host,
 * headers (secrets redacted).
 *
 * @example
 * ```ts
 * requestLines(new Request("https://h/x", { headers: { authorization: "Basic dTpw" } }), false);
 * // ["> GET /x", "> host: h", "> authorization: Basic [redacted]", ">"]
 * ```
 */
export function requestLines(request: Request, enabled: boolean): string[] {
  const url = new URL(request.url);
  const lines = [
    `> ${paint(enabled, "bold", request.method)} ${url.pathname}${url.search}`,
    `> ${header("host", url.host, enabled)}`,
  ];
  for (const [name, value] of request.headers) lines.push(`> ${header(name, shownHeaderValue(name, value), enabled)}`);
  if (request.body !== null) lines.push(`> ${paint(enabled, "dim", "(request body not shown)")}`);
  lines.push(">");
  return lines;
}

/** The lines `-v` prints for one response: status line and headers (secrets redacted). */
export function responseLines(response: Response, enabled: boolean): string[] {
  const lines = [`< ${statusLine(response, enabled)}`];
  for (const [name, value] of response.headers) lines.push(`< ${header(name, shownHeaderValue(name, value), enabled)}`);
  lines.push("<");
  return lines;
}

function header(name: string, value: string, enabled: boolean): string {
  return `${paint(enabled, "cyan", name)}: ${value}`;
}

/**
 * Writes the response body to stdout: the raw bytes when stdout is not a
 * terminal (pipes and files get exactly what the server sent); on a terminal,
 * JSON pretty-printed (and coloured unless `NO_COLOR`), text as it is, and a
 * note on stderr instead of binary data.
 *
 * @example
 * ```ts
 * await writeBody(response, { stdout: process.stdout, stderr: process.stderr, env: process.env });
 * ```
 */
export async function writeBody(response: Response, terminal: Terminal): Promise<void> {
  const { stdout } = terminal;
  if (stdout.isTTY !== true) {
    if (response.body === null) return;
    const reader = response.body.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      if (!stdout.write(chunk.value)) await once(stdout as unknown as NodeJS.EventEmitter, "drain");
    }
    return;
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length === 0) return;
  if (bytes.includes(0)) {
    terminal.stderr.write(`(binary body of ${bytes.length} bytes not shown on a terminal; pipe it to a file)\n`);
    return;
  }
  const text = new TextDecoder().decode(bytes);
  const contentType = response.headers.get("content-type") ?? "";
  const looksJson = /json/i.test(contentType) || /^\s*[[{]/.test(text);
  const pretty = looksJson ? formatJson(text, colours(stdout, terminal.env) ? ANSI_PALETTE : null) : undefined;
  const shown = pretty ?? text;
  stdout.write(shown.endsWith("\n") ? shown : `${shown}\n`);
}
