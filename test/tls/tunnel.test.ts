/**
 * Issues 14 and 15 together: `tls` applies to the origin *inside* a CONNECT
 * tunnel (real squid), its CA given only through `tls.ca` (the CA is made
 * per run, so no NODE_EXTRA_CA_CERTS can hold it: without `tls.ca` the same
 * request is refused) and the client certificate an origin requires
 * presented end to end; an `https://` proxy verified apart from the origins
 * (`proxy.ca`), its failures named as the proxy's.
 */
import type { TLSSocket } from "node:tls";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, InvalidArgumentError, TlsError } from "../../src/index.js";
import { createTestCertificates, type TestCertificates } from "../../src/server/index.js";
import { proxyAgent } from "../../src/undici/index.js";
import { SQUID, type Squid, startSquid } from "../interop/squid.js";
import { startTestProxy } from "../proxy/proxy-server.js";
import { startTlsServer, type TlsServer } from "./helpers.js";

let certificates: TestCertificates;
/** Another CA: the https:// proxy's, which the origins' CA does not vouch for. */
let proxyCertificates: TestCertificates;
/** An https origin that requires a client certificate under the tests' CA. */
let mutual: TlsServer;
/** The subject each request's client certificate had, as the origin saw it. */
const subjects: string[] = [];

beforeAll(async () => {
  [certificates, proxyCertificates] = await Promise.all([createTestCertificates(), createTestCertificates()]);
  const { server, ca } = certificates;
  mutual = await startTlsServer(
    { cert: server.cert, key: server.key, ca: ca.cert, requestCert: true, rejectUnauthorized: true },
    (message, response) => {
      const name = String((message.socket as TLSSocket).getPeerCertificate().subject?.CN ?? "nobody");
      subjects.push(name);
      response.end(`hello ${name} ${message.headers["proxy-authorization"] ?? "-"}`);
    },
  );
});

afterAll(async () => {
  await mutual?.close();
});

describe.skipIf(SQUID === undefined)("through squid's CONNECT to an https origin", () => {
  let squid: Squid;
  beforeAll(async () => {
    squid = await startSquid({ basic: { alice: "s3cret" } });
  });
  afterAll(() => squid?.stop());

  const proxy = () => ({ url: squid.url, auth: ["alice", "s3cret"] as [string, string] });

  it("Client: tls.ca and the client certificate reach the origin end to end; squid sees only CONNECTs", async () => {
    const { ca, client: pair } = certificates;
    const client = new Client({ proxy: proxy(), tls: { ca: ca.cert, cert: pair.cert, key: pair.key } });
    const before = squid.log().length;
    for (let round = 0; round < 3; round++) {
      const response = await client.get(`${mutual.url}/hello`);
      expect(await response.text()).toBe("hello mtls-client -");
    }
    await client.close();
    const lines = (await squid.settledLog(before + 2)).slice(before);
    expect(lines.map((line) => line.method)).toEqual(lines.map(() => "CONNECT"));
    expect(lines.filter((line) => line.status === 200).every((line) => line.user === "alice")).toBe(true);
  });

  it("proxyAgent({ tls }) with undici.request: the same, for the origin inside the tunnel", async () => {
    const { ca, client: pair } = certificates;
    const dispatcher = proxyAgent({ ...proxy(), tls: { ca: ca.cert, cert: pair.cert, key: pair.key } });
    try {
      const { statusCode, body } = await request(`${mutual.url}/agent`, { dispatcher });
      expect(statusCode).toBe(200);
      expect(await body.text()).toBe("hello mtls-client -");
    } finally {
      await dispatcher.close();
    }
  });

  it("without tls.ca: TlsError unknown-ca naming the origin and tls.ca, not the proxy", async () => {
    const { client: pair } = certificates;
    const client = new Client({ proxy: proxy(), tls: { cert: pair.cert, key: pair.key } });
    const failure = await client.get(`${mutual.url}/no-ca`).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TlsError);
    expect(failure).toMatchObject({ reason: "unknown-ca", option: "tls.ca", origin: mutual.url });
    await client.close();
  });

  it("without the client certificate the origin requires: TlsError client-certificate naming tls.cert", async () => {
    const client = new Client({ proxy: proxy(), tls: { ca: certificates.ca.cert } });
    const failure = await client.get(`${mutual.url}/no-cert`).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TlsError);
    expect(failure).toMatchObject({ reason: "client-certificate", option: "tls.cert", origin: mutual.url });
    await client.close();
  });

  it("a client certificate the origin's CA did not issue is refused inside the tunnel too", async () => {
    const { untrusted } = certificates;
    const client = new Client({
      proxy: proxy(),
      tls: { ca: certificates.ca.cert, cert: untrusted.cert, key: untrusted.key },
    });
    const before = subjects.length;
    // Node's TLS server closes without an alert here (test/tls/client.test.ts): a failure, never an answer.
    await expect(client.get(`${mutual.url}/untrusted`)).rejects.toThrow();
    expect(subjects.length).toBe(before);
    await client.close();
  });
});

