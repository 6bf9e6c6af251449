import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { useTestServer } from "./helpers/server.js";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "..");
const server = useTestServer();

/** Runs an example with tsx, the host swapped for the test server's; `authflow` resolves to src/ (tsconfig paths). */
async function example(name: string): Promise<string> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", resolve(root, "examples", name)], {
    cwd: root,
    env: { ...process.env, BASE_URL: server.url },
  });
  return stdout;
}

describe("the seed's examples, in TypeScript, against the test server", () => {
  it("basic.ts prints 200 twice", async () => {
    expect((await example("basic.ts")).trim().split("\n")).toEqual(["200", "200"]);
  });

  it("digest.ts prints 200 after a challenge", async () => {
    server.reset();
    expect((await example("digest.ts")).trim()).toBe("200");
    expect(server.stats().challenges).toBe(1);
  });

  it("bearer.ts prints 200 for the header and for the custom Auth class", async () => {
    expect((await example("bearer.ts")).trim().split("\n")).toEqual(["200", "200"]);
  });

  it("oauth-client-credentials.ts works by hand, then with one token request for three calls", async () => {
    server.reset();
    const lines = (await example("oauth-client-credentials.ts")).trim().split("\n");
    expect(lines[0]).toMatch(/^200 /);
    expect(lines.slice(-3)).toEqual(["200", "200", "200"]);
    expect(server.stats().tokenRequests).toBe(2); // one by hand, one for ClientCredentialsAuth
  });
});
