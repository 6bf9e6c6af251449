/**
 * Issue 14: `Client({ tls })` on Node — a private CA, a client certificate,
 * one dispatcher per Client with its connections reused, and every
 * certificate failure a TlsError that names the cause and the option to fix
 * it (never "fetch failed" alone, never a hang). Real https servers on
 * loopback, certificates made by openssl.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, InvalidArgumentError, NetworkError, TlsError } from "../../src/index.js";
import { createTestCertificates, type TestCertificates } from "../../src/server/index.js";
import { pemBody, serverCertificate, startTlsServer, type TlsServer } from "./helpers.js";

let certificates: TestCertificates;
let server: TlsServer;
/** Asks for a client certificate and refuses a connection without a trusted one. */
let mutual: TlsServer;
const PASSPHRASE = "correct horse battery staple";

beforeAll(async () => {
  certificates = await createTestCertificates({ passphrase: PASSPHRASE });
  const { ca, server: pair } = certificates;
  server = await startTlsServer({ cert: pair.cert, key: pair.key });
  mutual = await startTlsServer(
    { cert: pair.cert, key: pair.key, ca: ca.cert, requestCert: true, rejectUnauthorized: true },
    (request, response) => {
      const socket = request.socket as import("node:tls").TLSSocket;
      response.end(socket.getPeerCertificate().subject?.CN ?? "none");
    },
  );
});

afterAll(async () => {
  await server.close();
  await mutual.close();
});

