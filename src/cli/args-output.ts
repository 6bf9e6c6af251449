import type { FlagValues } from "./parse.js";
import { UsageError } from "./usage.js";

/** What `--print` (httpie's letters) selects for stdout. */
export interface PrintSelection {
  /** `H`: the request's headers, as sent. */
  readonly requestHeaders: boolean;
  /** `B`: the request's body. */
  readonly requestBody: boolean;
  /** `h`: the response's status line and headers. */
  readonly responseHeaders: boolean;
  /** `b`: the response's body. */
  readonly responseBody: boolean;
}

/** How the body is shown: httpie's `--pretty`. */
export type Pretty = "all" | "colors" | "format" | "none";

/** Where the response goes and how it looks. */
export interface OutputOptions {
  /** `-o FILE`; undefined for stdout (`-o -` too). */
  readonly file: string | undefined;
  /** `--download`: a file named by the server or the URL. */
  readonly download: boolean;
  /** `--print`, `-i`, `-I`; undefined: the body on stdout and the status line on stderr. */
  readonly print: PrintSelection | undefined;
  readonly pretty: Pretty | undefined;
  readonly quiet: boolean;
}

const PRETTY: readonly Pretty[] = ["all", "colors", "format", "none"];

/**
 * The output flags, checked for consistency.
 *
 * @throws UsageError naming the flag that is wrong.
 * @example
 * ```ts
 * outputOptions({ print: "hb" }, "GET"); // { print: { responseHeaders: true, responseBody: true, … }, … }
 * ```
 */
export function outputOptions(values: FlagValues, method: string): OutputOptions {
  const file = typeof values.output === "string" && values.output !== "-" ? values.output : undefined;
  if (values.output === "") throw new UsageError("-o needs a file name (or - for stdout)");
  const download = values.download === true;
  const chosen = selection(values, method);
  const toFile = file !== undefined || download;
  if (toFile && chosen?.responseBody === true && values.print !== undefined) {
    throw new UsageError("the body goes to the file (-o/--download): --print takes H, B and h then");
  }
  // -i with -o: the headers on stdout, the body in the file.
  const print = toFile && chosen !== undefined ? { ...chosen, responseBody: false } : chosen;
  const pretty = values.pretty;
  if (pretty !== undefined && !(PRETTY as readonly unknown[]).includes(pretty)) {
    throw new UsageError(`--pretty takes one of ${PRETTY.join(", ")} (got ${String(pretty)})`);
  }
  return { file, download, print, pretty: pretty as Pretty | undefined, quiet: values.quiet === true };
}

function selection(values: FlagValues, method: string): PrintSelection | undefined {
  const letters = typeof values.print === "string" ? values.print : values.include === true ? "hb" : undefined;
  if (letters === undefined) return values.head === true || method === "HEAD" ? fromLetters("h") : undefined;
  if (letters === "" || !/^[HBhb]+$/.test(letters)) {
    throw new UsageError(
      `--print takes letters of HBhb: H request headers, B request body, h response headers, b response body (got ${letters})`,
    );
  }
  return fromLetters(letters);
}

function fromLetters(letters: string): PrintSelection {
  return {
    requestHeaders: letters.includes("H"),
    requestBody: letters.includes("B"),
    responseHeaders: letters.includes("h"),
    responseBody: letters.includes("b"),
  };
}
