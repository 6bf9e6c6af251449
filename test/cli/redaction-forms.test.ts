// Issue 12.12: `authflow -v` redacted by exact header name. Against a server that echoes every
// credential it receives — in credential headers under other names, in plain headers, in the
// reason phrase, in Location and Link URLs, raw, percent- and form-encoded, base64, base64url —
// nothing the CLI prints holds any spelling of any secret it holds.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtCli, type CliResult, runCli } from "./helpers.js";
import { spellings } from "./spellings.js";

const formEncode = (value: string) => new URLSearchParams([["", value]]).toString().slice(1);
const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

let server: Server;
let base = "";
/** Access tokens the server issued: secrets the CLI holds without having been given them. */
const issued: string[] = [];

/** The secrets a request carries, as the server reads them. */
async function received(request: IncomingMessage): Promise<string[]> {
  const found: string[] = [];
  const authorization = request.headers.authorization ?? "";
  const [scheme, credential = ""] = authorization.split(" ");
  if (scheme === "Basic") {
    const password = Buffer.from(credential, "base64")
      .toString("utf8")
      .replace(/^[^:]*:/, "");
    // client_secret_basic form-encodes the secret first (RFC 6749 §2.3.1); Basic itself does not.
    const token = request.url?.startsWith("/token") === true;
    found.push(token ? decodeURIComponent(password.replace(/\+/g, " ")) : password);
  } else if (scheme === "Bearer") found.push(credential);
  const url = new URL(request.url ?? "/", base);
  for (const name of ["access_token", "sig", "api_key"]) {
    const value = url.searchParams.get(name);
    if (value !== null) found.push(value);
  }
  let body = "";
  for await (const chunk of request) body += chunk;
  const posted = new URLSearchParams(body).get("client_secret");
  if (posted !== null) found.push(posted);
  return found;
}

/** Echo headers for every spelling of `secret` that fits in a header (Latin-1, no control characters). */
function echoes(secret: string): string[] {
  const percent = encodeURIComponent(secret);
  const fits = /^[\u0020-\u007e\u00a0-\u00ff]*$/.test(secret);
  return [
    ...(fits ? [`X-Echo-Raw: ${secret}`] : []),
    `X-Echo-Percent: ${percent}`,
    `X-Echo-Lower: ${percent.toLowerCase()}`,
    `X-Echo-Form: ${formEncode(secret)}`,
    `X-Echo-Base64: ${base64(secret)}`,
    `X-Echo-Base64url: ${Buffer.from(secret).toString("base64url")}`,
    `X-Echo-Pair: ${base64(`someone:${secret}`)}`,
    `X-Upstream-Authorization: Basic ${base64(`u:${secret}`)}`,
    `X-Forwarded-Authorization: Bearer ${percent}`,
    `DPoP: ${percent}`,
    `X-Amz-Signature: ${percent}`,
    `X-Amz-Security-Token: ${percent}`,
    `X-Hub-Signature-256: sha256=${percent}`,
    `Signature: sig1=:${base64(secret)}:`,
    `Location: /next?access_token=${percent}&code=${percent}&state=kept#token=${percent}`,
    `Link: <${base}/page?sig=${percent}&page=2>; rel="next"`,
  ];
}

beforeAll(async () => {
  builtCli();
  server = createServer(async (request) => {
    const secrets = await received(request);
    const head = ["Content-Type: text/plain", "Access-Control-Allow-Credentials: true"];
    let status = `200 OK ${secrets.map((secret) => encodeURIComponent(secret)).join(" ")}`;
    let body = "no secrets here\n";
    if (request.url?.startsWith("/token")) {
      const token = `tok-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
      issued.push(token);
      body = JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: 60 });
      head[0] = "Content-Type: application/json";
    } else if (request.url?.startsWith("/denied")) status = `401 Denied ${secrets.map(base64).join(" ")}`;
    const lines = [`HTTP/1.1 ${status}`, ...head, ...secrets.flatMap(echoes)];
    const bytes = Buffer.from(body);
    lines.push(`Content-Length: ${bytes.length}`, "Connection: close");
    request.socket.end(Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), bytes]));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

/** Neither stream holds any spelling of any of `secrets` (with `username` for the Basic pair). */
function expectNoSpelling(result: CliResult, username: string, secrets: readonly string[]): void {
  const printed = `${result.stdout}\n${result.stderr}`;
  for (const secret of secrets) {
    const leaked = spellings(username, secret).filter((form) => printed.includes(form));
    expect({ secret, leaked }).toEqual({ secret, leaked: [] });
  }
}

// A secret that naive encoders get wrong (issue 19), and one outside Latin-1.
const SECRETS = ["s3cr3t+/:% ~!-CANARY", "pässwörd-€-😀-CANARY"];

describe("no spelling of a secret in anything authflow -v prints", () => {
  it.each(SECRETS)("Basic, a rejected login, and credentials in the URL's query: %s", async (secret) => {
    const query = ["access_token", "sig", "api_key"].map((name) => `${name}=${name.toUpperCase()}-CANARY-q`);
    const result = await runCli([`${base}/denied?${query.join("&")}&page=2`, "-v", "-a", "alice"], {
      env: { AUTHFLOW_PASSWORD: secret },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("did not accept the credentials (401 Denied [redacted]");
    expect(result.stderr).toContain("> GET /denied?access_token=[redacted]&sig=[redacted]&api_key=[redacted]&page=2");
    expect(result.stderr).toContain("access-control-allow-credentials: true");
    expect(result.stderr).toContain("&state=kept#token=[redacted]");
    expectNoSpelling(result, "alice", [secret, ...query.map((pair) => pair.slice(pair.indexOf("=") + 1))]);
  });

  it.each([
    [SECRETS[0], "client_secret_basic"],
    [SECRETS[1], "client_secret_post"],
  ])("OAuth 2.0: the client secret, and the access token fetched at run time: %s, %s", async (secret, method) => {
    const before = issued.length;
    const result = await runCli(
      [`${base}/api`, "-v", "--token-url", `${base}/token`, "--client-id", "my-client", "--client-auth", method].concat(
        ["--client-secret-env", "CLIENT_SECRET"],
      ),
      { env: { CLIENT_SECRET: secret as string } },
    );
    expect(result.code).toBe(0);
    expect(issued.length).toBe(before + 1);
    expect(result.stderr).toContain("x-upstream-authorization: Basic [redacted]");
    expectNoSpelling(result, "my-client", [secret as string, ...issued.slice(before)]);
  });
});
