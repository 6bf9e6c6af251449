// Issue 14, the command line: --cacert, --cert, --key (an encrypted key's passphrase from
// $AUTHFLOW_KEY_PASSPHRASE or the terminal), --client-auth tls_client_auth and
// self_signed_tls_client_auth with certificate-bound tokens, and what a certificate problem says
// (the library's TlsError, in flag words) and exits with (35). Against the embedded test server over
// https with the tests' own CA, and a bare https server that requires a client certificate.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestCertificates,
  defaultClients,
  mtlsTestClients,
  startTestServer,
  type TestCertificates,
  type TestServer,
} from "../../src/server/index.js";
import { startTlsServer, type TlsServer } from "../tls/helpers.js";
import { builtCli, hasScript, runCli, runInTerminal } from "./helpers.js";
import { pemDirectory } from "./network-fixtures.js";

const PASSPHRASE = "correct horse battery staple";

let certificates: TestCertificates;
let other: TestCertificates;
let server: TestServer;
/** Asks for a client certificate and refuses the handshake without one the CA signed. */
let strict: TlsServer;
let files: ReturnType<typeof pemDirectory>;
const path = { ca: "", otherCa: "", bundle: "", cert: "", key: "", encryptedKey: "", combined: "" };
let untrustedKey = "";

beforeAll(async () => {
  builtCli();
  [certificates, other] = await Promise.all([
    createTestCertificates({ passphrase: PASSPHRASE }),
    createTestCertificates(),
  ]);
  files = pemDirectory();
  path.ca = files.write("ca.pem", certificates.ca.cert);
  path.otherCa = files.write("other-ca.pem", other.ca.cert);
  path.bundle = files.write("bundle.pem", `${other.ca.cert}\n${certificates.ca.cert}`);
  path.cert = files.write("client.pem", certificates.client.cert);
  path.key = files.write("client-key.pem", certificates.client.key);
  path.encryptedKey = files.write("client-key-encrypted.pem", certificates.client.encryptedKey ?? "");
  path.combined = files.write("client-and-key.pem", `${certificates.client.cert}${certificates.client.key}`);
  untrustedKey = files.write("untrusted-key.pem", certificates.untrusted.key);
  const tls = { cert: certificates.server.cert, key: certificates.server.key };
  [server, strict] = await Promise.all([
    startTestServer({
      tls: { ...tls, ca: certificates.ca.cert, requestCert: true },
      clients: [...defaultClients(), ...mtlsTestClients(certificates)],
    }),
    startTlsServer({ ...tls, ca: certificates.ca.cert, requestCert: true, rejectUnauthorized: true }),
  ]);
});

afterAll(async () => {
  await Promise.all([server?.close(), strict?.close()]);
  files?.remove();
});

describe("--cacert", () => {
  it("an unknown CA: exit 35, and the library's message says to give it with --cacert", async () => {
    const result = await runCli([`${server.url}/anything`]);
    expect(result.code).toBe(35);
    expect(result.stderr).toMatch(
      /^authflow: error: TLS failure: the certificate of https:\/\/127\.0\.0\.1:\d+ is not signed by a CA this client trusts \([A-Z_]+\); if the server uses a private CA, give its certificate with --cacert FILE \(PEM\) \[exit 35: TLS\]\n$/,
    );
  });

  it("trusts the CA given, for every request of the run", async () => {
    const result = await runCli(["--cacert", path.ca, `${server.url}/basic-auth/u/p`, "-a", "u:p"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ authenticated: true, user: "u" });
  });

  it("reads every certificate of a bundle", async () => {
    expect((await runCli(["--cacert", path.bundle, `${server.url}/status/204`])).code).toBe(0);
  });

  it("another CA: exit 35, and the message says the certificate does not chain to the one in --cacert", async () => {
    const result = await runCli(["--cacert", path.otherCa, `${server.url}/status/204`]);
    expect(result.code).toBe(35);
    expect(result.stderr).toContain("does not chain to the CA in --cacert");
    expect(result.stderr).not.toContain("tls.ca");
  });

  it.each([
    [["--cacert", "/nonexistent/ca.pem"], "cannot read --cacert /nonexistent/ca.pem (ENOENT)"],
    [["--cacert", "KEY"], "holds no PEM certificate"],
  ])("a file that cannot be used: exit 35 before any connection (%j)", async (args, message) => {
    const before = server.stats().connections;
    const result = await runCli([...args.map((word) => (word === "KEY" ? path.key : word)), `${server.url}/`]);
    expect(result.code).toBe(35);
    expect(result.stderr).toContain(message);
    expect(server.stats().connections).toBe(before);
  });
});

