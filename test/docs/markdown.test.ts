import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { extractBlocks, githubSlug, headingAnchors, markdownLinks, tableAfter } from "./markdown.js";
import { expectedPrints, unmetPrint } from "./prints.js";
import { shellScript } from "./serve.js";

describe("extractBlocks", () => {
  it("finds ts and sh blocks with their fence line, and reads the marker on the line before", () => {
    const text = [
      "# Title",
      "",
      "```ts",
      "const a = 1;",
      "```",
      "<!-- doctest: typecheck-only -->",
      "",
      "```typescript",
      "const b = 2;",
      "```",
      "<!-- doctest: skip -->",
      "```bash",
      "npm ci",
      "```",
      "```json",
      "{}",
      "```",
    ].join("\n");
    const blocks = extractBlocks(text);
    expect(blocks.map((block) => [block.line, block.language, block.mode, block.code])).toEqual([
      [3, "ts", "run", "const a = 1;\n"],
      [8, "ts", "typecheck-only", "const b = 2;\n"],
      [12, "sh", "skip", "npm ci\n"],
      [15, undefined, "run", "{}\n"],
    ]);
  });

  it("reports a marker it does not know instead of ignoring it", () => {
    const [block] = extractBlocks("<!-- doctest: typecheck -->\n```ts\nx\n```\n");
    expect(block?.badMarker).toBe("typecheck");
    expect(block?.mode).toBe("run");
  });

  it("a marker counts only on the last non-blank line before the fence", () => {
    const [block] = extractBlocks("<!-- doctest: skip -->\nSome prose.\n\n```ts\nx\n```\n");
    expect(block?.mode).toBe("run");
  });

  it("a longer fence holds a shorter one; an indented fence loses its indentation", () => {
    const [outer, inner] = extractBlocks("````md\n```ts\nx\n```\n````\n- item\n\n  ```sh\n  echo hi\n  ```\n");
    expect(outer?.code).toBe("```ts\nx\n```\n");
    expect(inner?.code).toBe("echo hi\n");
  });

  it("property: any sequence of blocks comes back as written, in order, with its line", () => {
    const line = fc.stringMatching(/^[a-z0-9 =;().]{0,30}$/);
    const block = fc.record({
      language: fc.constantFrom("ts", "sh", "json", ""),
      mode: fc.constantFrom("run", "typecheck-only", "skip"),
      lines: fc.array(line, { maxLength: 5 }),
    });
    fc.assert(
      fc.property(fc.array(block, { maxLength: 6 }), fc.array(line, { maxLength: 3 }), (blocks, prose) => {
        const parts: string[] = [];
        const expected: Array<{ line: number; code: string; mode: string }> = [];
        for (const written of blocks) {
          parts.push(...prose.map((text) => `prose ${text}`));
          if (written.mode !== "run") parts.push(`<!-- doctest: ${written.mode} -->`);
          parts.push(`\`\`\`${written.language}`);
          expected.push({
            line: parts.length,
            code: written.lines.length === 0 ? "" : `${written.lines.join("\n")}\n`,
            mode: written.mode,
          });
          parts.push(...written.lines, "```");
        }
        const found = extractBlocks(parts.join("\n"));
        expect(found.map(({ line: at, code, mode }) => ({ line: at, code, mode }))).toEqual(expected);
      }),
    );
  });
});

describe("anchors and links", () => {
  it("slugs headings as GitHub does", () => {
    expect(githubSlug("…go faster than `fetch` (undici)?")).toBe("go-faster-than-fetch-undici");
    expect(githubSlug("…get an OAuth 2.0 client-credentials token?")).toBe("get-an-oauth-20-client-credentials-token");
    expect(githubSlug("…see what authflow does (`AUTHFLOW_DEBUG`)?")).toBe("see-what-authflow-does-authflow_debug");
    expect(githubSlug("[docs/cli.md](docs/cli.md) and *more*")).toBe("docsclimd-and-more");
  });

  it("numbers repeated headings and ignores headings inside code", () => {
    const anchors = headingAnchors("# Setup\n## Setup\n```sh\n# not a heading\n```\n");
    expect([...anchors]).toEqual(["setup", "setup-1"]);
  });

  it("finds links outside code spans and blocks, with their line", () => {
    const text = "see [a](docs/a.md#x) and `[b](no.md)`\n```\n[c](no.md)\n```\n![img](bench/chart.svg)\n";
    expect(markdownLinks(text)).toEqual([
      { line: 1, target: "docs/a.md#x" },
      { line: 5, target: "bench/chart.svg" },
    ]);
  });

  it("reads a table's rows after a line, escaped pipes kept in their cell", () => {
    const text =
      "<!-- options: X -->\n| option | type |\n| --- | --- |\n| `a` | `string \\| URL` |\n| `b` | `number` |\n\nnext";
    expect(tableAfter(text, 1)).toEqual([
      ["`a`", "`string | URL`"],
      ["`b`", "`number`"],
    ]);
  });
});

describe("//=> claims", () => {
  it("reads the claims of console.log lines only", () => {
    const code = "console.log(a); //=> 200 1\nconst b = 1; //=> not a print\nconsole.log(b); // prose\n";
    expect(expectedPrints(code)).toEqual(["200 1"]);
  });

  it("matches claims in order, … standing for anything", () => {
    expect(unmetPrint(["200", "…:…"], "200\nnoise\n1767225600:abc=\n")).toBeUndefined();
    expect(unmetPrint(["200 { a: 1 }"], "200 { a: 1 }\n")).toBeUndefined();
    expect(unmetPrint(["second", "first"], "first\nsecond\n")).toBe("first");
    expect(unmetPrint(["200"], "401\n")).toBe("200");
  });
});

describe("shellScript", () => {
  it("points the documented server at the live one, in every spelling", () => {
    const script = shellScript(
      "npx authflow http://127.0.0.1:8080/a --token-url http://localhost:8080/t\nnpx authflow :8080/b\necho 18080 8080x\n",
      41234,
    );
    expect(script).toContain("npx authflow http://127.0.0.1:41234/a --token-url http://localhost:41234/t");
    expect(script).toContain("npx authflow :41234/b");
    expect(script).toContain("echo 18080 8080x");
  });
});
