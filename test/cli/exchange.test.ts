// Issue 19.6 and 19.7: `-v` omitted headers the transport added (fetch's `accept-language: *`,
// `sec-fetch-mode: cors`…) and redacted `access-control-allow-credentials: true`; Basic sent to a
// Digest server ended in a bare 401. Now the CLI sends only its own headers and -v shows the block
// as written on the wire; --anyauth answers Digest or Basic; a 401 names the scheme asked for.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { builtCli, runCli } from "./helpers.js";
import { header, type Recorder, startRecorder } from "./recorder.js";

let recorder: Recorder;
let server: TestServer;
beforeAll(async () => {
  builtCli();
  [recorder, server] = await Promise.all([startRecorder(), startTestServer()]);
});
afterAll(() => Promise.all([recorder.close(), server.close()]));

/** The `> name: value` lines of a -v log, in order, for its `index`th request. */
function loggedHeaders(stderr: string, index = 0): Array<[string, string]> {
  const blocks = stderr.split(/^> [A-Z]+ \S+ HTTP\/1\.1$/m).slice(1);
  const lines = (blocks[index] ?? "").split("\n").filter((line) => line.startsWith("> ") && !line.startsWith("> ("));
  return lines.map((line) => {
    const colon = line.indexOf(": ");
    return [line.slice(2, colon), line.slice(colon + 2)];
  });
}

describe("-v is the request as sent", () => {
  it("shows every header line the server received, in its order, and no browser header is sent", async () => {
    const result = await runCli([`${recorder.url}/x?page=2`, "-v", "-H", "X-Custom: one", "-d", "a=1"]);
    expect(result.code).toBe(0);
    const received = recorder.requests.at(-1)?.headers.map(([name, value]) => [name.toLowerCase(), value]);
    expect(loggedHeaders(result.stderr)).toEqual(received);
    expect(result.stderr).toMatch(/^> POST \/x\?page=2 HTTP\/1\.1$/m);
    const names = received?.map(([name]) => name);
    for (const browserOnly of ["accept-language", "sec-fetch-mode", "accept-encoding"]) {
      expect(names).not.toContain(browserOnly);
    }
    expect(header(recorder.requests.at(-1) as never, "user-agent")).toMatch(/^authflow\//);
  });

  it("redacts by what a name means: credentials yes, headers that only talk about them no", async () => {
    recorder.answer((_request, _body, response) => {
      response.writeHead(200, {
        "access-control-allow-credentials": "true",
        "x-ratelimit-remaining": "41",
        "set-cookie": "session=CANARY-cookie-1234",
        "x-upstream-authorization": "Bearer CANARY-upstream-5678",
      });
      response.end();
    });
    try {
      const result = await runCli([`${recorder.url}/cors`, "-v"]);
      expect(result.stderr).toContain("< access-control-allow-credentials: true");
      expect(result.stderr).toContain("< x-ratelimit-remaining: 41");
      expect(result.stderr).toContain("< set-cookie: [redacted]");
      expect(result.stderr).toContain("< x-upstream-authorization: Bearer [redacted]");
      expect(result.stderr).not.toContain("CANARY");
    } finally {
      recorder.answer(undefined);
    }
  });
});

describe("which scheme the server asks for", () => {
  it("--anyauth answers a Digest server with Digest, and a Basic one with Basic", async () => {
    server.reset();
    const digest = await runCli(["--anyauth", "-a", "u:p", `${server.url}/digest-auth/auth/u/p`, "-v"]);
    expect(digest.code).toBe(0);
    expect(digest.stderr).toMatch(/> authorization: Digest \[redacted\]/);
    expect(server.stats().challenges).toBe(1);
    const basic = await runCli(["--anyauth", "-a", "u:p", `${server.url}/basic-auth/u/p`, "-v"]);
    expect(basic.code).toBe(0);
    expect(basic.stderr).toMatch(/> authorization: Basic \[redacted\]/);
  });

  it("--anyauth prefers Digest when both are offered: the password is never sent", async () => {
    recorder.answer((request, _body, response) => {
      if (request.headers.authorization === undefined) {
        response.writeHead(401, {
          "www-authenticate": ['Basic realm="r"', 'Digest realm="r", nonce="abc", qop="auth"'],
        });
      } else response.writeHead(200);
      response.end();
    });
    try {
      const result = await runCli(["--anyauth", "-a", "u:CANARY-pw", `${recorder.url}/both`]);
      expect(result.code).toBe(0);
      const [first, second] = recorder.requests.slice(-2);
      expect(first && header(first, "authorization")).toBeUndefined();
      expect(second && header(second, "authorization")).toMatch(/^Digest username="u"/);
    } finally {
      recorder.answer(undefined);
    }
  });

  it("without --anyauth, a 401 names the scheme the server asked for and how to answer it", async () => {
    const wrong = await runCli(["-a", "u:p", `${server.url}/digest-auth/auth/u/p`]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("authflow: the server did not accept the credentials (401 Unauthorized)");
    expect(wrong.stderr).toMatch(/the server asks for Digest \(realm "[^"]+"\), not Basic: use -A digest -a USER/);
    const none = await runCli([`${server.url}/basic-auth/u/p`]);
    expect(none.code).toBe(0);
    expect(none.stderr).toMatch(/the server asks for Basic \(realm "[^"]+"\): answer with -a USER/);
    const right = await runCli(["-A", "digest", "-a", "u:wrong", `${server.url}/digest-auth/auth/u/p`]);
    expect(right.code).toBe(1);
    expect(right.stderr).not.toContain("asks for");
  });
});
