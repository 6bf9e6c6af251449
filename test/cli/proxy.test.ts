// Issue 15, the command line: -x/--proxy, --proxy-user, --noproxy and the environment's proxy
// variables, against a real squid (test/interop/squid.ts: Digest with check_nonce_count on, Basic
// with basic_ncsa_auth) and the embedded test server over http and https. Round trips and refusals
// are counted in squid's access log.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestCertificates,
  startTestServer,
  type TestCertificates,
  type TestServer,
} from "../../src/server/index.js";
import { SQUID, type Squid, type SquidLine, startSquid } from "../interop/squid.js";
import { startTestProxy } from "../proxy/proxy-server.js";
import { serverCertificate } from "../tls/helpers.js";
import { builtCli, runCli } from "./helpers.js";
import { loopbackAlias, pemDirectory } from "./network-fixtures.js";

const PASSWORD = "s3cret proxy pass";
const withPassword = { env: { AUTHFLOW_PROXY_PASSWORD: PASSWORD } };

let certificates: TestCertificates;
let plain: TestServer;
let secure: TestServer;
/** squid asking for Digest (alice) and Basic (bob), Digest offered first. */
let squid: Squid;
/** squid asking for Basic only (bob). */
let basicSquid: Squid;
/** A name for 127.0.0.1 that the rules do not take for loopback (see network-fixtures.ts). */
const alias = await loopbackAlias();
/** An https server whose certificate names the alias. */
let aliased: TestServer | undefined;
let files: ReturnType<typeof pemDirectory>;
let caFile: string;

beforeAll(async () => {
  if (SQUID === undefined) return;
  builtCli();
  certificates = await createTestCertificates();
  files = pemDirectory();
  caFile = files.write("ca.pem", certificates.ca.cert);
  const tls = { cert: certificates.server.cert, key: certificates.server.key };
  [plain, secure, squid, basicSquid] = await Promise.all([
    startTestServer(),
    startTestServer({ tls }),
    startSquid({ digest: { alice: PASSWORD }, basic: { bob: PASSWORD } }),
    startSquid({ basic: { bob: PASSWORD } }),
  ]);
  if (alias !== undefined) {
    const named = serverCertificate(certificates.ca, { altNames: `DNS:${alias},IP:127.0.0.1` });
    aliased = await startTestServer({ tls: named });
  }
});

afterAll(async () => {
  await Promise.all([plain?.close(), secure?.close(), squid?.stop(), basicSquid?.stop(), aliased?.close()]);
  files?.remove();
});

/** The lines squid logs while `run` runs (it writes each after answering). */
async function logged(proxy: Squid, run: () => Promise<unknown>, expected: number): Promise<SquidLine[]> {
  const before = proxy.log().length;
  await run();
  if (expected === 0) return await beforeMarker(proxy, before);
  return (await proxy.settledLog(before + expected)).slice(before);
}

/**
 * The lines logged since `before`, once a marker request sent through the proxy afterwards is
 * logged: whatever went through the proxy before it was answered, and so logged, before it.
 */
