/**
 * The option tables of docs/options.md cannot drift from the types (issue 20): each table, introduced
 * by `<!-- options: TypeName -->` (an exported interface's properties) or `<!-- options: new ClassName -->`
 * (an exported class's constructor parameters), must list exactly the names the type has, each with
 * the type it is declared with (the first code span of the "type" column). README's table of errors
 * must list exactly the error classes the package exports.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";
import { tableAfter } from "./markdown.js";
import { root } from "./package.js";

const PAGE = "docs/options.md";
const text = readFileSync(join(root, PAGE), "utf8");

/** The tables issue 20 asks for; the page may hold more. */
const REQUIRED = [
  "ClientOptions",
  "WithAuthOptions",
  "ClientCredentialsOptions",
  "DigestAuthOptions",
  "new BearerAuth",
  "new NetrcAuth",
  "TestServerOptions",
];

interface Table {
  readonly subject: string;
  readonly line: number;
  /** Name → the type column's first code span. */
  readonly rows: ReadonlyMap<string, string>;
}

const tables: Table[] = [...text.matchAll(/<!--\s*options:\s*(.+?)\s*-->/g)].map((match) => {
  const line = text.slice(0, match.index).split("\n").length;
  const rows = new Map<string, string>();
  for (const [name = "", type = ""] of tableAfter(text, line)) {
    rows.set(firstCode(name), firstCode(type));
  }
  return { subject: match[1] as string, line, rows };
});

function normalise(type: string): string {
  return type.replace(/\s+/g, " ").trim();
}

/** The text of a cell's first code span (the cell itself when it has none), whitespace normalised. */
function firstCode(cell: string): string {
  const code = /`([^`]+)`/.exec(cell)?.[1] ?? cell;
  return normalise(code);
}

let checker: ts.TypeChecker;
let exported: Map<string, ts.Symbol>;

beforeAll(() => {
  const entries = ["src/index.ts", "src/server/index.ts"].map((file) => join(root, file));
  const program = ts.createProgram(entries, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts"],
    types: ["node"],
    strict: true,
    noEmit: true,
  });
  checker = program.getTypeChecker();
  exported = new Map();
  for (const entry of entries) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(entry) as ts.SourceFile) as ts.Symbol;
    for (const symbol of checker.getExportsOfModule(module)) exported.set(symbol.name, symbol);
  }
}, 60_000);

/** Name → declared type text of what a subject has: an interface's properties or a constructor's parameters. */
function declared(subject: string): Map<string, string> {
  const isConstructor = subject.startsWith("new ");
  const name = isConstructor ? subject.slice(4) : subject;
  const found = exported.get(name);
  if (found === undefined) throw new Error(`${name} is not exported by authflow or authflow/server`);
  const symbol = found.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(found) : found;
  const names = new Map<string, string>();
  if (isConstructor) {
    const type = checker.getTypeOfSymbol(symbol);
    for (const signature of type.getConstructSignatures()) {
      for (const parameter of signature.getParameters()) names.set(parameter.name, typeText(parameter));
    }
  } else {
    for (const property of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol))) {
      names.set(property.name, typeText(property));
    }
  }
  return names;
}

/** The type as written in the declaration (`string | URL`), or as the checker prints it. */
function typeText(symbol: ts.Symbol): string {
  const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0];
  if (declaration !== undefined && "type" in declaration && declaration.type !== undefined) {
    return normalise((declaration.type as ts.TypeNode).getText());
  }
  return normalise(checker.typeToString(checker.getTypeOfSymbol(symbol)));
}

describe(`the option tables of ${PAGE}`, () => {
  it("has every table issue 20 asks for", () => {
    expect(tables.map((table) => table.subject)).toEqual(expect.arrayContaining(REQUIRED));
  });

  for (const table of tables) {
    it(`${PAGE}:${table.line} ${table.subject}: every option, none that does not exist, each with its type`, () => {
      const types = declared(table.subject);
      const missing = [...types.keys()].filter((name) => !table.rows.has(name));
      const unknown = [...table.rows.keys()].filter((name) => !types.has(name));
      expect({ missing, unknown }, `${table.subject}: add the missing rows, remove the unknown ones`).toEqual({
        missing: [],
        unknown: [],
      });
      const wrong = [...table.rows].filter(([name, type]) => types.get(name) !== type);
      expect(wrong.map(([name, type]) => `${name}: the table says ${type}, the type says ${types.get(name)}`)).toEqual(
        [],
      );
    });
  }
});

describe("the Errors table of README.md", () => {
  it("lists every error class authflow exports, and none it does not", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const heading = readme.split("\n").indexOf("## Errors");
    const listed = tableAfter(readme, heading + 1).map(([name = ""]) => firstCode(name));
    const classes = [...exported.values()]
      .map((symbol) => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol))
      .filter((symbol) => symbol.flags & ts.SymbolFlags.Class && symbol.name.endsWith("Error"))
      .map((symbol) => symbol.name)
      // The base class is the table's preamble; TestCertificateError is authflow/server's.
      .filter((name) => name !== "AuthflowError" && name !== "TestCertificateError");
    expect(listed.sort()).toEqual(classes.sort());
  });
});
