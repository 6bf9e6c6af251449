// Issues 14 and 15, secrets: the proxy password (from -x's URL, --proxy-user USER:PASS or
// $AUTHFLOW_PROXY_PASSWORD), an encrypted key's passphrase and the key's text never appear, in any
// spelling, in what `authflow -v` prints — Proxy-Authorization on the wire included, and a proxy
// that echoes the credentials back in headers, its reason phrase and a refused CONNECT — nor in
// --session files.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestCertificates, startTestServer, type TestServer } from "../../src/server/index.js";
import { startTestProxy, type TestProxy } from "../proxy/proxy-server.js";
import { builtCli, type CliResult, runCli } from "./helpers.js";
import { pemDirectory } from "./network-fixtures.js";
import { spellings } from "./spellings.js";

const formEncode = (value: string) => new URLSearchParams([["", value]]).toString().slice(1);
const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

// A password that naive encoders get wrong, and one outside Latin-1.
const SECRETS = ["pr0xy+/:% ~!-CANARY", "prøxy-pässwörd-€-😀-CANARY"];
const USER = "proxy user";
const PASSPHRASE = "key passphrase-CANARY";

/** Every spelling of `secret` that fits in a header line. */
function echoes(secret: string): string[] {
  const percent = encodeURIComponent(secret);
  const fits = /^[\u0020-\u007e\u00a0-\u00ff]*$/.test(secret);
  return [
    ...(fits ? [`X-Echo-Raw: ${secret}`] : []),
    `X-Echo-Percent: ${percent}`,
    `X-Echo-Form: ${formEncode(secret)}`,
    `X-Echo-Base64: ${base64(secret)}`,
    `X-Echo-Pair: ${base64(`${USER}:${secret}`)}`,
    `Proxy-Authentication-Info: ${percent}`,
    `Location: /next?password=${percent}&kept=1`,
  ];
}

/** The password of a Basic Proxy-Authorization, as the proxy reads it. */
function proxyPassword(request: IncomingMessage): string | undefined {
  const [scheme, credential = ""] = (request.headers["proxy-authorization"] ?? "").split(" ");
  if (scheme !== "Basic") return undefined;
  return Buffer.from(credential, "base64")
    .toString("utf8")
    .replace(/^[^:]*:/, "");
}

/**
 * A hostile proxy: asks for Basic, then answers plain requests itself, and refuses every CONNECT,
 * echoing the password it was given in every spelling — headers, reason phrase — each time.
 */
let echoProxy: Server;
let echoUrl = "";
let origin: TestServer;
let secure: TestServer;
let tunnel: TestProxy;
let files: ReturnType<typeof pemDirectory>;
const path = { ca: "", cert: "", key: "" };
let keyLines: string[] = [];

function answer(socket: Socket, status: string, password: string | undefined, extra: string[] = []): void {
  const lines = [`HTTP/1.1 ${status}`, ...extra, ...(password === undefined ? [] : echoes(password))];
  const body = Buffer.from("no secrets here\n");
  lines.push("Content-Type: text/plain", `Content-Length: ${body.length}`, "Connection: close");
  socket.end(Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), body]));
}

beforeAll(async () => {
  builtCli();
  echoProxy = createServer((request, response) => {
    const password = proxyPassword(request);
    if (password === undefined) {
      answer(request.socket, "407 Who are you", undefined, ['Proxy-Authenticate: Basic realm="echo"']);
      return;
    }
    answer(request.socket, `200 OK ${encodeURIComponent(password)} ${base64(password)}`, password);
    response.destroy();
  });
  echoProxy.on("connect", (request: IncomingMessage, socket: Socket) => {
    const password = proxyPassword(request);
    const challenge = ['Proxy-Authenticate: Basic realm="echo"'];
    answer(socket, `407 Not you ${password === undefined ? "" : encodeURIComponent(password)}`, password, challenge);
  });
  await new Promise<void>((resolve) => echoProxy.listen(0, "127.0.0.1", resolve));
  echoUrl = `http://127.0.0.1:${(echoProxy.address() as { port: number }).port}`;
  const certificates = await createTestCertificates({ passphrase: PASSPHRASE });
  files = pemDirectory();
  path.ca = files.write("ca.pem", certificates.ca.cert);
  path.cert = files.write("client.pem", certificates.client.cert);
  path.key = files.write("client-key.pem", certificates.client.encryptedKey ?? "");
  keyLines = (certificates.client.encryptedKey ?? "")
    .split("\n")
    .filter((line) => line.length > 16 && !line.startsWith("-"));
  [origin, secure, tunnel] = await Promise.all([
    startTestServer(),
    startTestServer({
      tls: {
        cert: certificates.server.cert,
        key: certificates.server.key,
        ca: certificates.ca.cert,
        requestCert: true,
      },
    }),
    startTestProxy({ basic: { user: USER, password: SECRETS[0] as string } }),
  ]);
});

