// Issue 12.6: the CLI printed server-controlled text raw — a reason phrase with ESC/BEL could
// redraw a failed login as a green "200 OK" and retitle the window. Everything the server
// controls now reaches a terminal with its control characters (C0, DEL, C1, bidi overrides)
// shown escaped; a pipe still gets the body byte for byte.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtCli, hasScript, runCli, runInTerminal } from "./helpers.js";

/** Redraws the line as a green "200 OK", rings the bell and retitles the window. */
const HOSTILE_REASON = "\u001b[2K\u001b[1G\u001b[32m200 OK\u001b]0;pwned\u0007";
const SHOWN_REASON = "\\x1b[2K\\x1b[1G\\x1b[32m200 OK\\x1b]0;pwned\\x07";
// Header bytes are read as Latin-1: 0x9b arrives as U+009B, the 8-bit CSI.
const HOSTILE_HEADER = "a\u009b2Jb\u0085c";
const HOSTILE_TEXT = "one \u001b[31mred\u001b]0;t\u0007 \u202eevil\u202c \u2066x\u2069 \u009b2J \u007f\rover\r\nnext\n";
const HOSTILE_JSON = '{"k\u202e":"v\u009b2J\u007f \\u001b[31m \u2067","n":1}';

let server: Server;
let base = "";

/** Answers with raw bytes on the socket: node:http would refuse to send these reason phrases. */
function answer(request: IncomingMessage, head: readonly string[], body: string): void {
  const bytes = Buffer.from(body, "utf8");
  const lines = [...head, `Content-Length: ${bytes.length}`, "Connection: close"].join("\r\n");
  request.socket.end(Buffer.concat([Buffer.from(`${lines}\r\n\r\n`, "latin1"), bytes]));
}

beforeAll(async () => {
  builtCli();
  server = createServer((request) => {
    const path = request.url ?? "/";
    if (path.startsWith("/reason")) {
      const status = path.includes("ok") ? 200 : 401;
      answer(
        request,
        [`HTTP/1.1 ${status} ${HOSTILE_REASON}`, `X-Evil: ${HOSTILE_HEADER}`, "Content-Type: text/plain"],
        HOSTILE_TEXT,
      );
    } else if (path.startsWith("/json")) {
      answer(request, ["HTTP/1.1 200 OK", "Content-Type: application/json"], HOSTILE_JSON);
    } else {
      // A Digest challenge whose algorithm the library's error message quotes.
      answer(
        request,
        ["HTTP/1.1 401 Unauthorized", 'WWW-Authenticate: Digest realm="r", nonce="n", algorithm="X\u009b]0;t"'],
        "",
      );
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

/** The characters of `screen` a terminal would act on: C0 but LF, TAB and the CR of a line end; DEL; C1; bidi. */
function unsafeCharacters(screen: string): string[] {
  const found: string[] = [];
  for (let index = 0; index < screen.length; index++) {
    const code = screen.charCodeAt(index);
    const lineEnd = code === 0x0d && /[\r\n]/.test(screen[index + 1] ?? "");
    const c0 = code < 0x20 && code !== 0x0a && code !== 0x09 && !lineEnd;
    const bidi = (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
    if (c0 || (code >= 0x7f && code <= 0x9f) || bidi) found.push(`U+${code.toString(16).padStart(4, "0")}`);
  }
  return found;
}

// The CLI's own colours: painting is allowed, only on the CLI's own terms.
const OWN_COLOURS = new RegExp(`${String.fromCharCode(0x1b)}\\[(?:0|1|2|31|32|33|34;1|36)m`, "g");

describe.skipIf(!hasScript())("server-controlled text on a terminal", () => {
  it("the status line and the rejected-credentials line show a hostile reason phrase escaped", async () => {
    const result = await runInTerminal([`${base}/reason`, "-a", "u"], {
      env: { NO_COLOR: "1", AUTHFLOW_PASSWORD: "pass-word" },
    });
    expect(result.code).toBe(1);
    expect(unsafeCharacters(result.screen)).toEqual([]);
    expect(result.screen).toContain(`401 ${SHOWN_REASON}\r\n`);
    expect(result.screen).toContain(`the server did not accept the credentials (401 ${SHOWN_REASON})`);
  });

  it("-v headers, in colour: nothing but the CLI's own colour codes reaches the terminal", async () => {
    const result = await runInTerminal([`${base}/reason?ok`, "-v"]);
    expect(result.code).toBe(0);
    expect(result.screen).toMatch(OWN_COLOURS); // colours are on
    expect(unsafeCharacters(result.screen.replace(OWN_COLOURS, ""))).toEqual([]);
    expect(result.screen).toContain(SHOWN_REASON);
    expect(result.screen).toContain("a\\x9b2Jb\\x85c");
  });

  it("a text body is shown with its control characters, C1 and bidi overrides escaped, line breaks kept", async () => {
    const result = await runInTerminal([`${base}/reason?ok`], { env: { NO_COLOR: "1" } });
    expect(unsafeCharacters(result.screen)).toEqual([]);
    expect(result.screen).toContain(
      "one \\x1b[31mred\\x1b]0;t\\x07 \\u202eevil\\u202c \\u2066x\\u2069 \\x9b2J \\x7f\\x0dover\r\r\nnext\r\n",
    );
  });

  it("a JSON body is pretty-printed with the control characters of its strings escaped, in colour too", async () => {
    for (const env of [{ NO_COLOR: "1" }, {}]) {
      const result = await runInTerminal([`${base}/json`], { env });
      expect(unsafeCharacters(result.screen.replace(OWN_COLOURS, ""))).toEqual([]);
      expect(result.screen).toContain("\\u202e");
      expect(result.screen).toContain("v\\x9b2J\\x7f \\u001b[31m \\u2067");
    }
  });

  it("an error message that quotes the server is escaped", async () => {
    const result = await runInTerminal(["-A", "digest", "-a", "u", `${base}/digest`], {
      env: { NO_COLOR: "1", AUTHFLOW_PASSWORD: "pass-word" },
    });
    expect(result.code).toBe(1);
    expect(unsafeCharacters(result.screen)).toEqual([]);
    expect(result.screen).toContain("offered: X\\x9b]0;t");
  });
});

describe("server-controlled text, piped", () => {
  it("stdout gets the body byte for byte; stderr is escaped all the same", async () => {
    const result = await runCli([`${base}/reason?ok`, "-v"]);
    expect(result.code).toBe(0);
    expect(result.stdoutBytes.equals(Buffer.from(HOSTILE_TEXT, "utf8"))).toBe(true);
    expect(unsafeCharacters(result.stderr)).toEqual([]);
    expect(result.stderr).toContain(`< 200 ${SHOWN_REASON}`);
  });
});
