// Issue 19.5: a mistyped flag printed Node's parser text, curl habits got no hint, library option
// names leaked into messages, `authflow help` looked up a host called help, a timeout exited 1 like
// everything else, `--timeout 0.0004` meant "no limit", and port 6000 failed with a bare "bad port".
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer, type Server as NetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestCertificates, startTestServer, type TestServer } from "../../src/server/index.js";
import { builtCli, runCli } from "./helpers.js";

let server: TestServer;
let tlsServer: TestServer;
let silent: NetServer;
let silentUrl = "";
let caFile = "";
const directory = mkdtempSync(join(tmpdir(), "authflow-cli-errors-"));

beforeAll(async () => {
  builtCli();
  const certificates = await createTestCertificates();
  caFile = join(directory, "ca.pem");
  writeFileSync(caFile, certificates.ca.cert);
  silent = createServer((socket) => socket.resume());
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}/x`;
  [server, tlsServer] = await Promise.all([
    startTestServer(),
    startTestServer({ tls: { cert: certificates.server.cert, key: certificates.server.key } }),
  ]);
});
afterAll(async () => {
  await Promise.all([server.close(), tlsServer.close(), new Promise((resolve) => silent.close(resolve))]);
  rmSync(directory, { recursive: true, force: true });
});

describe("errors in the CLI's own words", () => {
  it("an unknown flag gets a 'did you mean', a curl habit authflow's way (exit 2)", async () => {
    const cases = [
      [["--heder", "X: 1"], "unknown option --heder; did you mean --header?"],
      [["-X", "POST"], "unknown option -X: authflow takes the method as the first word: authflow POST URL"],
      [["-u", "me:pw"], "curl's -u is -a here: -a USER"],
      [["-k"], "does not turn certificate checks off; trust a private CA with --cacert FILE"],
      [["-L"], "authflow follows redirects by default"],
    ] as const;
    for (const [args, message] of cases) {
      const result = await runCli([`${server.url}/anything`, ...args]);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain(message);
      expect(result.stderr).not.toMatch(/Unknown option '|ERR_PARSE_ARGS/);
    }
  });

  it("messages name the flag that was typed, not the library's option", async () => {
    const loop = `${server.url}/redirect-to?url=${encodeURIComponent("/redirect-to?url=/anything")}`;
    const result = await runCli([loop, "--max-redirects", "1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("raise --max-redirects");
    expect(result.stderr).not.toContain("maxRedirects");
  });

  it("`authflow help [topic]` is help, not a request to a host called help", async () => {
    const help = await runCli(["help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--session NAME");
    expect(help.stdout).toContain("28 timeout; 35 TLS failure");
    for (const [topic, text] of [
      ["serve", "NOT FOR PRODUCTION"],
      ["session", "authflow session delete NAME"],
      ["demo", "every scheme end to end"],
    ]) {
      const result = await runCli(["help", topic as string]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(text);
    }
    const wrong = await runCli(["help", "sevre"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("no help on sevre; the topics: request, serve, session, demo; did you mean serve?");
  });
});

describe("exit statuses of their own", () => {
  it("a timeout exits 28, a sub-second one honoured; one under a millisecond is refused (2), not 'no limit'", async () => {
    const timedOut = await runCli([silentUrl, "--timeout", "0.05"]);
    expect(timedOut.code).toBe(28);
    expect(timedOut.stderr).toMatch(/within 50 ms; raise --timeout .*\[exit 28: timeout\]/);
    const refused = await runCli([silentUrl, "--timeout", "0.0004"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--timeout 0.0004 is under a millisecond");
  });

  it("a TLS failure exits 35 and says what to do; trusting the CA makes it work", async () => {
    const untrusted = await runCli([`${tlsServer.url}/anything`]);
    expect(untrusted.code).toBe(35);
    expect(untrusted.stderr).toMatch(
      /TLS failure: the certificate of https:\/\/127\.0\.0\.1:\d+ is not signed by a CA this client trusts/,
    );
    expect(untrusted.stderr).toContain("give its certificate with --cacert FILE (PEM)");
    const trusted = await runCli([`${tlsServer.url}/anything`, "--cacert", caFile]);
    expect(trusted.code).toBe(0);
    // Node's own way still works: NODE_EXTRA_CA_CERTS adds to the system's CAs.
    const extra = await runCli([`${tlsServer.url}/anything`], { env: { NODE_EXTRA_CA_CERTS: caFile } });
    expect(extra.code).toBe(0);
    const plain = await runCli([`${server.url.replace("http:", "https:")}/anything`]);
    expect(plain.code).toBe(35);
    expect(plain.stderr).toContain("does that port speak plain http:?");
  });

  it("a port on fetch's blocked list (6000, X11) is reached: the CLI does not send through fetch", async () => {
    let listening: Server | undefined;
    let port = 0;
    for (const candidate of [6000, 6665, 6666, 6667, 6668, 6669, 6697, 10080]) {
      const attempt = createHttpServer((_request, response) => response.end("reached"));
      const bound = await new Promise<boolean>((resolve) => {
        attempt.once("error", () => resolve(false));
        attempt.listen(candidate, "127.0.0.1", () => resolve(true));
      });
      if (bound) {
        listening = attempt;
        port = candidate;
        break;
      }
    }
    if (listening === undefined) return; // every blocked port is taken on this machine
    try {
      await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow(/fetch failed/);
      const result = await runCli([`http://127.0.0.1:${port}/`]);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe("reached");
    } finally {
      await new Promise((resolve) => listening?.close(resolve));
    }
  });
});
