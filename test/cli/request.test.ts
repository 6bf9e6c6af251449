import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, TEST_CLIENT_PRIVATE_JWK, type TestServer } from "../../src/server/index.js";
import { builtCli, runCli } from "./helpers.js";

let server: TestServer;
const directory = mkdtempSync(join(tmpdir(), "authflow-cli-"));

beforeAll(async () => {
  builtCli();
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
  rmSync(directory, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

const json = (text: string) => JSON.parse(text) as Record<string, unknown>;

describe("authflow [METHOD] URL: every scheme against the test server", () => {
  it("Basic with -a USER:PASS", async () => {
    const result = await runCli([`${server.url}/basic-auth/u/p`, "-a", "u:p"]);
    expect(result.code).toBe(0);
    expect(json(result.stdout)).toEqual({ authenticated: true, user: "u" });
    expect(result.stderr).toContain("200 OK");
  });

  it("Basic with the password from AUTHFLOW_PASSWORD, without a warning", async () => {
    const result = await runCli(["-a", "u", `${server.url}/basic-auth/u/p`], { env: { AUTHFLOW_PASSWORD: "p" } });
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain("warning");
  });

  it("Digest with -A digest: challenge then answer", async () => {
    server.reset();
    const result = await runCli(["-A", "digest", "-a", "u:p", `${server.url}/digest-auth/auth/u/p/SHA-256`]);
    expect(result.code).toBe(0);
    expect(json(result.stdout)).toEqual({ authenticated: true, user: "u" });
    expect(server.stats().challenges).toBe(1);
  });

  it("Bearer with --token, --token-env and -A bearer -a TOKEN", async () => {
    for (const [args, env] of [
      [["--token", "tok-1"], {}],
      [["--token-env", "API_TOKEN"], { API_TOKEN: "tok-1" }],
      [["-A", "bearer", "-a", "tok-1"], {}],
    ] as const) {
      const result = await runCli([`${server.url}/bearer`, ...args], { env });
      expect(result.code).toBe(0);
      expect(json(result.stdout)).toEqual({ authenticated: true, token: "tok-1" });
    }
  });

  it("Bearer with --token-env naming an unset variable fails with exit 1, naming it", async () => {
    const result = await runCli([`${server.url}/bearer`, "--token-env", "UNSET_TOKEN_VARIABLE"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^authflow: error: .*UNSET_TOKEN_VARIABLE/);
  });

  it("OAuth 2.0 client credentials with --token-url, each secret-based client auth method", async () => {
    const clients = [
      ["basic-client", "basic-secret", "client_secret_basic"],
      ["post-client", "post-secret", "client_secret_post"],
      ["jwt-client", "jwt-secret-that-is-at-least-32-bytes-long", "client_secret_jwt"],
    ] as const;
    for (const [clientId, secret, method] of clients) {
      const result = await runCli(
        [`${server.url}/oauth/protected`, "--token-url", `${server.url}/oauth/token`, "--client-id", clientId].concat([
          "--client-secret-env",
          "CLIENT_SECRET",
          "--client-auth",
          method,
          "--scope",
          "read write",
        ]),
        { env: { CLIENT_SECRET: secret } },
      );
      expect(result.stderr).toContain("200 OK");
      expect(json(result.stdout)).toMatchObject({ authenticated: true, client_id: clientId, scope: "read write" });
    }
  });

  it("OAuth 2.0 with --issuer (discovery) and private_key_jwt from a JWK file", async () => {
    const key = file("key.jwk", JSON.stringify(TEST_CLIENT_PRIVATE_JWK));
    const result = await runCli([
      `${server.url}/oauth/protected`,
      ...["--issuer", server.url, "--client-id", "pkjwt-client", "--client-auth", "private_key_jwt"],
      ...["--private-key", key, "--audience", "https://api.example.com"],
    ]);
    expect(result.code).toBe(0);
    expect(json(result.stdout)).toMatchObject({ client_id: "pkjwt-client", audience: "https://api.example.com" });
  });

  it("OAuth 2.0 with a wrong secret fails with exit 1 and the server's error", async () => {
    const result = await runCli(
      [
        `${server.url}/oauth/protected`,
        "--token-url",
        `${server.url}/oauth/token`,
        "--client-id",
        "basic-client",
      ].concat(["--client-secret-env", "CLIENT_SECRET"]),
      { env: { CLIENT_SECRET: "wrong" } },
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/invalid_client/);
  });

  it("netrc with --netrc-file, and with --netrc reading $NETRC", async () => {
    const netrc = file("netrc", "machine example.com login x password y\nmachine 127.0.0.1 login u password p\n");
    const fromFile = await runCli([`${server.url}/basic-auth/u/p`, "--netrc-file", netrc]);
    expect(fromFile.code).toBe(0);
    const fromEnv = await runCli([`${server.url}/basic-auth/u/p`, "--netrc"], { env: { NETRC: netrc } });
    expect(fromEnv.code).toBe(0);
    expect(json(fromEnv.stdout)).toEqual({ authenticated: true, user: "u" });
  });

  it("no credentials: the request goes out without Authorization", async () => {
    const result = await runCli([`${server.url}/anything`]);
    expect(result.code).toBe(0);
    const headers = Object.keys(json(result.stdout).headers as object).map((name) => name.toLowerCase());
    expect(headers).not.toContain("authorization");
    expect(headers).toContain("user-agent");
  });
});

describe("authflow [METHOD] URL: method, body and headers", () => {
  it("POSTs when -d is given without a method, and --json sets Content-Type and Accept", async () => {
    const result = await runCli([`${server.url}/anything`, "--json", "-d", '{"name":"x"}']);
    const echoed = json(result.stdout);
    expect(echoed.method).toBe("POST");
    expect(echoed.json).toEqual({ name: "x" });
    expect(echoed.headers).toMatchObject({ "content-type": "application/json", accept: "application/json, */*;q=0.5" });
  });

  it("takes the method first and options before or after the URL", async () => {
    const result = await runCli(["-H", "X-One: 1", "put", `${server.url}/anything`, "-d", "k=body", "-H", "X-Two: 2"]);
    const echoed = json(result.stdout);
    expect(echoed.method).toBe("PUT");
    expect(echoed.form).toEqual({ k: "body" });
    expect(echoed.headers).toMatchObject({ "x-one": "1", "x-two": "2" });
  });

  it("reads the body from a file with -d @FILE and from stdin with -d @-", async () => {
    const fromFile = await runCli(["POST", `${server.url}/anything`, "-d", `@${file("body.txt", "from a file")}`]);
    expect(json(fromFile.stdout).data).toBe("from a file");
    const fromStdin = await runCli(["POST", `${server.url}/anything`, "-d", "@-"], { input: "a=from+stdin" });
    expect(json(fromStdin.stdout).form).toEqual({ a: "from stdin" });
    const jsonStdin = await runCli(["POST", `${server.url}/anything`, "-d", "@-", "--json"], { input: '{"a":1}' });
    expect(json(jsonStdin.stdout).json).toEqual({ a: 1 });
  });

  it("follows redirects by default and not with --max-redirects 0", async () => {
    const target = encodeURIComponent(`${server.url}/anything`);
    const followed = await runCli([`${server.url}/redirect-to?url=${target}`]);
    expect(followed.stderr).toContain("200 OK");
    const kept = await runCli([`${server.url}/redirect-to?url=${target}`, "--max-redirects", "0"]);
    expect(kept.stderr).toContain("302 Found");
  });

  it("refuses credentials over plain HTTP to a host that is not loopback, unless --insecure-auth", async () => {
    const result = await runCli(["http://192.0.2.1/x", "-a", "u:p", "--timeout", "0.5"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/InsecureTransportError/);
    // In the CLI's words: the flag the user can type, not the library's option name.
    expect(result.stderr).toContain("--insecure-auth");
    expect(result.stderr).not.toContain("allowInsecureAuth");
  });
});