async function beforeMarker(proxy: Squid, before: number): Promise<SquidLine[]> {
  const user = proxy === squid ? "alice" : "bob";
  const marker = `${plain.url}/anything/marker-${before}`;
  expect((await runCli(["-x", proxy.url, "--proxy-user", user, marker], withPassword)).code).toBe(0);
  const deadline = Date.now() + 3_000;
  while (!proxy.log().some((line) => line.url === marker && line.status === 200) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return proxy
    .log()
    .slice(before)
    .filter((line) => line.url !== marker);
}

const summary = (lines: readonly SquidLine[]) =>
  lines.map((line) => `${line.method} ${line.status} ${line.proxyAuthorization.split(" ")[0]}`);

describe.skipIf(SQUID === undefined)("authflow -x through squid", () => {
  it("answers squid's 407 with Digest for http://; the origin never sees Proxy-Authorization", async () => {
    let result = { code: 0 as number | null, stdout: "", stderr: "" };
    const lines = await logged(
      squid,
      async () => {
        result = await runCli(["-x", squid.url, "--proxy-user", "alice", `${plain.url}/anything`], withPassword);
      },
      2,
    );
    expect(result.code).toBe(0);
    expect(summary(lines)).toEqual(["GET 407 -", "GET 200 Digest"]);
    expect(result.stdout.toLowerCase()).not.toContain("proxy-authorization");
    expect(result.stderr).toBe("200 OK\n");
  });

  it("answers with Basic when that is all squid offers (credentials in the -x URL, with a warning)", async () => {
    const url = new URL(basicSquid.url);
    url.username = "bob";
    url.password = encodeURIComponent(PASSWORD);
    let result = { code: 0 as number | null, stderr: "" };
    const lines = await logged(
      basicSquid,
      async () => {
        result = await runCli(["-x", url.href, `${plain.url}/status/204`]);
      },
      2,
    );
    expect(result.code).toBe(0);
    expect(summary(lines)).toEqual(["GET 407 -", "GET 204 Basic"]);
    expect(result.stderr).toContain("the proxy password was given on the command line (in the -x URL)");
    expect(result.stderr).not.toContain(PASSWORD);
  });

  it("tunnels to an https origin with --cacert: credentials on the CONNECT only", async () => {
    let result = { code: 0 as number | null, stdout: "" };
    const lines = await logged(
      squid,
      async () => {
        result = await runCli(
          ["-x", squid.url, "--proxy-user", "alice", "--cacert", caFile, `${secure.url}/anything`],
          withPassword,
        );
      },
      2,
    );
    expect(result.code).toBe(0);
    expect(summary(lines)).toEqual(["CONNECT 407 -", "CONNECT 200 Digest"]);
    expect(lines[1]?.url).toBe(new URL(secure.url).host);
    expect(result.stdout.toLowerCase()).not.toContain("proxy-authorization");
  });

  it("sends the token request through the same proxy (client credentials over http://)", async () => {
    plain.reset();
    let result = { code: 0 as number | null };
    const lines = await logged(
      squid,
      async () => {
        result = await runCli(
          [
            "-x",
            squid.url,
            "--proxy-user",
            "alice",
            `${plain.url}/oauth/protected`,
            "--token-url",
            `${plain.url}/oauth/token`,
            "--client-id",
            "basic-client",
            "--client-secret-env",
            "SECRET",
          ],
          { env: { ...withPassword.env, SECRET: "basic-secret" } },
        );
      },
      3,
    );
    expect(result.code).toBe(0);
    expect(lines.map((line) => `${line.method} ${new URL(line.url).pathname} ${line.status}`)).toEqual([
      "POST /oauth/token 407",
      "POST /oauth/token 200",
      "GET /oauth/protected 200",
    ]);
    // After the first exchange the proxy credentials go preemptively: one round trip per request.
    expect(lines[2]?.proxyAuthorization).toMatch(/^Digest /);
    expect(plain.stats().tokensIssued).toBe(1);
  });

  it("a wrong password costs two proxy hits, then the 407 is the answer (exit 4 with --check-status)", async () => {
    const before = squid.log().length;
    const result = await runCli(["-x", squid.url, "--proxy-user", "alice", `${plain.url}/anything`, "--check-status"], {
      env: { AUTHFLOW_PROXY_PASSWORD: "wrong" },
    });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("407 Proxy Authentication Required");
    // One request without credentials, one with the wrong ones, and no more: no loop.
    expect(summary(await beforeMarker(squid, before))).toEqual(["GET 407 -", "GET 407 Digest"]);
  });

  it("a refused CONNECT ends with the ProxyError's message and exit 56, in two proxy hits", async () => {
    const before = squid.log().length;
    const result = await runCli(["-x", squid.url, "--proxy-user", "alice", "--cacert", caFile, `${secure.url}/`], {
      env: { AUTHFLOW_PROXY_PASSWORD: "wrong" },
    });
    expect(result.code).toBe(56);
    expect(result.stderr).toMatch(
      /the proxy http:\/\/127\.0\.0\.1:\d+ refused CONNECT 127\.0\.0\.1:\d+ with 407; the proxy refused the credentials.*\[exit 56: proxy\]/,
    );
    expect(summary(await beforeMarker(squid, before))).toEqual(["CONNECT 407 -", "CONNECT 407 Digest"]);
  });

  it("without --proxy-user, a CONNECT refused with 407 says to give one", async () => {
    const result = await runCli(["-x", squid.url, "--cacert", caFile, `${secure.url}/`]);
    expect(result.code).toBe(56);
    expect(result.stderr).toContain("the proxy asks for credentials: give --proxy-user USER");
  });

  it("--noproxy sends a host direct; -x takes loopback targets (asked for by name)", async () => {
    let result = { code: 0 as number | null };
    const lines = await logged(
      squid,
      async () => {
        result = await runCli(["-x", squid.url, "--noproxy", "example.com,127.0.0.1", `${plain.url}/status/204`]);
      },
      0,
    );
    expect(result.code).toBe(0);
    expect(lines).toEqual([]);
    const star = await runCli(["-x", squid.url, "--noproxy", "*", `${plain.url}/status/204`]);
    expect(star.code).toBe(0);
  });
});

describe.skipIf(SQUID === undefined)("authflow and the environment's proxy", () => {
  it("loopback targets never go through http_proxy/https_proxy; -x '' ignores them", async () => {
    const env = { http_proxy: squid.url, https_proxy: squid.url, ALL_PROXY: squid.url };
    const lines = await logged(
      squid,
      async () => {
        expect((await runCli([`${plain.url}/status/204`], { env })).code).toBe(0);
        expect((await runCli(["--cacert", caFile, `${secure.url}/status/204`], { env })).code).toBe(0);
        expect((await runCli(["-x", "", `${plain.url}/status/204`], { env })).code).toBe(0);
      },
      0,
    );
    expect(lines).toEqual([]);
  });

  it.skipIf(alias === undefined)(
    "http_proxy (with --proxy-user) carries a host that is not loopback; no_proxy and --noproxy send it direct",
    async () => {
      const target = `http://${alias}:${new URL(plain.url).port}/anything`;
      const env = { ...withPassword.env, http_proxy: squid.url };
      let result = { code: 0 as number | null, stdout: "" };
      const proxied = await logged(
        squid,
        async () => {
          result = await runCli(["--proxy-user", "alice", target], { env });
        },
        2,
      );
      expect(result.code).toBe(0);
      expect(summary(proxied)).toEqual(["GET 407 -", "GET 200 Digest"]);
      expect(proxied[1]?.url).toBe(target);
      const direct = await logged(
        squid,
        async () => {
          expect(
            (await runCli(["--proxy-user", "alice", target], { env: { ...env, no_proxy: alias ?? "" } })).code,
          ).toBe(0);
          expect((await runCli(["--noproxy", `.${alias}`, target], { env })).code).toBe(0);
          // httpoxy (CVE-2016-5385): under CGI the upper-case HTTP_PROXY may come from a request header.
          expect((await runCli([target], { env: { HTTP_PROXY: squid.url, REQUEST_METHOD: "GET" } })).code).toBe(0);
        },
        0,
      );
      expect(direct).toEqual([]);
    },
  );

  it.skipIf(alias === undefined)(
    "https_proxy tunnels to a host that is not loopback, with --cacert inside the tunnel",
    async () => {
      const target = `https://${alias}:${new URL(aliased?.url ?? "http://x:1").port}/anything`;
      let result = { code: 0 as number | null, stderr: "" };
      const lines = await logged(
        squid,
        async () => {
          result = await runCli(["--proxy-user", "alice", "--cacert", caFile, target], {
            env: { ...withPassword.env, HTTPS_PROXY: squid.url },
          });
        },
        2,
      );
      expect(result.stderr).toBe("200 OK\n");
      expect(summary(lines)).toEqual(["CONNECT 407 -", "CONNECT 200 Digest"]);
    },
  );

  it.skipIf(alias === undefined)(
    "Basic to an http:// proxy that is not loopback needs --insecure-auth; the password is not sent before",
    async () => {
      const proxy = `http://${alias}:${new URL(basicSquid.url).port}`;
      let refused = { code: 0 as number | null, stderr: "" };
      const before = await logged(
        basicSquid,
        async () => {
          refused = await runCli(["-x", proxy, "--proxy-user", "bob", `${plain.url}/status/204`], withPassword);
        },
        1,
      );
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("--insecure-auth");
      expect(before.map((line) => line.proxyAuthorization)).toEqual(["-"]);
      const allowed = await runCli(
        ["-x", proxy, "--proxy-user", "bob", "--insecure-auth", `${plain.url}/status/204`],
        withPassword,
      );
      expect(allowed.code).toBe(0);
    },
  );
});

describe.skipIf(SQUID === undefined)("an https:// proxy (TLS to the proxy, --cacert trusted for it)", () => {
  it("Basic over TLS to the proxy, for an http:// and an https:// target", async () => {
    const proxy = await startTestProxy({
      basic: { user: "carol", password: PASSWORD },
      tls: { cert: certificates.server.cert, key: certificates.server.key },
    });
    try {
      const base = ["-x", proxy.url, "--proxy-user", "carol", "--cacert", caFile];
      expect((await runCli([...base, `${plain.url}/status/204`], withPassword)).code).toBe(0);
      expect((await runCli([...base, `${secure.url}/status/204`], withPassword)).code).toBe(0);
      expect(proxy.requests.map((entry) => `${entry.method} ${entry.status}`)).toEqual([
        "GET 407",
        "GET 204",
        "CONNECT 407",
        "CONNECT 200",
      ]);
      // Without the CA, the proxy's certificate is refused: the TLS exit code.
      const untrusted = await runCli(["-x", proxy.url, `${plain.url}/status/204`]);
      expect(untrusted.code).toBe(35);
      expect(untrusted.stderr).toContain(
        `the TLS connection to the proxy ${proxy.url} failed: its certificate is not signed by a CA this client trusts; give the proxy's CA with --cacert FILE (PEM)`,
      );
    } finally {
      await proxy.close();
    }
  });
});

describe("proxy flags that cannot work are usage errors", () => {
  it.each([
    [["-x", "socks5://127.0.0.1:1080"], "-x takes an http:// or https:// proxy (got socks5:; SOCKS is not supported)"],
    [["-x", "http://127.0.0.1:3128/path"], "-x takes the proxy's scheme, host and port only"],
    [["-x", "http://u:p@127.0.0.1:3128", "--proxy-user", "v"], "the proxy credentials were given twice"],
    [["--proxy-user", ":p", "-x", "127.0.0.1:3128"], "--proxy-user needs a user name"],
    [["--proxy-anyauth"], "--proxy-user already answers whichever of Digest or Basic"],
    [["-U", "u"], "curl's -U is --proxy-user"],
  ])("%j", async (args, message) => {
    const result = await runCli([...args, "http://127.0.0.1:9/"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it("no password and no terminal: says which variable to set", async () => {
    const result = await runCli(["-x", "http://127.0.0.1:9", "--proxy-user", "alice", "http://127.0.0.1:9/"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "no proxy password for alice, and no terminal to ask on: set AUTHFLOW_PROXY_PASSWORD",
    );
  });

  it("--proxy-user without any proxy is a warning, not silence", async () => {
    const server = await startTestServer();
    try {
      const result = await runCli(["--proxy-user", "alice", `${server.url}/status/204`]);
      expect(result.code).toBe(0);
      expect(result.stderr).toContain("warning: --proxy-user is not used: no proxy is set");
    } finally {
      await server.close();
    }
  });
});