afterAll(async () => {
  await new Promise((resolve) => echoProxy?.close(resolve));
  await Promise.all([origin?.close(), secure?.close(), tunnel?.close()]);
  files?.remove();
});

/** Neither stream holds any spelling of `secret` (with USER for the Basic pair). */
function expectNoSpelling(result: CliResult, secret: string): void {
  const printed = `${result.stdout}\n${result.stderr}`;
  const leaked = spellings(USER, secret).filter((form) => printed.includes(form));
  expect({ secret, leaked }).toEqual({ secret, leaked: [] });
}

/** The three ways to give a proxy password, as arguments and environment. */
function ways(secret: string): Array<[string, string[], Record<string, string>]> {
  const inUrl = new URL(echoUrl);
  inUrl.username = encodeURIComponent(USER);
  inUrl.password = encodeURIComponent(secret);
  return [
    ["$AUTHFLOW_PROXY_PASSWORD", ["-x", echoUrl, "--proxy-user", USER], { AUTHFLOW_PROXY_PASSWORD: secret }],
    ["--proxy-user USER:PASS", ["-x", echoUrl, "--proxy-user", `${USER}:${secret}`], {}],
    ["the -x URL", ["-x", inUrl.href], {}],
  ];
}

describe("the proxy password, in every spelling, nowhere in what -v prints", () => {
  it.each(SECRETS)("a plain request through a proxy that echoes it back: %s", async (secret) => {
    for (const [way, args, env] of ways(secret)) {
      const result = await runCli([...args, "-v", `${origin.url}/anything`], { env });
      expect({ way, code: result.code }).toEqual({ way, code: 0 });
      // The request sent again after the 407 is shown, its Proxy-Authorization redacted.
      expect(result.stderr).toContain("proxy-authorization: Basic [redacted]");
      expect(result.stderr).toContain("< 407 Who are you");
      expectNoSpelling(result, secret);
    }
  });

  it.each(SECRETS)("a refused CONNECT whose answer echoes it: %s", async (secret) => {
    for (const [way, args, env] of ways(secret)) {
      const result = await runCli([...args, "-v", "https://127.0.0.1:9/"], { env });
      expect({ way, code: result.code }).toEqual({ way, code: 56 });
      expect(result.stderr).toMatch(
        /> CONNECT 127\.0\.0\.1:9 HTTP\/1\.1[\s\S]*proxy-authorization: Basic \[redacted\]/,
      );
      expectNoSpelling(result, secret);
    }
  });
});

describe("the key's passphrase and text, and the proxy password, nowhere in -v or a session", () => {
  it("mTLS client credentials through a proxy tunnel, with --session: nothing of them printed or kept", async () => {
    const cache = pemDirectory();
    try {
      const cacheDirectory = cache.write("marker", "");
      const result = await runCli(
        [
          ...["-x", tunnel.url, "--proxy-user", USER, "--cacert", path.ca, "--cert", path.cert, "--key", path.key],
          `${secure.url}/oauth/mtls-protected`,
          ...["--token-url", `${secure.url}/oauth/token`, "--client-id", "mtls-client"],
          ...["--client-auth", "tls_client_auth", "--session", "network", "-v"],
        ],
        {
          env: {
            AUTHFLOW_PROXY_PASSWORD: SECRETS[0] as string,
            AUTHFLOW_KEY_PASSPHRASE: PASSPHRASE,
            XDG_CACHE_HOME: join(cacheDirectory, ".."),
          },
        },
      );
      expect(result.code).toBe(0);
      expect(result.stderr).toContain("proxy-authorization: Basic [redacted]");
      expect(tunnel.requests.filter((entry) => entry.method === "CONNECT").map((entry) => entry.status)).toContain(200);
      const kept = readTree(join(cacheDirectory, "..", "authflow"));
      expect(kept).toContain("access_token");
      for (const secret of [SECRETS[0] as string, PASSPHRASE]) {
        expectNoSpelling(result, secret);
        expect(spellings(USER, secret).filter((form) => kept.includes(form))).toEqual([]);
      }
      for (const line of keyLines) {
        expect(result.stderr).not.toContain(line);
        expect(kept).not.toContain(line);
      }
    } finally {
      cache.remove();
    }
  });
});

/** Every file under `directory`, concatenated. */
function readTree(directory: string): string {
  let text = "";
  for (const name of readdirSync(directory)) {
    const entry = join(directory, name);
    text += statSync(entry).isDirectory() ? readTree(entry) : readFileSync(entry, "utf8");
  }
  return text;
}
