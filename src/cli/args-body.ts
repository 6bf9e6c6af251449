import type { RequestItem } from "./items.js";
import type { BodySpec, DataPart, FormField, JsonMember } from "./request-body.js";
import { isUnsafeCharacter } from "./safe-text.js";
import { UsageError } from "./usage.js";

/** What the command line says about the body, gathered from its flags and items. */
export interface BodyInputs {
  /** `-d` values, in order. */
  readonly data: readonly string[];
  /** `--data-urlencode` values, in order. */
  readonly encoded: readonly string[];
  /** `-F` values, in order. */
  readonly form: readonly string[];
  /** The items that go into the body (fields, JSON, files). */
  readonly items: readonly RequestItem[];
}

/**
 * The body of a command line: `-d`/`--data-urlencode` (a form, or JSON text
 * with `--json`), `-F` and file items (multipart), or the other items (a JSON
 * object, as httpie). Two kinds at once is a usage error naming both.
 *
 * @example
 * ```ts
 * bodySpec({ data: ["a=1", "b=2"], encoded: [], form: [], items: [] });
 * // { kind: "data", parts: [{ kind: "text", text: "a=1" }, { kind: "text", text: "b=2" }] }
 * ```
 */
export function bodySpec(inputs: BodyInputs): BodySpec {
  const data = [...inputs.data.map(dataPart), ...inputs.encoded.map(encodedPart)];
  const multipart = inputs.form.length > 0 || inputs.items.some((item) => item.kind === "file");
  if (data.length > 0 && (inputs.form.length > 0 || inputs.items.length > 0)) {
    const other = inputs.form.length > 0 ? "-F" : "request items (name=value…)";
    throw new UsageError(
      `-d and ${other} each make the whole body: use one (-F NAME=VALUE adds fields to a multipart form)`,
    );
  }
  if (data.length > 0) return { kind: "data", parts: data };
  if (multipart)
    return { kind: "multipart", fields: [...inputs.form.map(parseFormField), ...inputs.items.map(formItem)] };
  if (inputs.items.length > 0) return { kind: "json", members: inputs.items.map(jsonItem) };
  return { kind: "none" };
}

/** `-d @-` (stdin), `-d @FILE`, or the text as written. */
function dataPart(value: string): DataPart {
  if (value === "@-") return { kind: "stdin" };
  if (value.startsWith("@")) return { kind: "file", path: value.slice(1) };
  return { kind: "text", text: value };
}

/** curl's `--data-urlencode`: `name=value` encodes the value; anything else is encoded whole. */
function encodedPart(value: string): DataPart {
  const equals = value.indexOf("=");
  if (equals <= 0) return { kind: "text", text: encodeURIComponent(equals === 0 ? value.slice(1) : value) };
  return { kind: "text", text: `${value.slice(0, equals)}=${encodeURIComponent(value.slice(equals + 1))}` };
}

/**
 * curl's `-F`: `name=value`, `name=@FILE` (an upload; `;type=MEDIA` and
 * `;filename=NAME` may follow), `name=<FILE` (the file's text as the value).
 *
 * @example
 * ```ts
 * parseFormField("doc=@report.pdf;type=application/pdf");
 * ```
 */
export function parseFormField(value: string): FormField {
  const equals = value.indexOf("=");
  if (equals <= 0) throw new UsageError("-F takes NAME=VALUE, NAME=@FILE or NAME=<FILE");
  const name = value.slice(0, equals);
  const rest = value.slice(equals + 1);
  if (rest.startsWith("<")) return { kind: "text-file", name, path: rest.slice(1) };
  if (!rest.startsWith("@")) return { kind: "text", name, value: rest };
  const [path = "", ...options] = rest.slice(1).split(";");
  let type: string | undefined;
  let filename: string | undefined;
  for (const option of options) {
    const [key, ...words] = option.split("=");
    const text = words.join("=").trim();
    // A part's headers are built from these: nothing that could end a header line.
    const printable = text !== "" && ![...text].some((character) => isUnsafeCharacter(character.charCodeAt(0)));
    if (key?.trim() === "type" && printable && /^[^\s;/]+\/[^\s;]+$/.test(text)) type = text;
    else if (key?.trim() === "filename" && printable) filename = text.replace(/^"(.*)"$/, "$1");
    else throw new UsageError(`-F ${name}=@…: ;${key ?? ""} is not ;type=MEDIA/TYPE or ;filename=NAME`);
  }
  if (path === "") throw new UsageError(`-F ${name}=@: a file name is missing after @`);
  return { kind: "file", name, path, type, filename };
}

function formItem(item: RequestItem): FormField {
  switch (item.kind) {
    case "field":
      return { kind: "text", name: item.name, value: item.value };
    case "field-file":
      return { kind: "text-file", name: item.name, path: item.path };
    case "file":
      return { kind: "file", name: item.name, path: item.path, type: item.type, filename: undefined };
    default:
      throw new UsageError(
        `the request item ${item.name}:= is JSON, which a multipart body (a file upload) cannot carry; use ${item.name}=VALUE`,
      );
  }
}

function jsonItem(item: RequestItem): JsonMember {
  switch (item.kind) {
    case "field":
      return { kind: "value", name: item.name, value: item.value };
    case "json":
      return { kind: "value", name: item.name, value: item.value };
    case "field-file":
      return { kind: "text-file", name: item.name, path: item.path };
    case "json-file":
      return { kind: "json-file", name: item.name, path: item.path };
    default:
      throw new UsageError("unexpected request item");
  }
}
