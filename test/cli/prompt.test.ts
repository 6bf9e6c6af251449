// Issue 19.1: `echo '{"a":1}' | authflow -a user -d @- URL` said "run in a terminal to be asked"
// while the user was in one: the prompt read stdin. It now asks on the controlling terminal
// (/dev/tty), as curl and httpie do, whatever stdin is; only with no terminal at all does it say so.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtCli, hasScript, runCli, runInTerminal } from "./helpers.js";
import { header, type Recorder, startRecorder } from "./recorder.js";

let recorder: Recorder;
const directory = mkdtempSync(join(tmpdir(), "authflow-cli-prompt-"));

beforeAll(async () => {
  builtCli();
  recorder = await startRecorder();
});
afterAll(async () => {
  await recorder.close();
  rmSync(directory, { recursive: true, force: true });
});

describe.skipIf(!hasScript())("the prompt is on the controlling terminal", () => {
  it("asks on the terminal while stdin is the body, and sends both", async () => {
    const body = join(directory, "body.json");
    writeFileSync(body, '{"a":1}');
    const secret = "CANARY-tty-password";
    const result = await runInTerminal(["-a", "user", "-d", "@-", "--json", `${recorder.url}/upload`], {
      stdinFile: body,
      answer: { after: "Password for user: ", text: secret },
    });
    expect(result.code).toBe(0);
    expect(result.screen).not.toContain(secret);
    expect(result.screen).not.toContain("no terminal");
    const request = recorder.requests.at(-1);
    expect(request?.body.toString()).toBe('{"a":1}');
    expect(request && header(request, "authorization")).toBe(`Basic ${btoa(`user:${secret}`)}`);
  });

  it("asks for a client secret the same way when stdin is not the terminal", async () => {
    const empty = join(directory, "empty");
    writeFileSync(empty, "");
    const result = await runInTerminal(
      [`${recorder.url}/x`, "--token-url", `${recorder.url}/token`, "--client-id", "c"],
      { stdinFile: empty, answer: { after: "Client secret for c: ", text: "\u0003" } },
    );
    // Ctrl-C at the prompt: it was asked (on the terminal), and cancelled.
    expect(result.code).toBe(130);
  });
});

describe("with no terminal at all", () => {
  it("says so, and what to set instead (exit 2)", async () => {
    const password = await runCli(["-a", "u", `${recorder.url}/x`]);
    expect(password.code).toBe(2);
    expect(password.stderr).toContain("no password for u, and no terminal to ask on: set AUTHFLOW_PASSWORD");
    const token = await runCli(["-A", "bearer", `${recorder.url}/x`]);
    expect(token.stderr).toContain("no bearer token, and no terminal to ask on: use --token-env VAR");
  });
});
