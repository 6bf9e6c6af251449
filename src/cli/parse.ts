import { type Flag, FOREIGN_FLAGS, spellings } from "./flags.js";
import { UsageError } from "./usage.js";

/** The values given, by long name: `true` for a boolean, the last value, or every value of a list. */
export type FlagValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

/** What {@link parseFlags} read. */
export interface Parsed {
  readonly values: FlagValues;
  /** The words that are not flags, in order. */
  readonly positionals: readonly string[];
}

/**
 * Reads `argv` against a flag table, getopt-style: `--name value`,
 * `--name=value`, `-x value`, `-xVALUE`, grouped booleans (`-vq`), `--` to
 * end the flags; flags may come anywhere among the other words. A value that
 * starts with a dash must be attached (`--token=-abc`, `-d-x`): detached, it
 * could as well be a flag that was meant. A lone `-` is a value or a word.
 *
 * @throws UsageError naming the flag: unknown (with curl's or httpie's
 * spelling explained, or the nearest flag suggested), a missing value, a
 * value given to a boolean.
 * @example
 * ```ts
 * parseFlags(["-vd", "a=1", "URL"], REQUEST_FLAGS); // { values: { verbose: true, data: ["a=1"] }, positionals: ["URL"] }
 * ```
 */
export function parseFlags(argv: readonly string[], flags: readonly Flag[]): Parsed {
  const values: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  const set = (flag: Flag, value: string | true) => {
    if (flag.kind === "list")
      values[flag.name] = [...((values[flag.name] as string[] | undefined) ?? []), String(value)];
    else values[flag.name] = value;
  };
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index] as string;
    const next = () => detachedValue(argv[index + 1], word);
    if (word === "--") {
      positionals.push(...argv.slice(index + 1));
      break;
    }
    if (word.startsWith("--")) {
      const equals = word.indexOf("=");
      const name = equals < 0 ? word.slice(2) : word.slice(2, equals);
      const flag = flags.find((candidate) => candidate.name === name) ?? unknown(`--${name}`, flags);
      if (flag.kind === "boolean") {
        if (equals >= 0) throw new UsageError(`--${name} takes no value (got --${name}=…)`);
        set(flag, true);
      } else if (equals >= 0) set(flag, word.slice(equals + 1));
      else {
        set(flag, next());
        index++;
      }
    } else if (word.startsWith("-") && word.length > 1) {
      if (readShorts(word, flags, set, next)) index++;
    } else positionals.push(word);
  }
  return { values, positionals };
}

/** `-vq`, `-dVALUE`, `-d VALUE`: true when the next word was taken as the value. */
function readShorts(
  word: string,
  flags: readonly Flag[],
  set: (flag: Flag, value: string | true) => void,
  next: () => string,
): boolean {
  for (let position = 1; position < word.length; position++) {
    const letter = word[position] as string;
    const flag = flags.find((candidate) => candidate.short === letter) ?? unknown(`-${letter}`, flags, word);
    if (flag.kind === "boolean") {
      set(flag, true);
      continue;
    }
    const attached = word.slice(position + 1);
    if (attached !== "") {
      set(flag, attached);
      return false;
    }
    set(flag, next());
    return true;
  }
  return false;
}

/** The word after a flag, as its value; refused when missing or when it looks like another flag. */
function detachedValue(value: string | undefined, flag: string): string {
  const name = flag.startsWith("--") ? flag : flag.slice(0, 2);
  if (value === undefined) throw new UsageError(`${name} needs a value`);
  if (value.startsWith("-") && value !== "-") {
    const form = name.startsWith("--") ? `${name}=-XYZ` : `${name}-XYZ`;
    throw new UsageError(`${name} needs a value; one that starts with a dash must be attached: ${form}`);
  }
  return value;
}

/** Throws the error for a flag the table does not have, with the most useful hint. */
function unknown(spelling: string, flags: readonly Flag[], group?: string): never {
  const inGroup = group !== undefined && group.length > 2 ? ` (in ${group})` : "";
  const foreign = FOREIGN_FLAGS[spelling];
  if (foreign !== undefined) throw new UsageError(`unknown option ${spelling}${inGroup}: ${foreign}`);
  const suggestion = nearest(spelling, spellings(flags));
  const hint = suggestion === undefined ? "" : `; did you mean ${suggestion}?`;
  throw new UsageError(`unknown option ${spelling}${inGroup}${hint}`);
}

/**
 * The known spelling closest to `typed`: a unique one it is the start of
 * (`--check` → `--check-status`), else the one within a small edit distance
 * (a third of its length, at least 1, at most 3), else undefined.
 *
 * @example
 * ```ts
 * nearest("--heder", ["--header", "--head"]); // "--header"
 * ```
 */
export function nearest(typed: string, known: readonly string[]): string | undefined {
  if (typed.startsWith("--") && typed.length > 3) {
    const extended = known.filter((candidate) => candidate.startsWith(typed));
    if (extended.length === 1) return extended[0];
  }
  const limit = Math.min(3, Math.max(1, Math.floor(typed.replace(/^-+/, "").length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const distance = editDistance(typed, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Damerau–Levenshtein (optimal string alignment): a swap of two letters counts as one edit. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, row) => {
    const cells = new Array<number>(b.length + 1).fill(0);
    cells[0] = row;
    return cells;
  });
  const first = rows[0] as number[];
  for (let column = 0; column <= b.length; column++) first[column] = column;
  for (let row = 1; row <= a.length; row++) {
    const current = rows[row] as number[];
    const previous = rows[row - 1] as number[];
    for (let column = 1; column <= b.length; column++) {
      const cost = a[row - 1] === b[column - 1] ? 0 : 1;
      let value = Math.min(
        (previous[column] as number) + 1,
        (current[column - 1] as number) + 1,
        (previous[column - 1] as number) + cost,
      );
      if (row > 1 && column > 1 && a[row - 1] === b[column - 2] && a[row - 2] === b[column - 1]) {
        value = Math.min(value, ((rows[row - 2] as number[])[column - 2] as number) + 1);
      }
      current[column] = value;
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}
