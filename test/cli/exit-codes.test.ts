import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { builtCli, runCli } from "./helpers.js";

let server: TestServer;
beforeAll(async () => {
  builtCli();
  server = await startTestServer();
});
afterAll(() => server.close());

/** A loopback port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe("exit status", () => {
  it("is 2 with the usage for wrong flags and command lines that cannot run", async () => {
    const url = `${server.url}/anything`;
    // A few through the built CLI; test/cli/args.test.ts checks every rule in-process.
    const cases = [
      [["--no-such-flag", url], /unknown option --no-such-flag/],
      [[], /a URL is needed/],
      [["-a", "u:p", "--token", "t", url], /conflicting credentials: -a and --token/],
      [["-A", "oauth2", "--client-id", "c", url], /--token-url URL, --issuer URL, or --allowed-issuer URL/],
      [["--timeout", "soon", url], /--timeout needs a number of seconds/],
      [["serve", "--port", "70000"], /--port needs a whole number/],
    ] as const;
    for (const [args, message] of cases) {
      const result = await runCli(args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toContain("usage: authflow [METHOD] URL");
      expect(result.stdout).toBe("");
    }
  });

  it("is 2 when a password is needed and there is no terminal at all to ask on", async () => {
    // runCli starts the CLI in a session of its own: no controlling terminal, no /dev/tty.
    const result = await runCli([`${server.url}/basic-auth/u/p`, "-a", "u"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no password for u, and no terminal to ask on: set AUTHFLOW_PASSWORD/);
  });

  it("is 1 with one line on stderr for a network failure, and the stack with --verbose", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/x`;
    const plain = await runCli([url]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/^authflow: error: the request failed: connect ECONNREFUSED 127\.0\.0\.1:\d+\n$/);
    const verbose = await runCli([url, "-v"]);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/\n {4}at /);
    expect(verbose.stderr).toMatch(/caused by: Error: connect ECONNREFUSED/);
  });

  it("is 28 for a timeout, with a message that names the --timeout flag, not the library's option", async () => {
    // A server that reads the request and never answers (reading lets it see the client leave).
    const silent = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = silent.address() as { port: number };
      const result = await runCli([`http://127.0.0.1:${port}/x`, "--timeout", "0.2"]);
      expect(result.code).toBe(28);
      expect(result.stderr).toMatch(/TimeoutError/);
      expect(result.stderr).toContain("--timeout");
      expect(result.stderr).not.toContain("`timeout`");
    } finally {
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("is 1 when the server rejects the credentials (final 401), with a clear line", async () => {
    const result = await runCli(["-a", "u", `${server.url}/basic-auth/u/p`], { env: { AUTHFLOW_PASSWORD: "wrong" } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("authflow: the server did not accept the credentials (401 Unauthorized)");
  });

  it("is 0 for a 401 without credentials, and for 4xx/5xx without --check-status (as httpie)", async () => {
    expect((await runCli([`${server.url}/basic-auth/u/p`])).code).toBe(0);
    expect((await runCli([`${server.url}/status/500`])).code).toBe(0);
  });

  it("is 3, 4 or 5 with --check-status for a 3xx, 4xx or 5xx answer", async () => {
    const redirect = `${server.url}/redirect-to?url=%2Fanything`;
    expect((await runCli([redirect, "--check-status", "--max-redirects", "0"])).code).toBe(3);
    expect((await runCli([`${server.url}/status/404`, "--check-status"])).code).toBe(4);
    expect((await runCli(["--check-status", `${server.url}/status/503`])).code).toBe(5);
    expect((await runCli([`${server.url}/status/204`, "--check-status"])).code).toBe(0);
    const rejected = await runCli([`${server.url}/basic-auth/u/p`, "-a", "u:wrong", "--check-status"]);
    expect(rejected.code).toBe(4);
  });

  it("is 0 for --help and --version", async () => {
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    for (const option of [
      "--auth-type",
      "--token-env",
      "--client-secret-env",
      "--netrc",
      "--check-status",
      "--insecure-auth",
    ]) {
      expect(help.stdout).toContain(option);
    }
    const version = await runCli(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});