describe("--cert and --key", () => {
  it("--client-auth tls_client_auth: the token is bound to the certificate and works over the same one", async () => {
    server.reset();
    const result = await runCli([
      ...["--cacert", path.ca, "--cert", path.cert, "--key", path.key],
      `${server.url}/oauth/mtls-protected`,
      ...["--token-url", `${server.url}/oauth/token`, "--client-id", "mtls-client", "--client-auth", "tls_client_auth"],
    ]);
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as { client_id: string; cnf: Record<string, string> };
    expect(body.client_id).toBe("mtls-client");
    expect(body.cnf["x5t#S256"]).toBe(certificates.client.thumbprint);
    const stats = server.stats();
    expect(stats.tokenRequestsByAuthMethod).toEqual({ tls_client_auth: 1 });
    expect(stats.tokensIssuedByBinding.mtls).toBe(1);
  });

  it("--client-auth self_signed_tls_client_auth, with the key in the --cert file", async () => {
    const combined = files.write("self-combined.pem", `${certificates.selfSigned.cert}${certificates.selfSigned.key}`);
    const result = await runCli([
      ...["--cacert", path.ca, "--cert", combined],
      `${server.url}/oauth/mtls-protected`,
      ...["--token-url", `${server.url}/oauth/token`, "--client-id", "self-signed-client"],
      ...["--client-auth", "self_signed_tls_client_auth"],
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).cnf["x5t#S256"]).toBe(certificates.selfSigned.thumbprint);
  });

  it("an encrypted key: the passphrase from $AUTHFLOW_KEY_PASSPHRASE", async () => {
    const args = ["--cacert", path.ca, "--cert", path.cert, "--key", path.encryptedKey, `${strict.url}/`];
    const result = await runCli(args, { env: { AUTHFLOW_KEY_PASSPHRASE: PASSPHRASE } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("ok");
  });

  it("a wrong passphrase: exit 35 naming --key and the variable, never the passphrase", async () => {
    const args = ["-v", "--cacert", path.ca, "--cert", path.cert, "--key", path.encryptedKey, `${strict.url}/`];
    const before = strict.connections;
    const result = await runCli(args, { env: { AUTHFLOW_KEY_PASSPHRASE: "not the passphrase" } });
    expect(result.code).toBe(35);
    expect(result.stderr).toContain("--key is encrypted and its passphrase ($AUTHFLOW_KEY_PASSPHRASE");
    expect(result.stderr).not.toContain("not the passphrase");
    expect(strict.connections).toBe(before);
  });

  it("an encrypted key, no variable and no terminal: exit 2, saying which variable to set", async () => {
    const args = ["--cacert", path.ca, "--cert", path.cert, "--key", path.encryptedKey, `${strict.url}/`];
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `the key in ${path.encryptedKey} is encrypted, and there is no terminal to ask for its passphrase: set AUTHFLOW_KEY_PASSPHRASE`,
    );
  });

  it.runIf(hasScript())("an encrypted key on a terminal: the passphrase is asked for, without echo", async () => {
    const args = ["--cacert", path.ca, "--cert", path.cert, "--key", path.encryptedKey, `${strict.url}/`];
    const result = await runInTerminal(args, { answer: { after: "Passphrase for", text: PASSPHRASE } });
    expect(result.code).toBe(0);
    expect(result.screen).toContain(`Passphrase for ${path.encryptedKey}: `);
    expect(result.screen).not.toContain(PASSPHRASE);
    expect(result.screen).toContain("ok");
  });

  it("a server that requires a certificate, none given: exit 35, saying to give --cert and --key", async () => {
    const result = await runCli(["--cacert", path.ca, `${strict.url}/`]);
    expect(result.code).toBe(35);
    expect(result.stderr).toMatch(/TLS failure: .*give --cert FILE and --key FILE/);
  });

  // A certificate from a CA the server does not trust: Node's server closes without an alert, so
  // there is nothing TLS to name (test/tls/client.test.ts); Apache's alert is named there too.

  it("a key that is not the certificate's: exit 35 naming --key and --cert, before any connection", async () => {
    const before = strict.connections;
    const result = await runCli(["--cacert", path.ca, "--cert", path.cert, "--key", untrustedKey, `${strict.url}/`]);
    expect(result.code).toBe(35);
    expect(result.stderr).toContain("--key is not the private key of --cert");
    expect(strict.connections).toBe(before);
  });

  it.each([
    [["--key", "KEY"], "--key goes with --cert FILE"],
    [
      ["--client-auth", "tls_client_auth", "--token-url", "https://127.0.0.1:9/t", "--client-id", "c"],
      "give --cert FILE and --key FILE",
    ],
    [
      [
        "--cert",
        "CERT",
        "--client-auth",
        "tls_client_auth",
        "--client-secret-env",
        "S",
        "--token-url",
        "https://127.0.0.1:9/t",
        "--client-id",
        "c",
      ],
      "--client-secret-env does not apply to --client-auth tls_client_auth",
    ],
    [["-E", "CERT"], "curl's -E is --cert FILE here"],
    [["-k"], "trust a private CA with --cacert FILE"],
  ])("usage errors: %j", async (args, message) => {
    const words = args.map((word) => (word === "KEY" ? path.key : word === "CERT" ? path.cert : word));
    const result = await runCli([...words, "https://127.0.0.1:9/"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it("a --cert file without a key and no --key: exit 35 before any connection", async () => {
    const result = await runCli(["--cacert", path.ca, "--cert", path.cert, `${strict.url}/`]);
    expect(result.code).toBe(35);
    expect(result.stderr).toContain(`--cert ${path.cert} holds no private key: give --key FILE`);
  });

  it("the key and certificate in one --cert file", async () => {
    const result = await runCli(["--cacert", path.ca, "--cert", path.combined, `${strict.url}/`]);
    expect(result.code).toBe(0);
    expect(strict.presented.length).toBeGreaterThan(0);
  });
});
