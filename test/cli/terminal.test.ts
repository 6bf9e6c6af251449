import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { builtCli, hasScript, runCli, runInTerminal } from "./helpers.js";

let server: TestServer;
beforeAll(async () => {
  builtCli();
  server = await startTestServer();
});
afterAll(() => server.close());

const ESCAPE = "\u001b[";

describe("piped output", () => {
  it("is the raw bytes the server sent, without colours", async () => {
    const url = `${server.url}/basic-auth/u/p`;
    const direct = new Uint8Array(
      await (await fetch(url, { headers: { authorization: `Basic ${btoa("u:p")}` } })).arrayBuffer(),
    );
    const result = await runCli([url, "-a", "u"], { env: { AUTHFLOW_PASSWORD: "p" } });
    expect(result.code).toBe(0);
    expect(new Uint8Array(result.stdoutBytes)).toEqual(direct);
    expect(result.stdout).not.toContain(ESCAPE);
    expect(result.stderr).not.toContain(ESCAPE);
    expect(result.stderr).toBe("200 OK\n");
  });
});

describe("AUTHFLOW_DEBUG", () => {
  it("writes its lines to stderr: `authflow … > file` gets the body byte for byte", async () => {
    const url = `${server.url}/digest-auth/auth/u/p`;
    const direct = await runCli(["-A", "digest", "-a", "u:p", url]);
    const debugged = await runCli(["-A", "digest", "-a", "u:p", url], { env: { AUTHFLOW_DEBUG: "1" } });
    expect(debugged.code).toBe(0);
    expect(debugged.stdoutBytes.equals(direct.stdoutBytes)).toBe(true);
    expect(debugged.stdout).not.toContain("authflow:");
    expect(debugged.stderr).toMatch(/authflow: GET http:\/\/127\.0\.0\.1:\d+ → 401/);
  });
});

describe.skipIf(!hasScript())("terminal output (a pseudo-terminal)", () => {
  it("pretty-prints and colours JSON", async () => {
    const result = await runInTerminal([`${server.url}/basic-auth/u/p`, "-a", "u"], {
      env: { AUTHFLOW_PASSWORD: "p" },
    });
    expect(result.code).toBe(0);
    expect(result.screen).toContain(`${ESCAPE}34;1m"authenticated"${ESCAPE}0m: ${ESCAPE}33mtrue${ESCAPE}0m`);
    expect(result.screen).toContain(`${ESCAPE}32m200 OK`);
  });

  it("pretty-prints without colours when NO_COLOR is set", async () => {
    const result = await runInTerminal([`${server.url}/anything?a=1`], { env: { NO_COLOR: "1" } });
    expect(result.code).toBe(0);
    expect(result.screen).not.toContain("\u001b");
    expect(result.screen).toMatch(/\r\n {2}"args": \{\r\n {4}"a": "1"\r\n {2}\},/);
  });

  it("asks for the password without echoing it, and uses it", async () => {
    const secret = "CANARY-typed-password";
    const result = await runInTerminal([`${server.url}/basic-auth/u/${secret}`, "-a", "u"], {
      answer: { after: "Password for u: ", text: secret },
    });
    expect(result.code).toBe(0);
    expect(result.screen).toContain("Password for u: ");
    expect(result.screen).toContain("authenticated");
    expect(result.screen).not.toContain(secret);
    expect(result.screen).not.toContain("warning");
  });

  it("asks for a bearer token without echoing it", async () => {
    const secret = "CANARY-typed-token";
    const result = await runInTerminal([`${server.url}/status/204`, "-A", "bearer", "-v"], {
      answer: { after: "Bearer token: ", text: secret },
    });
    expect(result.code).toBe(0);
    expect(result.screen).toContain("Bearer [redacted]");
    expect(result.screen).not.toContain(secret);
  });

  it("exits 130 when the prompt is cancelled with Ctrl-C", async () => {
    const result = await runInTerminal([`${server.url}/basic-auth/u/p`, "-a", "u"], {
      answer: { after: "Password for u: ", text: "\u0003" },
    });
    expect(result.code).toBe(130);
  });
});
