// Issue 19: the parsers behind the new command line — httpie's request items, curl's -F,
// the flag table (unknown flags, curl's habits), multipart encoding and download file names.
import { resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCommand, type RequestCommand } from "../../src/cli/args.js";
import { parseFormField } from "../../src/cli/args-body.js";
import { dispositionFilename, safeFilename } from "../../src/cli/filename.js";
import { FOREIGN_FLAGS, REQUEST_FLAGS } from "../../src/cli/flags.js";
import { isRequestItem, parseItem } from "../../src/cli/items.js";
import { multipartBody } from "../../src/cli/multipart.js";
import { nearest, parseFlags } from "../../src/cli/parse.js";
import { isUnsafeCharacter } from "../../src/cli/safe-text.js";
import { UsageError } from "../../src/cli/usage.js";

const request = (argv: string[]) => parseCommand(argv) as RequestCommand;

describe("request items (httpie's shorthand)", () => {
  it("reads each kind, the earliest separator deciding, backslash escaping one", () => {
    expect(parseItem("name=x")).toEqual({ kind: "field", name: "name", value: "x" });
    expect(parseItem("n:=3")).toEqual({ kind: "json", name: "n", value: 3 });
    expect(parseItem('tags:=["a","b"]')).toEqual({ kind: "json", name: "tags", value: ["a", "b"] });
    expect(parseItem("X-Trace:abc=1")).toEqual({ kind: "header", name: "X-Trace", value: "abc=1" });
    expect(parseItem("X-Drop:")).toEqual({ kind: "header", name: "X-Drop", value: null });
    expect(parseItem("X-Empty;")).toEqual({ kind: "header", name: "X-Empty", value: "" });
    expect(parseItem("q==a b")).toEqual({ kind: "query", name: "q", value: "a b" });
    expect(parseItem("url==http://x/?a=b")).toEqual({ kind: "query", name: "url", value: "http://x/?a=b" });
    expect(parseItem("doc@report.pdf")).toMatchObject({ kind: "file", name: "doc", path: "report.pdf" });
    expect(parseItem("doc@a.bin;type=image/png")).toMatchObject({ path: "a.bin", type: "image/png" });
    expect(parseItem("bio=@bio.txt")).toEqual({ kind: "field-file", name: "bio", path: "bio.txt" });
    expect(parseItem("cfg:=@cfg.json")).toEqual({ kind: "json-file", name: "cfg", path: "cfg.json" });
    expect(parseItem("a\\=b=c")).toEqual({ kind: "field", name: "a=b", value: "c" });
    expect(parseItem("e\\@mail=x")).toEqual({ kind: "field", name: "e@mail", value: "x" });
  });

  it("refuses what is not an item, without repeating a JSON value", () => {
    for (const word of ["extra", "=x", "https://example.com", "{bad header}:x"])
      expect(isRequestItem(word)).toBe(false);
    expect(() => parseItem("n:=not-json-s3cret")).toThrow(/n:= needs JSON/);
    expect(() => parseItem("n:=not-json-s3cret")).not.toThrow(/s3cret/);
    expect(() => parseItem('{"a":1}')).toThrow(/-d '…' --json/);
  });

  it("property: a name and value written with escapes read back as they were", () => {
    const name = fc.string({ minLength: 1, maxLength: 12 }).filter((text) => !text.includes("\\"));
    fc.assert(
      // A value starting with @ or = is another kind of item (name=@file, name==value), as in httpie.
      fc.property(
        name,
        fc.string({ maxLength: 20 }).filter((text) => !/^[@=]/.test(text)),
        (key, value) => {
          const escaped = key.replace(/[:=@;\\]/g, (character) => `\\${character}`);
          expect(parseItem(`${escaped}=${value}`)).toEqual({ kind: "field", name: key, value });
          expect(parseItem(`${escaped}==${value}`)).toEqual({ kind: "query", name: key, value });
        },
      ),
      { numRuns: 500 },
    );
  });

  it("items after the URL build the body, headers and query; a method word comes first only when it is one", () => {
    const command = request(["PUT", "api.example.com/x?a=1", "name=x", "n:=2", "X-A:1", "q==z y"]);
    expect(command.method).toBe("PUT");
    expect(command.url.href).toBe("http://api.example.com/x?a=1&q=z%20y");
    expect(command.headers).toEqual([["X-A", "1"]]);
    expect(command.body).toMatchObject({ kind: "json" });
    expect(request(["example.com", "a=1"]).method).toBe("POST");
    expect(request(["localhost:3000/x", "q==1"]).url.href).toBe("http://localhost:3000/x?q=1");
    expect(request(["PROPFIND", "https://h/"]).method).toBe("PROPFIND");
    expect(request(["https://h/", "file@x.bin", "title=t"]).body).toMatchObject({ kind: "multipart" });
  });

  it("one kind of body at a time: -d, -F or items", () => {
    expect(() => request(["https://h", "-d", "a=1", "b=2"])).toThrow(/-d and request items/);
    expect(() => request(["https://h", "-d", "a=1", "-F", "b=2"])).toThrow(/-d and -F/);
    expect(() => request(["https://h", "f@x.bin", "n:=1"])).toThrow(/n:= is JSON/);
  });
});

