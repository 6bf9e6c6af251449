// Issue 16, the command line: --dpop (a DPoP-bound token, a proof on every request, server nonces
// followed) and --allowed-issuer (RFC 9728 discovery from the resource's 401, nothing sent to an
// issuer off the list), against the embedded test server's DPoP routes and /resource/*.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { builtCli, runCli } from "./helpers.js";

const SECRET = { env: { SECRET: "basic-secret" } };
const CLIENT = ["--client-id", "basic-client", "--client-secret-env", "SECRET"];

let server: TestServer;
/** Demands a fresh nonce for every proof, and its resources require DPoP. */
let strict: TestServer;
/** A resource whose metadata names `elsewhere` as its authorization server. */
let lying: TestServer;
/** The authorization server `lying` names, which must never hear from the CLI. */
let elsewhere: TestServer;

beforeAll(async () => {
  builtCli();
  elsewhere = await startTestServer();
  [server, strict, lying] = await Promise.all([
    startTestServer(),
    startTestServer({ dpop: { requireNonce: true, nonceMode: "one-time" }, resourceMetadata: { dpopRequired: true } }),
    startTestServer({ resourceMetadata: { authorizationServers: [elsewhere.url] } }),
  ]);
});

afterAll(async () => {
  await Promise.all([server?.close(), strict?.close(), lying?.close(), elsewhere?.close()]);
});

describe("--dpop", () => {
  it("gets a DPoP-bound token and sends a fresh proof with every request", async () => {
    server.reset();
    const token = ["--token-url", `${server.url}/oauth/token`];
    const result = await runCli([`${server.url}/oauth/dpop-protected`, ...token, ...CLIENT, "--dpop", "-v"], SECRET);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ token_type: "DPoP", client_id: "basic-client" });
    const stats = server.stats();
    expect(stats.tokensIssuedByBinding.dpop).toBe(1);
    // One proof on the token request, one on the resource request.
    expect(stats.dpop.proofsAccepted).toBe(2);
    // -v shows the scheme, never the token or the proof.
    expect(result.stderr).toContain("authorization: DPoP [redacted]");
    expect(result.stderr).toContain("dpop: [redacted]");
    expect(result.stderr).not.toMatch(/eyJ[\w-]{8,}/);
  });

  it("follows use_dpop_nonce at the token endpoint and at the resource (one-time nonces)", async () => {
    strict.reset();
    const token = ["--token-url", `${strict.url}/oauth/token`];
    const result = await runCli([`${strict.url}/oauth/dpop-protected`, ...token, ...CLIENT, "--dpop"], SECRET);
    expect(result.code).toBe(0);
    expect(strict.stats().dpop.refusals.nonce).toBeGreaterThanOrEqual(1);
    expect(strict.stats().tokensIssuedByBinding.dpop).toBe(1);
  });

  it("without --dpop the same route refuses the Bearer token (the flag is what binds it)", async () => {
    const token = ["--token-url", `${server.url}/oauth/token`];
    const result = await runCli([`${server.url}/oauth/dpop-protected`, ...token, ...CLIENT, "--check-status"], SECRET);
    expect(result.code).toBe(4);
  });

  it.each([
    [["--dpop", "-a", "u:p"], "conflicting credentials: -a and --dpop"],
    [["--dpop", "--token-env", "T"], "conflicting credentials: --token-env and --dpop"],
    [["--dpop", "--client-id", "c"], "-A oauth2 needs one of --token-url URL, --issuer URL, or --allowed-issuer URL"],
  ])("goes with client credentials only: %j", async (args, message) => {
    const result = await runCli([...args, "http://127.0.0.1:9/"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe("--allowed-issuer (RFC 9728 discovery)", () => {
  it("finds the authorization server from the resource's 401 and gets a token for that resource", async () => {
    server.reset();
    const result = await runCli([`${server.url}/resource/data`, ...CLIENT, "--allowed-issuer", server.url], SECRET);
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as { resource: string[]; resource_identifier: string };
    expect(body.resource).toEqual([`${server.url}/resource/data`]);
    expect(server.stats().metadataFetches.protectedResource).toBe(1);
    expect(server.stats().tokensIssued).toBe(1);
  });

  it("turns DPoP on when the resource's metadata requires it, nonces and all", async () => {
    strict.reset();
    const result = await runCli([`${strict.url}/resource/mcp`, ...CLIENT, "--allowed-issuer", strict.url], SECRET);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ token_type: "DPoP" });
  });

  it("an issuer off the list: exit 9, the library's message in flag words, and nothing sent to it", async () => {
    elsewhere.reset();
    lying.reset();
    const allowed = ["--allowed-issuer", server.url, "--allowed-issuer", "https://auth.example.com"];
    const result = await runCli([`${lying.url}/resource/data`, ...CLIENT, ...allowed, "-v"], SECRET);
    expect(result.code).toBe(9);
    expect(result.stderr).toContain(
      `resource discovery for ${lying.url}/resource/data failed: its metadata names "${elsewhere.url}" as authorization server, and --allowed-issuer lists none of them; nothing was sent to them.`,
    );
    expect(result.stderr).toContain("[exit 9: resource discovery]");
    expect(elsewhere.stats().requests).toBe(0);
    expect(elsewhere.stats().connections).toBe(0);
    // Nor to the servers that are listed: the resource did not name them.
    expect(lying.stats().tokenRequests).toBe(0);
    expect(result.stderr).not.toContain("basic-secret");
  });

  it.each([
    [
      ["--allowed-issuer", "https://a.example", "--token-url", "https://a.example/t"],
      "--allowed-issuer is for discovering",
    ],
    [["--allowed-issuer", "https://a.example", "--issuer", "https://a.example"], "does not go with --issuer"],
    [["--allowed-issuer", "not a url"], "--allowed-issuer needs an absolute URL"],
  ])("usage errors: %j", async (args, message) => {
    const result = await runCli([...args, ...CLIENT, "http://127.0.0.1:9/"], SECRET);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
