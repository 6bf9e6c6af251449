// Issue 19.2: `-d a=1&b=2` went out as text/plain, a repeated -d kept the last, -d @file had no
// Content-Type and there was no multipart upload. Now: -d is a form (curl), repeated -d joins with &,
// -d @file takes its type from the name, -F uploads multipart, httpie's items build JSON, headers, query.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { builtCli, runCli } from "./helpers.js";
import { formOf, header, type Recorder, startRecorder } from "./recorder.js";

let recorder: Recorder;
let server: TestServer;
const directory = mkdtempSync(join(tmpdir(), "authflow-cli-bodies-"));
const file = (name: string, content: string | Buffer) => {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
};
const PDF = Buffer.from("%PDF-1.7\n\u0000\u00ff binary \r\n bytes");

beforeAll(async () => {
  builtCli();
  [recorder, server] = await Promise.all([startRecorder(), startTestServer()]);
});
afterAll(async () => {
  await Promise.all([recorder.close(), server.close()]);
  rmSync(directory, { recursive: true, force: true });
});

async function sent(args: string[], input?: string) {
  const before = recorder.requests.length;
  const result = await runCli([...args], input === undefined ? {} : { input });
  expect(result.stderr).not.toMatch(/error/);
  expect(result.code).toBe(0);
  return recorder.requests.slice(before).at(-1) as NonNullable<(typeof recorder.requests)[number]>;
}

describe("-d is a form, as curl's", () => {
  it("sends application/x-www-form-urlencoded, repeated -d joined with &, with a Content-Length", async () => {
    const request = await sent([
      `${recorder.url}/form`,
      "-d",
      "a=1",
      "-d",
      "b=two words",
      "--data-urlencode",
      "q=a b&c",
    ]);
    expect(request.method).toBe("POST");
    expect(header(request, "content-type")).toBe("application/x-www-form-urlencoded");
    expect(request.body.toString()).toBe("a=1&b=two words&q=a%20b%26c");
    expect(header(request, "content-length")).toBe(String(request.body.length));
    expect(Object.fromEntries(await formOf(request))).toEqual({ a: "1", b: "two words", q: "a b&c" });
  });

  it("-d @FILE sends the file byte for byte with a Content-Type from its name; --json makes it JSON", async () => {
    const cases: Array<[string, string | Buffer, string[], string]> = [
      ["data.json", '{"a":1}', [], "application/json"],
      ["notes.txt", "plain\r\ntext\n", [], "text/plain"],
      ["report.pdf", PDF, [], "application/pdf"],
      ["fields", "a=1&b=2", [], "application/x-www-form-urlencoded"],
      ["payload.txt", '{"b":2}', ["--json"], "application/json"],
    ];
    for (const [name, content, extra, type] of cases) {
      const request = await sent([`${recorder.url}/file`, "-d", `@${file(name, content)}`, ...extra]);
      expect({ name, type: header(request, "content-type") }).toEqual({ name, type });
      expect(request.body.equals(Buffer.from(content))).toBe(true);
      expect(header(request, "content-length")).toBe(String(request.body.length));
    }
  });

  it("-d @- streams stdin: a small body with a Content-Length, a large one chunked, intact", async () => {
    const small = await sent([`${recorder.url}/stdin`, "-d", "@-"], "a=1");
    expect(small.body.toString()).toBe("a=1");
    expect(header(small, "content-length")).toBe("3");
    const large = "x".repeat(3 * 1024 * 1024);
    const big = await sent([`${recorder.url}/stdin`, "-d", "@-"], large);
    expect(header(big, "transfer-encoding")).toBe("chunked");
    expect(createHash("sha256").update(big.body).digest("hex")).toBe(createHash("sha256").update(large).digest("hex"));
  });
});

describe("-F and file items are multipart/form-data", () => {
  it("uploads fields and files (type from the name, or ;type=), with a Content-Length", async () => {
    const pdf = file("report.pdf", PDF);
    const notes = file("notes.txt", "quarterly notes");
    const request = await sent([
      `${recorder.url}/upload`,
      ...["-F", "title=Q3 report", "-F", `doc=@${pdf}`, "-F", `raw=@${notes};type=application/x-custom`],
      ...["-F", `summary=<${notes}`],
    ]);
    expect(header(request, "content-type")).toMatch(/^multipart\/form-data; boundary=/);
    expect(header(request, "content-length")).toBe(String(request.body.length));
    expect(header(request, "transfer-encoding")).toBeUndefined();
    const form = await formOf(request);
    expect(form.get("title")).toBe("Q3 report");
    expect(form.get("summary")).toBe("quarterly notes");
    const doc = form.get("doc") as File;
    expect([doc.name, doc.type]).toEqual(["report.pdf", "application/pdf"]);
    expect(Buffer.from(await doc.arrayBuffer()).equals(PDF)).toBe(true);
    expect((form.get("raw") as File).type).toBe("application/x-custom");
  });

  it("is resent whole after a Digest challenge (the file is read from disk each time)", async () => {
    server.reset();
    const result = await runCli([
      `${server.url}/digest-auth/auth/u/p`,
      ...[
        "-A",
        "digest",
        "-a",
        "u:p",
        "-F",
        "title=t",
        "-F",
        `doc=@${file("big.bin", Buffer.alloc(2 * 1024 * 1024, 7))}`,
      ],
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("200 OK");
    expect(server.stats().challenges).toBe(1);
  });
});

describe("httpie's request items", () => {
  it("name=value and name:=json make a JSON object; Name:value a header; name==value the query", async () => {
    const request = await sent([
      `${recorder.url}/items?a=1`,
      ...["name=x", "count:=3", 'tags:=["a","b"]', "X-Trace:t-1", "User-Agent:", "q==two words"],
    ]);
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/items?a=1&q=two%20words");
    expect(JSON.parse(request.body.toString())).toEqual({ name: "x", count: 3, tags: ["a", "b"] });
    expect(header(request, "content-type")).toBe("application/json");
    expect(header(request, "accept")).toBe("application/json, */*;q=0.5");
    expect(header(request, "x-trace")).toBe("t-1");
    // `Name:` with nothing after it drops a default header.
    expect(header(request, "user-agent")).toBeUndefined();
  });

  it("name@FILE uploads a file: the other fields go in the same multipart form", async () => {
    const request = await sent([`${recorder.url}/items`, "title=t", `doc@${file("a.json", "{}")}`]);
    const form = await formOf(request);
    expect(form.get("title")).toBe("t");
    expect((form.get("doc") as File).type).toBe("application/json");
  });
});
