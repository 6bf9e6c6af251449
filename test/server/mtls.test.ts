/**
 * Issue 14, the server's part: HTTPS with `tls`, RFC 8705 mutual-TLS client
 * authentication (`tls_client_auth`, `self_signed_tls_client_auth`),
 * certificate-bound tokens (`cnf.x5t#S256`) and `/oauth/mtls-protected`.
 * Certificates come from `createTestCertificates()` (openssl); requests go
 * through undici Agents presenting (or not) a client certificate.
 */
import { connect } from "node:tls";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  certificateThumbprint,
  createTestCertificates,
  defaultClients,
  mtlsTestClients,
  startTestServer,
  type TestCertificates,
  type TestKeyPair,
  type TestServer,
} from "../../src/server/index.js";

let certificates: TestCertificates;
let server: TestServer;
const agents: Agent[] = [];
beforeAll(async () => {
  certificates = await createTestCertificates();
  const { ca, server: pair } = certificates;
  server = await startTestServer({
    tls: { cert: pair.cert, key: pair.key, ca: ca.cert, requestCert: true },
    clients: [...defaultClients(), ...mtlsTestClients(certificates)],
  });
});
afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.close()));
  await server.close();
});

/** An Agent trusting the test CA and presenting `identity` (none when undefined). */
function agent(identity?: TestKeyPair): Agent {
  const made = new Agent({ connect: { ca: certificates.ca.cert, ...(identity ?? {}) } });
  agents.push(made);
  return made;
}

async function call(
  path: string,
  dispatcher: Agent,
  options: { method?: "GET" | "POST"; headers?: Record<string, string>; body?: string } = {},
) {
  const { statusCode, headers, body } = await request(`${server.url}${path}`, { dispatcher, ...options });
  return { status: statusCode, headers, json: (await body.json()) as Record<string, unknown> };
}

function tokenRequest(clientId: string, dispatcher: Agent) {
  return call("/oauth/token", dispatcher, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId }).toString(),
  });
}

describe("tls: HTTPS", () => {
  it("serves https on 127.0.0.1 with a certificate the test CA signed; plain clients without the CA are refused", async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await call("/anything", agent())).status).toBe(200);
    const local = server.url.replace("127.0.0.1", "localhost");
    expect((await request(`${local}/anything`, { dispatcher: agent() })).statusCode).toBe(200);
    await expect(fetch(`${server.url}/anything`)).rejects.toThrow();
  });

  it("advertises mTLS in the RFC 8414 metadata (RFC 8705 §3.3, §5)", async () => {
    const { json } = await call("/.well-known/oauth-authorization-server", agent());
    expect(json).toMatchObject({
      issuer: server.url,
      tls_client_certificate_bound_access_tokens: true,
      mtls_endpoint_aliases: { token_endpoint: `${server.url}/oauth/token` },
    });
    expect(json.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(["tls_client_auth", "self_signed_tls_client_auth"]),
    );
  });

  it("certificates: thumbprints are the base64url SHA-256 of the DER certificate", () => {
    expect(certificateThumbprint(certificates.client.cert)).toBe(certificates.client.thumbprint);
    expect(certificates.client.thumbprint).toMatch(/^[\w-]{43}$/);
    expect(certificates.client.subject).toBe("CN=mtls-client,O=authflow tests");
  });
});

describe("tls_client_auth (RFC 8705 §2.1)", () => {
  it("issues a token bound to the certificate, which /oauth/mtls-protected accepts with that certificate", async () => {
    const client = agent(certificates.client);
    const issued = await tokenRequest("mtls-client", client);
    expect(issued.status).toBe(200);
    expect(issued.json.token_type).toBe("Bearer");
    const authorization = `Bearer ${issued.json.access_token}`;
    const answer = await call("/oauth/mtls-protected", client, { headers: { authorization } });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      client_id: "mtls-client",
      cnf: { "x5t#S256": certificates.client.thumbprint },
    });
    expect((await call("/oauth/protected", client, { headers: { authorization } })).status).toBe(200);
    expect(server.stats().tokenRequestsByAuthMethod.tls_client_auth).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ["no certificate", undefined, "no-certificate"],
    ["the wrong subject", "wrongSubject", "subject"],
    ["a certificate from an untrusted CA", "untrusted", "untrusted"],
    ["a self-signed certificate", "selfSigned", "untrusted"],
  ] as const)("refuses %s: 401 invalid_client", async (_name, which, reason) => {
    const before = server.stats().mtls.refusals[reason] ?? 0;
    const answer = await tokenRequest("mtls-client", agent(which === undefined ? undefined : certificates[which]));
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ error: "invalid_client" });
    expect(server.stats().mtls.refusals[reason]).toBe(before + 1);
  });
});