describe("curl's -F", () => {
  it("reads text, files with ;type= and ;filename=, and <FILE", () => {
    expect(parseFormField("a=b=c")).toEqual({ kind: "text", name: "a", value: "b=c" });
    expect(parseFormField("doc=@r.pdf;type=application/pdf;filename=q3.pdf")).toEqual({
      kind: "file",
      name: "doc",
      path: "r.pdf",
      type: "application/pdf",
      filename: "q3.pdf",
    });
    expect(parseFormField("bio=<bio.txt")).toEqual({ kind: "text-file", name: "bio", path: "bio.txt" });
    expect(() => parseFormField("novalue")).toThrow(UsageError);
    expect(() => parseFormField("doc=@r.pdf;type=bad\r\nX: y")).toThrow(UsageError);
  });
});

describe("multipart/form-data", () => {
  it("property: what is encoded parses back to the same fields (the platform's own parser)", async () => {
    const safe = fc.string({ minLength: 1, maxLength: 10 }).filter((text) => !/["\r\n%]/.test(text));
    const part = fc.oneof(
      fc.record({ name: safe, value: fc.string({ maxLength: 30 }) }),
      fc.record({ name: safe, bytes: fc.uint8Array({ maxLength: 64 }), filename: safe }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(part, { minLength: 1, maxLength: 5 }), async (parts) => {
        const encoded = multipartBody(
          parts.map((one) =>
            "value" in one
              ? { name: one.name, value: one.value }
              : {
                  name: one.name,
                  file: new Blob([one.bytes]),
                  filename: one.filename,
                  type: "application/octet-stream",
                },
          ),
        );
        const form = await new Response(encoded.body, { headers: { "content-type": encoded.contentType } }).formData();
        const entries = [...form.entries()];
        expect(entries.map(([name]) => name)).toEqual(parts.map((one) => one.name));
        for (const [index, one] of parts.entries()) {
          const value = entries[index]?.[1];
          if ("value" in one) expect(value).toBe(one.value.replace(/\r\n|\r|\n/g, "\r\n"));
          else expect(new Uint8Array(await (value as Blob).arrayBuffer())).toEqual(one.bytes);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("a name cannot break out of its quoted string or header line", async () => {
    const { body, contentType } = multipartBody([{ name: 'a"\r\nContent-Type: evil', value: "v" }]);
    const text = await body.text();
    expect(text).toContain('name="a%22%0D%0AContent-Type: evil"');
    expect(contentType).toMatch(/^multipart\/form-data; boundary=----authflow[0-9a-f]{24}$/);
  });
});

describe("download file names", () => {
  it("reads Content-Disposition: filename* (RFC 8187) over filename, quoted or not", () => {
    expect(dispositionFilename(`attachment; filename="a \\"b\\".txt"`)).toBe('a "b".txt');
    expect(dispositionFilename("attachment; filename=plain.txt")).toBe("plain.txt");
    expect(dispositionFilename(`attachment; filename="x.txt"; filename*=UTF-8''%E2%82%AC%20rates.txt`)).toBe(
      "€ rates.txt",
    );
    expect(dispositionFilename("attachment; filename*=iso-8859-1'en'%E9t%E9.txt")).toBe("été.txt");
    expect(dispositionFilename("inline")).toBeUndefined();
  });

  it("makes hostile names safe: no path, no hidden file, no device, no control character", () => {
    const cases: Array<[string, string]> = [
      ["../../.ssh/authorized_keys", "authorized_keys"],
      ["/etc/passwd", "passwd"],
      ["C:\\Windows\\win.ini", "win.ini"],
      ["\\\\server\\share\\x.exe", "x.exe"],
      [".bashrc", "bashrc"],
      ["..", "download"],
      ["CON", "_CON"],
      ["nul.txt", "_nul.txt"],
      ["com1.log", "_com1.log"],
      ["report\u0000.pdf\u001b[31m", "report_.pdf_[31m"],
      ["a\u202eexe.txt", "a_exe.txt"],
      ["trailing. . ", "trailing"],
      ['wh<a>t:"is"|this?*', "wh_a_t__is__this__"],
    ];
    for (const [hostile, safe] of cases) expect(safeFilename(hostile)).toBe(safe);
    expect(Buffer.byteLength(safeFilename(`${"é".repeat(300)}.tar.gz`))).toBeLessThanOrEqual(200);
    expect(safeFilename(`${"é".repeat(300)}.tar.gz`).endsWith(".gz")).toBe(true);
  });

  it("property: whatever the server says, the name is one file in the current directory", () => {
    const hostile = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc
        .array(fc.constantFrom("..", ".", "/", "\\", "C:", "\u0000", "\u001b", "CON", "a", ".x", " ", "é", "\u202e"), {
          maxLength: 12,
        })
        .map((pieces) => pieces.join("")),
    );
    fc.assert(
      fc.property(hostile, (name) => {
        const safe = safeFilename(name);
        const directory = "/work/downloads";
        expect(resolve(directory, safe).startsWith(`${directory}/`)).toBe(true);
        expect([...safe].filter((c) => isUnsafeCharacter(c.charCodeAt(0)) || '/\\<>:"|?*'.includes(c))).toEqual([]);
        expect(safe).not.toMatch(/^[.\s]|[.\s]$/);
        expect(safe).not.toMatch(/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i);
        expect(safe.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("the flag table", () => {
  it("suggests the nearest flag for a typo, and a unique flag a prefix starts", () => {
    const known = REQUEST_FLAGS.map((flag) => `--${flag.name}`);
    expect(nearest("--heder", known)).toBe("--header");
    expect(nearest("--check", known)).toBe("--check-status");
    expect(nearest("--timout", known)).toBe("--timeout");
    expect(nearest("--sesion", known)).toBe("--session");
    expect(nearest("--zzzzzz", known)).toBeUndefined();
    expect(() => parseFlags(["--verbos"], REQUEST_FLAGS)).toThrow(/unknown option --verbos; did you mean --verbose\?/);
  });

  it("explains every curl and httpie habit it does not take, naming authflow's way", () => {
    const ours = new Set(REQUEST_FLAGS.flatMap((flag) => [`--${flag.name}`, `-${flag.short ?? ""}`]));
    for (const [spelling, hint] of Object.entries(FOREIGN_FLAGS)) {
      expect(ours.has(spelling), `${spelling} is one of authflow's own flags`).toBe(false);
      expect(() => parseFlags([spelling, "x"], REQUEST_FLAGS)).toThrow(`unknown option ${spelling}`);
      expect(() => parseFlags([spelling, "x"], REQUEST_FLAGS)).toThrow(hint);
    }
  });

  it("reads grouped and attached short flags, --name=value, and -- before words", () => {
    expect(parseFlags(["-vq", "-dA=1", "-H", "X: 1", "--timeout=2", "--", "-not-a-flag"], REQUEST_FLAGS)).toEqual({
      values: { verbose: true, quiet: true, data: ["A=1"], header: ["X: 1"], timeout: "2" },
      positionals: ["-not-a-flag"],
    });
    expect(() => parseFlags(["--json=yes"], REQUEST_FLAGS)).toThrow(/--json takes no value/);
    expect(() => parseCommand(["https://h", "-A", "Mozilla/5.0"])).toThrow(
      /curl's -A \(User-Agent\) is -H 'User-Agent: …' here/,
    );
    expect(() => parseFlags(["--timeout"], REQUEST_FLAGS)).toThrow(/--timeout needs a value/);
  });

  it("honours sub-second timeouts down to a millisecond, and refuses shorter ones rather than meaning none", () => {
    expect(request(["https://h", "--timeout", "0.25"]).timeoutMs).toBe(250);
    expect(request(["https://h", "--timeout", "0.001"]).timeoutMs).toBe(1);
    expect(request(["https://h", "--timeout", "0"]).timeoutMs).toBe(0);
    expect(() => request(["https://h", "--timeout", "0.0004"])).toThrow(/under a millisecond/);
  });
});
