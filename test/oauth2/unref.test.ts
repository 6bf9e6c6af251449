import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { useTestServer } from "../helpers/server.js";

const server = useTestServer({ faults: true });

/** Runs a fixture script in a child Node process against the test server. */
function runFixture(name: string): Promise<{ code: number | null; stdout: string }> {
  const fixture = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  return new Promise((resolve) => {
    // The 20 s kill is a safety net for a regression (a ref'd timer would hold the child for an hour).
    const child = execFile(
      process.execPath,
      ["--import", "tsx", fixture, server.url],
      { timeout: 20_000 },
      (error, out) => resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? null), stdout: out }),
    );
    child.stdin?.end();
  });
}

describe("refresh timers never keep a process alive", () => {
  it("a process whose only pending work is a background refresh waiting an hour exits on its own", async () => {
    server.reset();
    const { code, stdout } = await runFixture("background-refresh.ts");
    expect({ code, stdout: stdout.trim() }).toEqual({ code: 0, stdout: "served-old-token" });
    expect(server.stats().tokenRequests).toBe(2); // the first token, then the 429 the refresh is waiting out
  }, 30_000);

  it("but a caller awaiting its token is kept alive through the backoff", async () => {
    server.reset();
    const { code, stdout } = await runFixture("foreground-wait.ts");
    expect({ code, stdout: stdout.trim() }).toEqual({ code: 0, stdout: "Bearer" });
    expect(server.stats().tokenRequests).toBe(2);
  }, 30_000);
});
