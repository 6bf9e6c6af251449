/**
 * Text from the server (status, headers, bodies, error messages that quote
 * it) made safe for a terminal: every character a terminal would act on
 * instead of showing — C0 controls, DEL, the C1 controls U+0080–U+009F (8-bit
 * CSI, OSC…) and the bidi overrides and isolates U+202A–U+202E, U+2066–U+2069
 * that reorder what follows — is shown as a visible escape (`\x1b`, `\u202e`).
 * A status line cannot be redrawn as a green "200 OK", nor a window retitled.
 */

/**
 * True for a code unit a terminal would act on rather than show.
 *
 * @example
 * ```ts
 * isUnsafeCharacter(0x9b); // true: the 8-bit CSI
 * ```
 */
export function isUnsafeCharacter(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/** `\x1b` for a code unit up to 0xff, `\u202e` above. */
function shown(code: number): string {
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * `text` for one line of a terminal: every unsafe character escaped, line
 * breaks and tabs included. For status lines, header names and values, URLs.
 *
 * @example
 * ```ts
 * escapeControl("OK\u001b]0;pwned\u0007"); // "OK\\x1b]0;pwned\\x07"
 * ```
 */
export function escapeControl(text: string): string {
  return escapeWith(text, () => false);
}

/**
 * `text` for a terminal, lines kept: as {@link escapeControl}, but a line
 * feed, a tab and the CR of a CRLF stay as they are (a lone CR would move the
 * cursor back over the line and is escaped). For messages and text bodies.
 *
 * @example
 * ```ts
 * escapeText("a\r\nb\rc\u001b[2J"); // "a\r\nb\\x0dc\\x1b[2J"
 * ```
 */
export function escapeText(text: string): string {
  return escapeWith(text, (index) => keptInText(text, index));
}

function keptInText(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return code === 0x0a || code === 0x09 || (code === 0x0d && text.charCodeAt(index + 1) === 0x0a);
}

/** Escapes the unsafe characters of `text` that `keep` does not spare, copying safe runs whole. */
function escapeWith(text: string, keep: (index: number) => boolean): string {
  let result = "";
  let from = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (!isUnsafeCharacter(code) || keep(index)) continue;
    result += text.slice(from, index) + shown(code);
    from = index + 1;
  }
  return from === 0 ? text : result + text.slice(from);
}

/**
 * A body streamed to a terminal chunk by chunk, made safe as
 * {@link escapeText} makes text: UTF-8 split across chunks is decoded whole
 * (TextDecoder's stream mode; invalid bytes become U+FFFD, so a raw 8-bit C1
 * byte never reaches the terminal), and a CR at the end of a chunk waits for
 * the next one to know whether an LF follows it.
 *
 * @example
 * ```ts
 * const text = new TerminalText();
 * text.push(new Uint8Array([0x61, 0x0d])); // "a"
 * text.push(new Uint8Array([0x0a]));       // "\r\n"
 * text.end();                              // ""
 * ```
 */
export class TerminalText {
  readonly #decoder = new TextDecoder();
  #pendingReturn = false;

  /** The escaped text of `bytes`, as much of it as can be decided now. */
  push(bytes: Uint8Array): string {
    return this.#escape(this.#decoder.decode(bytes, { stream: true }), false);
  }

  /** What is left once the body has ended. */
  end(): string {
    return this.#escape(this.#decoder.decode(), true);
  }

  #escape(decoded: string, last: boolean): string {
    let text = this.#pendingReturn ? `\r${decoded}` : decoded;
    this.#pendingReturn = !last && text.endsWith("\r");
    if (this.#pendingReturn) text = text.slice(0, -1);
    return escapeText(text);
  }
}
