/**
 * Pretty-printing JSON for a terminal. Works on the text, token by token, so
 * numbers and string escapes are shown exactly as the server sent them
 * (`JSON.parse` would round 12345678901234567890 and unescape `\u2028`).
 */
import { escapeControl, escapeText } from "./safe-text.js";

/** ANSI colours for each kind of JSON token; `null` prints without colour. */
export interface JsonPalette {
  readonly key: string;
  readonly string: string;
  readonly number: string;
  readonly literal: string;
  readonly reset: string;
}

/** The palette used on a colour terminal (httpie-like). */
export const ANSI_PALETTE: JsonPalette = {
  key: "\u001b[34;1m",
  string: "\u001b[32m",
  number: "\u001b[36m",
  literal: "\u001b[33m",
  reset: "\u001b[0m",
};

/**
 * `text` indented by two spaces and, with a palette, coloured; `undefined`
 * when `text` is not JSON.
 *
 * @example
 * ```ts
 * formatJson('{"a":[1,2],"b":{}}', null);
 * // '{\n  "a": [\n    1,\n    2\n  ],\n  "b": {}\n}'
 * ```
 */
export function formatJson(text: string, palette: JsonPalette | null): string | undefined {
  const pieces = prettyJson(text, palette);
  return pieces === undefined ? undefined : [...pieces].join("");
}

/**
 * As {@link formatJson}, piece by piece, so a caller can write as it goes
 * without holding the whole output (nor a list of every token). Strings and
 * keys have their control characters escaped for the terminal: JSON allows
 * DEL, C1 controls and bidi overrides raw inside a string.
 *
 * @example
 * ```ts
 * for (const piece of prettyJson(text, ANSI_PALETTE) ?? [text]) process.stdout.write(piece);
 * ```
 */
export function prettyJson(text: string, palette: JsonPalette | null): Iterable<string> | undefined {
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  return pieces(text, palette);
}

function* pieces(text: string, palette: JsonPalette | null): Generator<string> {
  const paint = (kind: ValueKind, token: string) =>
    palette === null ? escapeControl(token) : `${palette[kind]}${escapeControl(token)}${palette.reset}`;
  let depth = 0;
  const newline = () => `\n${"  ".repeat(depth)}`;
  // An opening bracket waits for the next token: {} and [] stay on one line.
  let open: Token | undefined;
  for (const token of tokens(text)) {
    if (open !== undefined) {
      const waiting = open;
      open = undefined;
      if (token.kind === "close") {
        yield waiting.text + token.text;
        continue;
      }
      depth++;
      yield waiting.text + newline();
    }
    if (token.kind === "open") open = token;
    else if (token.kind === "close") {
      depth--;
      yield newline() + token.text;
    } else if (token.kind === "comma") yield `,${newline()}`;
    else if (token.kind === "colon") yield ": ";
    else yield paint(token.kind, token.text);
  }
}

/**
 * As {@link prettyJson}, but coloured only: the text keeps its own layout
 * (`--pretty=colors`). Undefined when `text` is not JSON.
 *
 * @example
 * ```ts
 * [...(colourJson('{"a": 1}', ANSI_PALETTE) ?? [])].join(""); // '{"a"…: …1…}' with colours, spacing kept
 * ```
 */
export function colourJson(text: string, palette: JsonPalette): Iterable<string> | undefined {
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  return colouredPieces(text, palette);
}

function* colouredPieces(text: string, palette: JsonPalette): Generator<string> {
  let end = 0;
  for (const token of tokens(text)) {
    // JSON's white space as written; a lone CR (which would move back over the line) escaped.
    yield escapeText(text.slice(end, token.start));
    end = token.start + token.text.length;
    const structural =
      token.kind === "open" || token.kind === "close" || token.kind === "comma" || token.kind === "colon";
    yield structural ? token.text : `${palette[token.kind as ValueKind]}${escapeControl(token.text)}${palette.reset}`;
  }
  yield escapeText(text.slice(end));
}

type ValueKind = "key" | "string" | "number" | "literal";
interface Token {
  readonly kind: "open" | "close" | "comma" | "colon" | ValueKind;
  /** The token exactly as in the input. */
  readonly text: string;
  /** Where it starts in the input. */
  readonly start: number;
}

/** The tokens of valid JSON text, white space dropped; a string followed by `:` is a key. */
function* tokens(text: string): Generator<Token> {
  let index = skipSpace(text, 0);
  while (index < text.length) {
    const character = text[index] as string;
    let end = index + 1;
    let kind: Token["kind"];
    if (character === "{" || character === "[") kind = "open";
    else if (character === "}" || character === "]") kind = "close";
    else if (character === ",") kind = "comma";
    else if (character === ":") kind = "colon";
    else if (character === '"') {
      end = stringEnd(text, index);
      kind = text[skipSpace(text, end)] === ":" ? "key" : "string";
    } else {
      end = scalarEnd(text, index);
      kind = /^[-\d]/.test(text.slice(index, end)) ? "number" : "literal";
    }
    yield { kind, text: text.slice(index, end), start: index };
    index = skipSpace(text, end);
  }
}

/** JSON white space (RFC 8259 §2): space, tab, LF, CR. */
function skipSpace(text: string, index: number): number {
  let position = index;
  while (position < text.length && " \t\n\r".includes(text[position] as string)) position++;
  return position;
}

/** The index after the closing quote of the string starting at `start` (already validated by JSON.parse). */
function stringEnd(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length && text[index] !== '"') index += text[index] === "\\" ? 2 : 1;
  return index + 1;
}

/** The index after a number, `true`, `false` or `null`. */
function scalarEnd(text: string, start: number): number {
  let index = start;
  while (index < text.length && !' \t\n\r,:]}"'.includes(text[index] as string)) index++;
  return index;
}
