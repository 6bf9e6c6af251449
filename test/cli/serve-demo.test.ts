import { spawn } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { runDemo } from "../../src/cli/demo.js";
import { builtCli, environment, runCli } from "./helpers.js";

/** Starts `authflow serve …`, waits for its URL, and returns it with the child. */
async function startServe(args: readonly string[]) {
  const child = spawn(process.execPath, [builtCli(), "serve", ...args], { env: environment(), stdio: "pipe" });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", () => {
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match !== null && stdout.includes("stop: Ctrl-C")) resolve(match[1] as string);
    });
    void exited.then((code) => reject(new Error(`serve exited early (${code})`)));
  });
  return { child, url, exited, output: () => stdout };
}

beforeAll(() => {
  builtCli();
});

describe("authflow serve", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`serves every route family, prints its routes, and stops cleanly on ${signal}`, async () => {
      const serve = await startServe(["--port", "0", "--host", "127.0.0.1", "--token-ttl", "7"]);
      try {
        await exercise(serve.url, serve.output());
      } finally {
        serve.child.kill(signal);
      }
      expect(await serve.exited).toBe(0);
      expect(serve.output()).toMatch(new RegExp(`${signal}: stopping\\nstopped\\n$`));
    });
  }
});

/** Every route family answers, and the CLI works against the server the CLI started. */
async function exercise(url: string, output: string): Promise<void> {
  for (const route of ["/basic-auth/", "/digest-auth/", "/bearer", "/oauth/token", "/_stats"]) {
    expect(output).toContain(route);
  }
  const basic = await fetch(`${url}/basic-auth/u/p`, { headers: { authorization: `Basic ${btoa("u:p")}` } });
  expect(basic.status).toBe(200);
  const token = await fetch(`${url}/oauth/token`, {
    method: "POST",
    headers: { authorization: `Basic ${btoa("basic-client:basic-secret")}` },
    body: new URLSearchParams({ grant_type: "client_credentials" }),
  });
  expect(((await token.json()) as { expires_in: number }).expires_in).toBe(7);
  // The CLI against the server the CLI started.
  const request = await runCli([`${url}/digest-auth/auth/u/p`, "-A", "digest", "-a", "u:p"]);
  expect(request.code).toBe(0);
}

describe("authflow demo", () => {
  it("runDemo passes every scenario end to end, one line each and a summary", async () => {
    const lines: string[] = [];
    expect(await runDemo({ out: (line) => lines.push(line) })).toBe(true);
    const steps = lines.filter((line) => /^[✓✗] /.test(line)).slice(0, -1);
    expect(steps.length).toBeGreaterThanOrEqual(9);
    expect(steps.every((line) => line.startsWith("✓ "))).toBe(true);
    for (const scheme of ["Basic", "Digest", "Bearer", "OAuth 2.0"]) {
      expect(steps.some((line) => line.includes(scheme))).toBe(true);
    }
    expect(lines.join("\n")).toMatch(/token reused .*1 token request/);
    expect(lines.join("\n")).toMatch(/token refreshed .*2 token requests, a new token/);
    expect(lines.at(-1)).toBe(`✓ ${steps.length} of ${steps.length} scenarios passed`);
  });

  it("the built `authflow demo` exits 0 and prints every scenario", async () => {
    const result = await runCli(["demo"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✓ 9 of 9 scenarios passed\n$/);
  });
});
