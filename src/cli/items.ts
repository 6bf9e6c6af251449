/**
 * httpie's request items, the shorthand after the URL:
 *
 * | item | means | curl |
 * | --- | --- | --- |
 * | `name=value` | a JSON string field (a form field in a multipart body) | |
 * | `name:=json` | a raw JSON field (`n:=1`, `tags:='["a"]'`) | |
 * | `name=@file` / `name:=@file` | a field from a file's text / JSON | |
 * | `name@file` | a file upload (the body becomes multipart) | `-F name=@file` |
 * | `Name:value` | a header; `Name:` drops a default; `Name;` sends it empty | `-H 'Name: value'` |
 * | `name==value` | a query parameter | `?name=value` |
 *
 * A backslash before a separator character makes it part of the name (`a\=b=c`).
 */
import { UsageError } from "./usage.js";

/** One request item. */
export type RequestItem =
  | { readonly kind: "header"; readonly name: string; readonly value: string | null }
  | { readonly kind: "query"; readonly name: string; readonly value: string }
  | { readonly kind: "field"; readonly name: string; readonly value: string }
  | { readonly kind: "field-file"; readonly name: string; readonly path: string }
  | { readonly kind: "json"; readonly name: string; readonly value: unknown }
  | { readonly kind: "json-file"; readonly name: string; readonly path: string }
  | { readonly kind: "file"; readonly name: string; readonly path: string; readonly type: string | undefined };

// Longest first: at one position `:=@` wins over `:=` and `:`.
const SEPARATORS = [":=@", "==", ":=", "=@", "=", "@", ":"] as const;
type Separator = (typeof SEPARATORS)[number];
const SEPARATOR_CHARACTERS = new Set([":", "=", "@", ";", "\\"]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * What items look like, for messages.
 *
 * @example
 * ```ts
 * throw new UsageError(`not a request item (${ITEM_FORMS})`);
 * ```
 */
export const ITEM_FORMS = "name=value, name:=json, Name:value, name==value, name@file";

/**
 * True when `word` reads as a request item (it has a separator after a
 * non-empty name, and a header item's name is a valid header name).
 *
 * @example
 * ```ts
 * isRequestItem("q==search"); // true
 * isRequestItem("https://example.com"); // false: "https" then "//…" is no header
 * ```
 */
export function isRequestItem(word: string): boolean {
  try {
    parseItem(word);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads one request item.
 *
 * @throws UsageError when `word` is not an item, or a `:=` value is not JSON.
 * @example
 * ```ts
 * parseItem("tags:=[1,2]"); // { kind: "json", name: "tags", value: [1, 2] }
 * ```
 */
export function parseItem(word: string): RequestItem {
  if (word.endsWith(";") && !word.endsWith("\\;") && TOKEN.test(word.slice(0, -1))) {
    return { kind: "header", name: word.slice(0, -1), value: "" };
  }
  const split = splitItem(word);
  if (split === undefined) throw new UsageError(notAnItem(word));
  const [name, separator, value] = split;
  switch (separator) {
    case ":":
      if (!TOKEN.test(name) || value.startsWith("//")) throw new UsageError(notAnItem(word));
      return { kind: "header", name, value: value === "" ? null : value.trim() };
    case "==":
      return { kind: "query", name, value };
    case "=":
      return { kind: "field", name, value };
    case "=@":
      return { kind: "field-file", name, path: nonEmpty(value, word) };
    case ":=":
      return { kind: "json", name, value: json(name, value) };
    case ":=@":
      return { kind: "json-file", name, path: nonEmpty(value, word) };
    case "@": {
      const typed = /^(.*);type=([^\s;/]+\/[^\s;]+)$/.exec(value);
      const path = nonEmpty(typed?.[1] ?? value, word);
      return { kind: "file", name, path, type: typed?.[2] };
    }
  }
}

/** Name, separator and the rest at the first unescaped separator; undefined when there is none or no name. */
function splitItem(word: string): [string, Separator, string] | undefined {
  let name = "";
  for (let index = 0; index < word.length; index++) {
    const character = word[index] as string;
    if (character === "\\" && SEPARATOR_CHARACTERS.has(word[index + 1] ?? "")) {
      name += word[index + 1];
      index++;
      continue;
    }
    const separator = SEPARATORS.find((candidate) => word.startsWith(candidate, index));
    if (separator !== undefined)
      return name === "" ? undefined : [name, separator, word.slice(index + separator.length)];
    name += character;
  }
  return undefined;
}

function json(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // The value is not repeated: it may be a secret.
    throw new UsageError(`the request item ${name}:= needs JSON after :=, e.g. ${name}:=42 or ${name}:='["a","b"]'`);
  }
}

function nonEmpty(path: string, word: string): string {
  if (path === "") throw new UsageError(`${notAnItem(word)}: a file name is missing after @`);
  return path;
}

function notAnItem(word: string): string {
  const shown = word.length > 40 ? `${word.slice(0, 40)}…` : word;
  const hint = /^\s*[{[]/.test(word) ? " (for a JSON body: -d '…' --json)" : "";
  return `unexpected argument ${JSON.stringify(shown)}: not a request item (${ITEM_FORMS})${hint}`;
}
