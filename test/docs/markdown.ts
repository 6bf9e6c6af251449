/**
 * Reads the documentation's Markdown the way the doc tests need it: fenced code blocks with the
 * `<!-- doctest: … -->` marker that precedes them, headings as GitHub anchors, links, and tables.
 * Pure functions over text, so the parser is tested on its own (test/docs/markdown.test.ts).
 */

/** What the doc tests do with a block: run it, only type-check it, or leave it alone. */
export type DoctestMode = "run" | "typecheck-only" | "skip";

/** The languages the doc tests handle; every other fence (json, text, mermaid…) is prose. */
export type BlockLanguage = "ts" | "sh";

/** One fenced code block. */
export interface CodeBlock {
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The fence's info string's first word, lower-cased (`ts`, `sh`, `json`, "" for none). */
  readonly info: string;
  /** `ts` or `sh` when the doc tests handle it, else undefined. */
  readonly language: BlockLanguage | undefined;
  /** The block's text, its fence's indentation removed, ending in a newline. */
  readonly code: string;
  /** From the marker on the last non-blank line before the fence; "run" without one. */
  readonly mode: DoctestMode;
  /** A marker that is not one of the modes (a typo), reported by the tests rather than ignored. */
  readonly badMarker: string | undefined;
}

const LANGUAGES: Readonly<Record<string, BlockLanguage>> = {
  ts: "ts",
  typescript: "ts",
  sh: "sh",
  bash: "sh",
  shell: "sh",
};

const FENCE = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)/;
const MARKER = /^\s*<!--\s*doctest:\s*(.*?)\s*-->\s*$/;
const MODES: ReadonlySet<string> = new Set(["typecheck-only", "skip"]);

/**
 * Every fenced code block of a Markdown text, in order.
 *
 * @example
 * ```ts
 * extractBlocks("<!-- doctest: skip -->\n```ts\nfoo()\n```\n"); // [{ line: 2, language: "ts", mode: "skip", … }]
 * ```
 */
export function extractBlocks(text: string): CodeBlock[] {
  const lines = text.split("\n");
  const blocks: CodeBlock[] = [];
  let index = 0;
  while (index < lines.length) {
    const opening = FENCE.exec(lines[index] ?? "");
    if (opening === null) {
      index += 1;
      continue;
    }
    const [, indent = "", fence = "", info = ""] = opening;
    const end = closingLine(lines, index + 1, fence);
    const body = lines.slice(index + 1, end).map((line) => stripIndent(line, indent.length));
    const marker = markerBefore(lines, index);
    const word = info.toLowerCase();
    blocks.push({
      line: index + 1,
      info: word,
      language: LANGUAGES[word],
      code: body.length === 0 ? "" : `${body.join("\n")}\n`,
      mode: marker !== undefined && MODES.has(marker) ? (marker as DoctestMode) : "run",
      badMarker: marker !== undefined && !MODES.has(marker) ? marker : undefined,
    });
    index = end + 1;
  }
  return blocks;
}

/** The index of the line closing a fence (same character, at least as long), or the end of the text. */
function closingLine(lines: readonly string[], from: number, fence: string): number {
  const character = fence[0] as string;
  for (let index = from; index < lines.length; index += 1) {
    const trimmed = (lines[index] ?? "").trim();
    if (trimmed.length >= fence.length && [...trimmed].every((c) => c === character)) return index;
  }
  return lines.length;
}

/** CommonMark: a fence indented by N spaces removes up to N spaces from each of its lines. */
function stripIndent(line: string, width: number): string {
  let removed = 0;
  while (removed < width && line[removed] === " ") removed += 1;
  return line.slice(removed);
}

/** The marker on the last non-blank line before `index`, if that line is one. */
function markerBefore(lines: readonly string[], index: number): string | undefined {
  for (let previous = index - 1; previous >= 0; previous -= 1) {
    const line = lines[previous] ?? "";
    if (line.trim() === "") continue;
    return MARKER.exec(line)?.[1];
  }
  return undefined;
}

/**
 * The anchors GitHub gives a file's headings (`## …use Digest?` → `use-digest`), duplicates
 * numbered (`-1`, `-2`) as GitHub does. Headings inside code blocks do not count.
 *
 * @example
 * ```ts
 * headingAnchors("# A b\n## A b\n"); // Set { "a-b", "a-b-1" }
 * ```
 */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(text)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading === null) continue;
    const slug = githubSlug(heading[1] ?? "");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  for (const match of text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(match[1] as string);
  return anchors;
}

/**
 * GitHub's heading slug: lower case, inline markup dropped, punctuation removed (letters, digits,
 * `-`, `_` and spaces stay), spaces to hyphens.
 *
 * @example
 * ```ts
 * githubSlug("…go faster than `fetch` (undici)?"); // "go-faster-than-fetch-undici"
 * ```
 */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/[`*]/g, "");
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\- _]/gu, "")
    .replace(/ /g, "-");
}

/** One link of a Markdown text: its target and the line it is on. */
export interface MarkdownLink {
  readonly line: number;
  readonly target: string;
}

/**
 * The inline links (`[text](target)`, `![alt](target)`) of a text, outside code blocks and code spans.
 *
 * @example
 * ```ts
 * markdownLinks("see [the CLI](docs/cli.md#options)\n"); // [{ line: 1, target: "docs/cli.md#options" }]
 * ```
 */
export function markdownLinks(text: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  proseLines(text).forEach((line, index) => {
    const prose = line.replace(/`[^`]*`/g, "");
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ line: index + 1, target: match[1] as string });
    }
  });
  return links;
}

/** The text's lines with those inside fenced code blocks blanked (line numbers stay). */
export function proseLines(text: string): string[] {
  const lines = text.split("\n");
  const inCode = new Array<boolean>(lines.length).fill(false);
  for (const block of extractBlocks(text)) {
    const last = block.line + block.code.split("\n").length - 1;
    for (let index = block.line - 1; index <= Math.min(last, lines.length - 1); index += 1) inCode[index] = true;
  }
  return lines.map((line, index) => (inCode[index] ? "" : line));
}

/**
 * The rows of the first pipe table after `line` (1-based; the header row and the delimiter row skipped),
 * each split into trimmed cells. Escaped pipes (`\|`) stay inside their cell.
 *
 * @example
 * ```ts
 * tableAfter("x\n| a | b |\n| --- | --- |\n| `c` | d |\n", 1); // [["`c`", "d"]]
 * ```
 */
export function tableAfter(text: string, line: number): string[][] {
  const lines = text.split("\n");
  let index = line;
  while (index < lines.length && !(lines[index] ?? "").trimStart().startsWith("|")) index += 1;
  const rows: string[][] = [];
  for (let row = index + 2; row < lines.length; row += 1) {
    const current = (lines[row] ?? "").trim();
    if (!current.startsWith("|")) break;
    rows.push(splitRow(current));
  }
  return rows;
}

function splitRow(row: string): string[] {
  const cells = row
    .replace(/^\|/, "")
    .replace(/\|$/, "")
    .split(/(?<!\\)\|/);
  return cells.map((cell) => cell.trim().replace(/\\\|/g, "|"));
}