describe("an https:// proxy: its own CA, apart from the origins'", () => {
  /** An origin whose certificate comes from the tests' CA, and no client certificate asked. */
  let origin: TlsServer;
  beforeAll(async () => {
    origin = await startTlsServer({ cert: certificates.server.cert, key: certificates.server.key });
  });
  afterAll(() => origin?.close());

  it("proxy.ca verifies the proxy, tls.ca the origin: each hop trusts only its own CA", async () => {
    const proxy = await startTestProxy({ basic: { user: "alice", password: "s3cret" }, tls: proxyCertificates.server });
    try {
      const client = new Client({
        proxy: { url: proxy.url, auth: ["alice", "s3cret"], ca: proxyCertificates.ca.cert },
        tls: { ca: certificates.ca.cert },
      });
      expect(await (await client.get(`${origin.url}/both`)).text()).toBe("ok");
      await client.close();
      const dispatcher = proxyAgent({
        url: proxy.url,
        auth: ["alice", "s3cret"],
        ca: proxyCertificates.ca.cert,
        tls: { ca: certificates.ca.cert },
      });
      const { statusCode, body } = await request(`${origin.url}/agent`, { dispatcher });
      expect(statusCode).toBe(200);
      await body.dump();
      await dispatcher.close();
      expect(proxy.requests.filter((entry) => entry.method === "CONNECT" && entry.status === 200)).toHaveLength(2);
    } finally {
      await proxy.close();
    }
  });

  it("the origins' tls.ca still verifies the proxy when proxy.ca is left out (one private CA for both)", async () => {
    const proxy = await startTestProxy({ tls: certificates.server });
    try {
      const client = new Client({ proxy: proxy.url, tls: { ca: certificates.ca.cert } });
      expect((await client.get(`${origin.url}/one-ca`)).status).toBe(200);
      await client.close();
    } finally {
      await proxy.close();
    }
  });

  it("a proxy whose CA is not trusted: TlsError naming the proxy and proxy.ca, before any CONNECT", async () => {
    const proxy = await startTestProxy({ tls: proxyCertificates.server });
    try {
      const client = new Client({ proxy: proxy.url, tls: { ca: certificates.ca.cert } });
      const failure = await client.get(`${origin.url}/wrong-ca`).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(TlsError);
      expect(failure).toMatchObject({ reason: "unknown-ca", option: "proxy.ca", origin: proxy.url });
      expect((failure as Error).message).toContain(`the TLS connection to the proxy ${proxy.url} failed`);
      expect(proxy.requests).toEqual([]);
      // An http: target goes to the proxy in absolute form: the same hop, the same error (the port is never reached).
      const plain = await client.get("http://127.0.0.1:65001/x").catch((error: unknown) => error);
      expect(plain).toMatchObject({ name: "TlsError", origin: proxy.url, option: "proxy.ca" });
      await client.close();
    } finally {
      await proxy.close();
    }
  });

  it("proxy.ca is checked at construction, and refused for a plain http:// proxy", () => {
    expect(() => new Client({ proxy: { url: "https://127.0.0.1:3129", ca: "not a pem" } })).toThrow(
      expect.objectContaining({ name: "InvalidArgumentError", option: "proxy.ca" }),
    );
    const plain = () => new Client({ proxy: { url: "http://127.0.0.1:3128", ca: certificates.ca.cert } });
    expect(plain).toThrow(InvalidArgumentError);
    expect(plain).toThrow(/proxy\.ca verifies an https:\/\/ proxy/);
  });
});
