/**
 * The `.netrc` format, read the way curl reads it (lib/netrc.c): pure
 * functions, no I/O, so they can be tested with any input.
 *
 * - Tokens are separated by white space (space, tab, CR, VT, FF, newline) and
 *   may span lines: `machine h\nlogin u\npassword p` is one entry.
 * - A token starting with `"` is quoted: it ends at the next unescaped `"`
 *   on the same line; `\n`, `\r`, `\t` are escapes and `\x` is `x`. An
 *   unterminated quote is a syntax error, and then, as curl does, the whole
 *   file is ignored.
 * - Keywords (`machine`, `default`, `login`, `password`, `account`,
 *   `macdef`) are case-insensitive. `macdef NAME` skips the rest of its line
 *   and every following line up to the first empty one (the macro body).
 * - A line whose first character is `#` is a comment.
 */

/**
 * One `machine` (or `default`) entry of a netrc file.
 *
 * @example
 * ```ts
 * const entry: NetrcEntry = { machine: "api.example.com", login: "alice", password: "s3cret", account: undefined };
 * ```
 */
export interface NetrcEntry {
  /** The host name, lower-cased; `undefined` for the `default` entry. */
  readonly machine: string | undefined;
  readonly login: string | undefined;
  readonly password: string | undefined;
  readonly account: string | undefined;
}

/**
 * What {@link parseNetrc} found: the entries in file order, or, when the file
 * is malformed, no entries and the reason (which never quotes the file: it
 * holds passwords).
 *
 * @example
 * ```ts
 * const { entries, error } = parseNetrc('machine h login u password "unterminated');
 * // entries: [], error: "unterminated quoted token on line 1"
 * ```
 */
export interface NetrcParseResult {
  readonly entries: readonly NetrcEntry[];
  readonly error: string | undefined;
}

type Field = "machine" | "login" | "password" | "account";
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What the next token means. */
type Expecting = "keyword" | Field | "macro-name";

/**
 * Parses the text of a netrc file. Never throws: a malformed file gives no
 * entries and an `error`.
 *
 * @example
 * ```ts
 * parseNetrc("machine api.example.com login alice password s3cret\ndefault login anonymous password guest").entries;
 * // [{ machine: "api.example.com", login: "alice", … }, { machine: undefined, login: "anonymous", … }]
 * ```
 */
export function parseNetrc(text: string): NetrcParseResult {
  const entries: Mutable<NetrcEntry>[] = [];
  let expecting: Expecting = "keyword";
  let inMacro = false;
  const lines = text.split("\n");
  for (let lineIndex = 0; lineIndex < lines.length; lineIndex++) {
    const line = lines[lineIndex] as string;
    if (inMacro) {
      // The macro body ends at the first empty (or blank) line.
      if (line.trim() === "") inMacro = false;
      continue;
    }
    if (line.startsWith("#")) continue;
    const tokens = tokenize(line);
    if (tokens === null) return { entries: [], error: `unterminated quoted token on line ${lineIndex + 1}` };
    for (const token of tokens) {
      expecting = accept(token, expecting, entries);
      if (expecting === "macro-name") {
        // `macdef NAME`: the name and the rest of its line belong to the macro.
        inMacro = true;
        expecting = "keyword";
        break;
      }
    }
  }
  return { entries, error: undefined };
}

/** Applies one token; returns what the next one means. */
function accept(token: string, expecting: Expecting, entries: Mutable<NetrcEntry>[]): Expecting {
  if (expecting === "machine") {
    entries.push(newEntry(token.toLowerCase()));
    return "keyword";
  }
  if (expecting !== "keyword") {
    const current = entries.at(-1);
    // Values before the first `machine` or `default` belong to no entry.
    if (current !== undefined && expecting !== "macro-name") current[expecting] = token;
    return "keyword";
  }
  switch (token.toLowerCase()) {
    case "machine":
      return "machine";
    case "default":
      entries.push(newEntry(undefined));
      return "keyword";
    case "login":
      return "login";
    case "password":
      return "password";
    case "account":
      return "account";
    case "macdef":
      return "macro-name";
    default:
      // curl skips words it does not know.
      return "keyword";
  }
}

function newEntry(machine: string | undefined): Mutable<NetrcEntry> {
  return { machine, login: undefined, password: undefined, account: undefined };
}

const WHITE_SPACE = new Set([" ", "\t", "\r", "\v", "\f"]);
const ESCAPES: Readonly<Record<string, string>> = { n: "\n", r: "\r", t: "\t" };

/** The tokens of one line, or null for an unterminated quoted token. */
function tokenize(line: string): string[] | null {
  const tokens: string[] = [];
  let index = 0;
  while (index < line.length) {
    while (index < line.length && WHITE_SPACE.has(line[index] as string)) index++;
    if (index >= line.length) break;
    if (line[index] === '"') {
      const quoted = readQuoted(line, index + 1);
      if (quoted === null) return null;
      tokens.push(quoted.token);
      index = quoted.end;
      continue;
    }
    const start = index;
    while (index < line.length && !WHITE_SPACE.has(line[index] as string)) index++;
    tokens.push(line.slice(start, index));
  }
  return tokens;
}

/** A quoted token starting after its opening quote: its value and the index after the closing quote. */
function readQuoted(line: string, start: number): { token: string; end: number } | null {
  let token = "";
  for (let index = start; index < line.length; index++) {
    const character = line[index] as string;
    if (character === '"') return { token, end: index + 1 };
    if (character === "\\") {
      index++;
      if (index >= line.length) return null;
      const escaped = line[index] as string;
      token += ESCAPES[escaped] ?? escaped;
      continue;
    }
    token += character;
  }
  return null;
}

/**
 * The entry for `hostname`: the first `machine` whose name equals it
 * (case-insensitive, exact — never a suffix match), else the `default` entry.
 * An entry that matches but has no password is still the answer: it never
 * borrows another entry's password or falls back to `default` (curl
 * CVE-2024-11053).
 *
 * @example
 * ```ts
 * findNetrcEntry(parseNetrc(text).entries, new URL("https://API.example.com/x").hostname);
 * ```
 */
export function findNetrcEntry(entries: readonly NetrcEntry[], hostname: string): NetrcEntry | undefined {
  const host = normaliseHost(hostname);
  const machine = entries.find((entry) => entry.machine !== undefined && normaliseHost(entry.machine) === host);
  return machine ?? entries.find((entry) => entry.machine === undefined);
}

/** Lower case, without the brackets a URL puts around an IPv6 address, without a trailing dot. */
function normaliseHost(host: string): string {
  let result = host.toLowerCase();
  if (result.startsWith("[") && result.endsWith("]")) result = result.slice(1, -1);
  if (result.endsWith(".") && result.length > 1) result = result.slice(0, -1);
  return result;
}
