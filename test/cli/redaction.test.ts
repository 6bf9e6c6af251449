import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultClients, startTestServer, type TestServer } from "../../src/server/index.js";
import { builtCli, type CliResult, runCli } from "./helpers.js";

let server: TestServer;
const directory = mkdtempSync(join(tmpdir(), "authflow-cli-redaction-"));
const CLIENT_SECRET = "CANARY-client-secret-3f9a";

beforeAll(async () => {
  builtCli();
  server = await startTestServer({
    clients: [
      ...defaultClients(),
      { clientId: "canary-basic", authMethod: "client_secret_basic", clientSecret: CLIENT_SECRET },
      { clientId: "canary-post", authMethod: "client_secret_post", clientSecret: CLIENT_SECRET },
    ],
  });
});
afterAll(async () => {
  await server.close();
  rmSync(directory, { recursive: true, force: true });
});

/** Neither stream holds the secret, its Basic encoding, or an unredacted credential header. */
function expectNoSecret(result: CliResult, secret: string, username = "u"): void {
  for (const [stream, text] of [
    ["stdout", result.stdout],
    ["stderr", result.stderr],
  ] as const) {
    expect({ stream, leaked: text.includes(secret) }).toEqual({ stream, leaked: false });
    expect(text).not.toContain(btoa(`${username}:${secret}`));
    expect(text).not.toMatch(/authorization: (Basic|Bearer|Digest) (?!\[redacted\])/i);
  }
}

async function issuedToken(): Promise<string> {
  const response = await fetch(`${server.url}/oauth/token`, {
    method: "POST",
    headers: { authorization: `Basic ${btoa("basic-client:basic-secret")}` },
    body: new URLSearchParams({ grant_type: "client_credentials" }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

const WARNING = /authflow: warning: .*command line/;

describe("no secret in stdout or stderr, even with -v", () => {
  it("Basic: a password given with -a (warned about) or from AUTHFLOW_PASSWORD (not)", async () => {
    const secret = "CANARY-basic-pw-71c2";
    const given = await runCli([`${server.url}/basic-auth/u/${secret}`, "-v", "-a", `u:${secret}`]);
    expect(given.code).toBe(0);
    expect(given.stderr).toMatch(WARNING);
    expect(given.stderr).toContain("authorization: Basic [redacted]");
    expectNoSecret(given, secret);
    const fromEnv = await runCli([`${server.url}/basic-auth/u/${secret}`, "-v", "-a", "u"], {
      env: { AUTHFLOW_PASSWORD: secret },
    });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stderr).not.toMatch(WARNING);
    expectNoSecret(fromEnv, secret);
  });

  it("Digest: the password and the response hash", async () => {
    const secret = "CANARY-digest-pw-5d0e";
    const result = await runCli([
      "-A",
      "digest",
      "-a",
      `u:${secret}`,
      "-v",
      `${server.url}/digest-auth/auth/u/${secret}`,
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("authorization: Digest [redacted]");
    expect(result.stderr).not.toMatch(/response=/);
    expectNoSecret(result, secret);
  });

  it("Bearer: a token from --token (warned about) and from --token-env (not)", async () => {
    const token = await issuedToken();
    // The = form: a base64url token may start with a dash, which parseArgs would take for an option.
    const given = await runCli([`${server.url}/oauth/protected`, "-v", `--token=${token}`]);
    expect(given.code).toBe(0);
    expect(given.stderr).toMatch(WARNING);
    expectNoSecret(given, token);
    const fromEnv = await runCli([`${server.url}/oauth/protected`, "-v", "--token-env", "API_TOKEN"], {
      env: { API_TOKEN: token },
    });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stderr).not.toMatch(WARNING);
    expect(fromEnv.stderr).toContain("authorization: Bearer [redacted]");
    expectNoSecret(fromEnv, token);
  });

  it("OAuth 2.0: the client secret (Basic or in the form) and the access token", async () => {
    const clients = [
      ["canary-basic", "client_secret_basic"],
      ["canary-post", "client_secret_post"],
    ] as const;
    for (const [clientId, method] of clients) {
      const result = await runCli(
        [
          `${server.url}/oauth/protected`,
          "-v",
          "--token-url",
          `${server.url}/oauth/token`,
          "--client-id",
          clientId,
        ].concat(["--client-secret-env", "CLIENT_SECRET", "--client-auth", method]),
        { env: { CLIENT_SECRET } },
      );
      expect(result.code).toBe(0);
      expect(result.stderr).toContain("> POST /oauth/token");
      expect(result.stderr).not.toMatch(WARNING);
      expectNoSecret(result, CLIENT_SECRET, clientId);
      expect(result.stderr).not.toMatch(/access_token/);
    }
  });

  it("OAuth 2.0: a rejected client secret stays out of the error, the stack included", async () => {
    const result = await runCli(
      [
        `${server.url}/oauth/protected`,
        "-v",
        "--token-url",
        `${server.url}/oauth/token`,
        "--client-id",
        "canary-post",
      ].concat(["--client-secret-env", "CLIENT_SECRET", "--client-auth", "client_secret_post"]),
      { env: { CLIENT_SECRET: "CANARY-wrong-secret-0b1d" } },
    );
    expect(result.code).toBe(1);
    expectNoSecret(result, "CANARY-wrong-secret-0b1d", "canary-post");
  });

  it("netrc: the password from the file", async () => {
    const secret = "CANARY-netrc-pw-8e44";
    const netrc = join(directory, "netrc");
    writeFileSync(netrc, `machine 127.0.0.1 login u password ${secret}\n`, { mode: 0o600 });
    const result = await runCli([`${server.url}/status/200`, "-v", "--netrc-file", netrc]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("authorization: Basic [redacted]");
    expectNoSecret(result, secret);
  });

  it("a credential header given with -H (warned about, redacted in the log)", async () => {
    const secret = "CANARY-header-key-92aa";
    const result = await runCli([
      `${server.url}/status/200`,
      "-v",
      "-H",
      `X-Api-Key: ${secret}`,
      "-H",
      `Authorization: Bearer ${secret}`,
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: the X-Api-Key header was given on the command line/);
    expect(result.stderr).toContain("x-api-key: [redacted]");
    expectNoSecret(result, secret);
  });
});
