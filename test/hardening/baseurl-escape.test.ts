/**
 * Issue 18, finding 2 (the class of axios CVE-2024-39338): a relative path
 * given to a Client with `baseURL` stays on baseURL's origin whatever its
 * slashes, backslashes, control characters, percent-encodings or Unicode —
 * per-request credentials and the body never reach another host. A string is
 * resolved against another origin only if it is an absolute URL itself.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveURL } from "../../src/front/client.js";
import { Client, InvalidURLError } from "../../src/index.js";
import { canaries } from "../helpers/canary.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";

const secrets = canaries("baseurl-escape");
const TOKEN = secrets.get("token");
const KEY = secrets.get("api-key");
const BODY = secrets.get("body");

let base: Recorder;
let other: Recorder;

beforeAll(async () => {
  base = await startRecorder();
  other = await startRecorder(undefined, { host: "127.0.0.2" });
});
afterAll(async () => {
  await base.close();
  await other.close();
});

/**
 * Whether `text` parses as a URL on its own. Not `URL.canParse`: Node 20's
 * optimised fast call of it answers wrongly for some strings after a few
 * thousand calls.
 */
function isAbsolute(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

/** Escapes that reached another host before the fix, and their relatives. */
function escapes(host: string): string[] {
  return [
    `///${host}/x`,
    `////${host}/x`,
    `/\\${host}/x`,
    `\\\\${host}/x`,
    `\\${host}/x`,
    `\\/${host}/x`,
    `/\t//${host}/x`,
    `/\n//${host}/x`,
    `/\r\n/${host}/x`,
    `\t//${host}/x`,
    ` //${host}/x`,
    `\u0000//${host}/x`,
    `\u001f///${host}/x`,
    `/ /${host}/x`,
    `//${host}/x`,
    `/\t/\t/${host}/x`,
    `%2F%2F${host}/x`,
    `/%2f/${host}/x`,
    `/%5C%5C${host}/x`,
    `／／${host}/x`,
    `＼＼${host}/x`,
    `/..//${host}/x`,
    `./..///${host}/x`,
    `../../..//${host}/x`,
  ];
}

describe("a relative path never leaves baseURL's origin", () => {
  it("each known escape lands on the base (or is refused), with the per-request credentials and body", async () => {
    const host = `127.0.0.2:${other.port}`;
    const client = new Client({ baseURL: `${base.url}/api/v1`, auth: ["user", "pass"] });
    for (const path of escapes(host)) {
      const before = base.requests.length;
      const outcome = await client
        .post(path, {
          headers: { authorization: `Bearer ${TOKEN}`, "x-api-key": KEY, cookie: `s=${TOKEN}` },
          body: BODY,
        })
        .then(
          (response) => response.status,
          (error: unknown) => error,
        );
      if (outcome instanceof Error) {
        expect(outcome, JSON.stringify(path)).toBeInstanceOf(InvalidURLError);
      } else {
        expect(outcome, JSON.stringify(path)).toBe(200);
        expect(base.requests.length - before, JSON.stringify(path)).toBe(1);
      }
    }
    expect(other.requests).toEqual([]);
  });

  it("an absolute URL to another origin goes there without the client's own credentials (the caller named it)", async () => {
    const client = new Client({ baseURL: base.url, auth: ["user", "pass"] });
    expect((await client.get(`${other.url}/absolute`)).status).toBe(200);
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
    other.requests.length = 0;
  });

  it("property: for any string that is not an absolute URL, the resolved origin is baseURL's", () => {
    const pieces = fc.constantFrom(
      "/",
      "//",
      "\\",
      "\\\\",
      "\t",
      "\n",
      "\r",
      " ",
      "\u0000",
      "\u001f",
      "\u007f",
      "\u00a0",
      "\u2028",
      "\ufeff",
      "%2f",
      "%2F",
      "%5c",
      "%5C",
      "%",
      "%%",
      "%00",
      "%0a",
      "%09",
      "..",
      ".",
      "%2e",
      "%2E%2e",
      "@",
      ":",
      "::",
      "?",
      "#",
      "[",
      "]",
      "[::1]",
      "evil.example",
      "127.0.0.2:9",
      "EVIL.EXAMPLE",
      "xn--e1a",
      "ｅｖｉｌ",
      "／",
      "＼",
      "⁄",
      "∕",
      "。",
      "．",
      "http:",
      "https:",
      "HTTP:",
      "h\tttp:",
      "javascript:",
      "data:",
      "file:",
      "x:",
      "a",
      "b-c",
      "é",
      "😀",
      "\ud800",
    );
    const bases = [
      "http://h.example/api/",
      "https://h.example:8443/a/b/",
      "http://127.0.0.1:9/",
      "http://[::1]:9/x%20y/",
    ];
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), fc.constantFrom(...bases), (parts, prefix) => {
        const path = parts.join("");
        if (isAbsolute(path)) return; // an absolute URL: the caller named its host
        let resolved: URL;
        try {
          resolved = resolveURL(path, prefix);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidURLError);
          return;
        }
        expect(resolved.origin, JSON.stringify(path)).toBe(new URL(prefix).origin);
      }),
      { numRuns: 5000 },
    );
  });

  it("property: random text, not just the special pieces, stays on the base too", () => {
    const prefix = "https://h.example/api/";
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (path) => {
        if (isAbsolute(path)) return;
        let resolved: URL;
        try {
          resolved = resolveURL(path, prefix);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidURLError);
          return;
        }
        expect(resolved.origin, JSON.stringify(path)).toBe("https://h.example");
      }),
      { numRuns: 5000 },
    );
  });
});
