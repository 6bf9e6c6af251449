/**
 * Pretty-printing JSON for a terminal. Works on the text, token by token, so
 * numbers and string escapes are shown exactly as the server sent them
 * (`JSON.parse` would round 12345678901234567890 and unescape `\u2028`).
 */

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
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  const paint = (kind: ValueKind, token: string) =>
    palette === null ? token : `${palette[kind]}${token}${palette.reset}`;
  const list = [...tokens(text)];
  const out: string[] = [];
  let depth = 0;
  const newline = () => `\n${"  ".repeat(depth)}`;
  for (let index = 0; index < list.length; index++) {
    const token = list[index] as Token;
    const next = list[index + 1];
    if (token.kind === "open" && next?.kind === "close") {
      out.push(token.text + next.text); // {} and [] stay on one line
      index++;
    } else if (token.kind === "open") {
      depth++;
      out.push(token.text, newline());
    } else if (token.kind === "close") {
      depth--;
      out.push(newline(), token.text);
    } else if (token.kind === "comma") {
      out.push(",", newline());
    } else if (token.kind === "colon") {
      out.push(": ");
    } else {
      out.push(paint(token.kind, token.text));
    }
  }
  return out.join("");
}

type ValueKind = "key" | "string" | "number" | "literal";
interface Token {
  readonly kind: "open" | "close" | "comma" | "colon" | ValueKind;
  /** The token exactly as in the input. */
  readonly text: string;
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
    yield { kind, text: text.slice(index, end) };
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