describe("Client({ tls }) with a private CA", () => {
  it("reaches the server with tls.ca, its connections reused (10 requests, at most 2 handshakes)", async () => {
    const before = server.secureConnections;
    const client = new Client({ baseURL: server.url, tls: { ca: certificates.ca.cert } });
    for (let round = 0; round < 10; round++) {
      const response = await client.get("/ping");
      expect(await response.text()).toBe("ok");
    }
    // fetch frees a connection just after the body's end, so back-to-back requests alternate between two.
    expect(server.secureConnections - before).toBeLessThanOrEqual(2);
  });

  it("keeps auth working over it (Basic, on the direct path)", async () => {
    const seen: (string | undefined)[] = [];
    const basic = await startTlsServer(
      { cert: certificates.server.cert, key: certificates.server.key },
      (request, response) => {
        seen.push(request.headers.authorization);
        response.end();
      },
    );
    try {
      const client = new Client({ baseURL: basic.url, tls: { ca: certificates.ca.cert }, auth: ["user", "pass"] });
      expect((await client.get("/")).status).toBe(200);
      expect(seen).toEqual([`Basic ${btoa("user:pass")}`]);
    } finally {
      await basic.close();
    }
  });

  it("without tls.ca: TlsError unknown-ca naming tls.ca, not a NetworkError", async () => {
    const failure = new Client().get(`${server.url}/ping`);
    await expect(failure).rejects.toBeInstanceOf(TlsError);
    await expect(failure).rejects.toMatchObject({
      code: "ERR_AUTHFLOW_TLS",
      reason: "unknown-ca",
      option: "tls.ca",
      origin: server.url,
      message: expect.stringContaining("give its certificate as tls.ca"),
    });
    await expect(failure).rejects.not.toBeInstanceOf(NetworkError);
  });

  it("with another CA in tls.ca: unknown-ca, telling to check tls.ca", async () => {
    const other = await createTestCertificates();
    const failure = new Client({ tls: { ca: other.ca.cert } }).get(`${server.url}/ping`);
    await expect(failure).rejects.toMatchObject({
      reason: "unknown-ca",
      message: expect.stringContaining("does not chain to the CA in tls.ca"),
    });
  });

  it("a certificate for another host name: TlsError hostname", async () => {
    const pair = serverCertificate(certificates.ca, { altNames: "DNS:api.example.test" });
    const elsewhere = await startTlsServer(pair);
    try {
      const failure = new Client({ tls: { ca: certificates.ca.cert } }).get(`${elsewhere.url}/`);
      await expect(failure).rejects.toMatchObject({ name: "TlsError", reason: "hostname", option: undefined });
      await expect(failure).rejects.toThrow(/not valid for that host name \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
    } finally {
      await elsewhere.close();
    }
  });

  it("an expired server certificate: TlsError expired, no option can fix it", async () => {
    const expired = await startTlsServer(serverCertificate(certificates.ca, { days: -1 }));
    try {
      const failure = new Client({ tls: { ca: certificates.ca.cert } }).get(`${expired.url}/`);
      await expect(failure).rejects.toMatchObject({ reason: "expired", option: undefined });
      await expect(failure).rejects.toThrow(/has expired \(CERT_HAS_EXPIRED\)/);
    } finally {
      await expired.close();
    }
  });

  it("plain HTTP on the https port: a TlsError that says so", async () => {
    const { createServer } = await import("node:http");
    const plain = createServer((_request, response) => response.end());
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
    const port = (plain.address() as import("node:net").AddressInfo).port;
    try {
      const failure = new Client({ tls: { ca: certificates.ca.cert } }).get(`https://127.0.0.1:${port}/`);
      await expect(failure).rejects.toMatchObject({ name: "TlsError", reason: "handshake" });
      await expect(failure).rejects.toThrow(/does that port speak plain http:/);
    } finally {
      plain.close();
    }
  });
});

describe("Client({ tls }) with a client certificate", () => {
  it("presents tls.cert to a server that requires one", async () => {
    const { ca, client: identity } = certificates;
    const client = new Client({ tls: { ca: ca.cert, cert: identity.cert, key: identity.key } });
    expect(await (await client.get(`${mutual.url}/`)).text()).toBe("mtls-client");
  });

  it("an encrypted key with its passphrase", async () => {
    const { ca, client: identity } = certificates;
    const tls = { ca: ca.cert, cert: identity.cert, key: identity.encryptedKey as string, passphrase: PASSPHRASE };
    expect(await (await new Client({ tls }).get(`${mutual.url}/`)).text()).toBe("mtls-client");
  });

  it("none given to a server that requires one: TlsError client-certificate naming tls.cert (no hang)", async () => {
    const failure = new Client({ tls: { ca: certificates.ca.cert } }).get(`${mutual.url}/`);
    await expect(failure).rejects.toMatchObject({
      name: "TlsError",
      reason: "client-certificate",
      option: "tls.cert",
      message: expect.stringContaining("give tls.cert and tls.key"),
    });
  });
  // A certificate from an untrusted CA: Node's server closes without an alert; Apache's OpenSSL sends one
  // (test/interop/tls-apache.test.ts).
});

describe("tls options are checked at construction", () => {
  const cases: [string, () => unknown, string][] = [
    ["a file path as ca", () => ({ ca: "/etc/ssl/certs/ca.pem" }), "tls.ca"],
    ["a cert without its key", () => ({ cert: certificates.client.cert }), "tls.key"],
    ["a key without its cert", () => ({ key: certificates.client.key }), "tls.cert"],
    [
      "a key that is not the cert's",
      () => ({ cert: certificates.client.cert, key: certificates.untrusted.key }),
      "tls.key",
    ],
    [
      "an encrypted key without passphrase",
      () => ({ cert: certificates.client.cert, key: certificates.client.encryptedKey }),
      "tls.passphrase",
    ],
    [
      "a wrong passphrase",
      () => ({ cert: certificates.client.cert, key: certificates.client.encryptedKey, passphrase: "not-it-7f3a" }),
      "tls.passphrase",
    ],
    ["a passphrase without key", () => ({ passphrase: "x" }), "tls.passphrase"],
    ["ca not a string", () => ({ ca: [42] }), "tls.ca"],
  ];

  it.each(cases)("%s: InvalidArgumentError naming the field, never its value", (_name, tls, option) => {
    let error: unknown;
    try {
      new Client({ tls: tls() as never });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ option });
    const text = `${String(error)} ${JSON.stringify(error)}`;
    for (const secret of [
      certificates.client.key,
      certificates.untrusted.key,
      certificates.client.encryptedKey ?? "",
    ]) {
      expect(text).not.toContain(pemBody(secret));
    }
    expect(text).not.toContain("not-it-7f3a");
  });

  it("tls with a fetch of the caller's is refused (authflow cannot configure that fetch)", () => {
    expect(() => new Client({ tls: { ca: certificates.ca.cert }, fetch })).toThrow(
      /tls and fetch cannot both be given/,
    );
  });
});