describe("self_signed_tls_client_auth (RFC 8705 §2.2)", () => {
  it("issues a token bound to the registered self-signed certificate", async () => {
    const client = agent(certificates.selfSigned);
    const issued = await tokenRequest("self-signed-client", client);
    expect(issued.status).toBe(200);
    const answer = await call("/oauth/mtls-protected", client, {
      headers: { authorization: `Bearer ${issued.json.access_token}` },
    });
    expect(answer.json).toMatchObject({ cnf: { "x5t#S256": certificates.selfSigned.thumbprint } });
  });

  it("refuses another certificate, even one the CA signed", async () => {
    const answer = await tokenRequest("self-signed-client", agent(certificates.client));
    expect(answer.status).toBe(401);
    expect(server.stats().mtls.refusals.thumbprint).toBeGreaterThanOrEqual(1);
  });
});

describe("certificate-bound tokens at the resources (RFC 8705 §3)", () => {
  let token: string;
  beforeAll(async () => {
    token = (await tokenRequest("mtls-client", agent(certificates.client))).json.access_token as string;
  });

  it.each([
    ["no certificate", undefined, "no-certificate"],
    ["another certificate", "wrongSubject", "binding"],
    ["a self-signed certificate", "selfSigned", "binding"],
  ] as const)("refuse the token with %s: 401 invalid_token, at every route", async (_name, which, reason) => {
    const before = server.stats().mtls.refusals[reason] ?? 0;
    const other = agent(which === undefined ? undefined : certificates[which]);
    for (const path of ["/oauth/mtls-protected", "/oauth/protected"]) {
      const answer = await call(path, other, { headers: { authorization: `Bearer ${token}` } });
      expect(answer.status).toBe(401);
      expect(answer.headers["www-authenticate"]).toContain('error="invalid_token"');
    }
    expect(server.stats().mtls.refusals[reason]).toBe(before + 2);
  });

  it("/oauth/mtls-protected refuses a token that is not certificate-bound", async () => {
    const basic = `Basic ${Buffer.from("basic-client:basic-secret").toString("base64")}`;
    const client = agent(certificates.client);
    const issued = await call("/oauth/token", client, {
      method: "POST",
      headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
    const answer = await call("/oauth/mtls-protected", client, {
      headers: { authorization: `Bearer ${issued.json.access_token}` },
    });
    expect(answer.status).toBe(401);
    expect(server.stats().mtls.refusals["not-bound"]).toBeGreaterThanOrEqual(1);
  });
});

describe("defaults and options", () => {
  it("with requestCert and no clients, mtls-client (default subject) is registered next to defaultClients()", async () => {
    const { ca, server: pair, client } = certificates;
    const defaults = await startTestServer({ tls: { cert: pair.cert, key: pair.key, ca: ca.cert, requestCert: true } });
    try {
      const dispatcher = agent(client);
      const { statusCode, body } = await request(`${defaults.url}/oauth/token`, {
        dispatcher,
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "grant_type=client_credentials&client_id=mtls-client",
      });
      await body.arrayBuffer();
      expect(statusCode).toBe(200);
    } finally {
      await defaults.close();
    }
  });

  it("without requestCert, the metadata says nothing of mTLS and tls_client_auth fails without a certificate", async () => {
    const { server: pair } = certificates;
    const plain = await startTestServer({ tls: { cert: pair.cert, key: pair.key }, clients: mtlsTestClients() });
    try {
      const { body } = await request(`${plain.url}/.well-known/oauth-authorization-server`, { dispatcher: agent() });
      const metadata = (await body.json()) as Record<string, unknown>;
      expect(metadata.mtls_endpoint_aliases).toBeUndefined();
      const token = await request(`${plain.url}/oauth/token`, {
        dispatcher: agent(certificates.client),
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "grant_type=client_credentials&client_id=mtls-client",
      });
      expect(token.statusCode).toBe(401);
      expect(await token.body.json()).toMatchObject({ error: "invalid_client" });
    } finally {
      await plain.close();
    }
  });
});

describe("the client certificate cannot change under a connection", () => {
  it("TLS 1.2 renegotiation is refused (the certificate is read once per connection)", async () => {
    const { ca, client } = certificates;
    const port = Number(new URL(server.url).port);
    const socket = connect({
      host: "127.0.0.1",
      port,
      ca: ca.cert,
      cert: client.cert,
      key: client.key,
      maxVersion: "TLSv1.2",
    });
    const outcome = await new Promise<string>((resolve) => {
      socket.on("error", () => {});
      socket.on("close", () => resolve("closed"));
      socket.on("secureConnect", () => {
        const done = (error: Error | null) =>
          resolve(error === null || error === undefined ? "renegotiated" : "refused");
        socket.renegotiate({ rejectUnauthorized: true }, done);
        socket.write("GET /anything HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n");
      });
    });
    socket.destroy();
    expect(outcome).not.toBe("renegotiated");
  });
});
