import { createHash } from "node:crypto";
import { userInfo } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BasicAuth, Client, DigestAuth, TlsError, withAuth } from "../../src/index.js";
import { createTestCertificates, type TestCertificates } from "../../src/server/index.js";
import { authInterceptor, tlsAgent } from "../../src/undici/index.js";
import { type ExternalServer, findBinary, htdigestLine, launch, writeFiles } from "./servers.js";

// Apache httpd with mod_ssl (Debian's apache2) serving Basic and Digest over TLS with the tests' own CA,
// and a location that requires a client certificate (issue 14). The server asks for a certificate in
// every handshake (SSLVerifyClient optional): one it cannot verify fails the handshake with an alert,
// none at all reaches /mtls, which refuses it (403), as it refuses a verified one with another subject.
const apache = findBinary("/usr/sbin/apache2", "apache2");
const modules = "/usr/lib/apache2/modules";
const REALM = "tls area";

function configuration(directory: string, port: number): string {
  const runAs = userInfo().uid === 0 ? "User www-data\nGroup www-data\n" : "";
  const load = ["mpm_event", "authn_core", "authn_file", "authz_core", "authz_user", "auth_basic", "auth_digest", "ssl"]
    .map((name) => `LoadModule ${name}_module ${modules}/mod_${name}.so`)
    .join("\n");
  return `ServerRoot "${directory}"
ServerName 127.0.0.1
Listen 127.0.0.1:${port} https
PidFile ${directory}/httpd.pid
ErrorLog ${directory}/error.log
DefaultRuntimeDir ${directory}
Mutex file:${directory} default
${load}
${runAs}DocumentRoot ${directory}/htdocs
LogFormat "%r %>s %{SSL_CLIENT_S_DN_CN}x" simple
CustomLog ${directory}/access.log simple
SSLEngine on
SSLCertificateFile ${directory}/server.crt
SSLCertificateKeyFile ${directory}/server.key
SSLCACertificateFile ${directory}/ca.crt
SSLVerifyClient optional
SSLVerifyDepth 2
<Location /basic>
  AuthType Basic
  AuthName "${REALM}"
  AuthBasicProvider file
  AuthUserFile ${directory}/htpasswd
  Require valid-user
</Location>
<Location /digest>
  AuthType Digest
  AuthName "${REALM}"
  AuthDigestProvider file
  AuthUserFile ${directory}/htdigest
  AuthDigestQop auth
  Require valid-user
</Location>
<Location /mtls>
  Require expr "%{SSL_CLIENT_VERIFY} == 'SUCCESS' && %{SSL_CLIENT_S_DN_CN} == 'mtls-client'"
</Location>
`;
}

/** An htpasswd line in Apache's {SHA} form. */
const htpasswdLine = (user: string, password: string) =>
  `${user}:{SHA}${createHash("sha1").update(password).digest("base64")}`;

let certificates: TestCertificates;
let server: ExternalServer;
let origin: string;

describe.skipIf(apache === undefined)("TLS interop: Apache httpd mod_ssl", () => {
  beforeAll(async () => {
    certificates = await createTestCertificates();
    server = await launch({
      command: apache as string,
      args: (directory) => ["-X", "-f", join(directory, "httpd.conf")],
      prepare: (directory, port) =>
        writeFiles(directory, {
          "httpd.conf": configuration(directory, port),
          "server.crt": certificates.server.cert,
          "server.key": certificates.server.key,
          "ca.crt": certificates.ca.cert,
          htpasswd: `${htpasswdLine("user", "pass word")}\n`,
          htdigest: `${htdigestLine("md5", "user", REALM, "pass word")}\n`,
          "htdocs/basic/data.json": '{"basic":true}\n',
          "htdocs/digest/data.json": '{"digest":true}\n',
          "htdocs/mtls/data.json": '{"mtls":true}\n',
        }),
      accessLog: "access.log",
    });
    origin = server.url.replace("http:", "https:");
  });

  afterAll(async () => {
    await server?.stop();
  });

  const ca = () => ({ ca: certificates.ca.cert });
  const identity = (which: "client" | "wrongSubject" | "untrusted") => ({
    ca: certificates.ca.cert,
    cert: certificates[which].cert,
    key: certificates[which].key,
  });

  it("Basic over TLS with the tests' CA: one request each, preemptively", async () => {
    const since = server.accessLog().length;
    const client = new Client({ baseURL: origin, tls: ca(), auth: new BasicAuth("user", "pass word") });
    for (let round = 0; round < 3; round++) {
      const response = await client.get("/basic/data.json");
      expect(await response.json()).toEqual({ basic: true });
    }
    const lines = (await server.settledAccessLog(since + 3)).slice(since);
    expect(lines.map((line) => line.split(" ").at(-2))).toEqual(["200", "200", "200"]);
  });

  it("Digest over TLS: one challenge, then one round trip per request", async () => {
    const since = server.accessLog().length;
    const client = new Client({ baseURL: origin, tls: ca(), auth: new DigestAuth("user", "pass word") });
    for (let round = 0; round < 4; round++) expect((await client.get(`/digest/data.json?n=${round}`)).status).toBe(200);
    const lines = (await server.settledAccessLog(since + 5)).slice(since);
    expect(lines.filter((line) => line.includes(" 401 "))).toHaveLength(1);
    expect(lines.filter((line) => line.includes(" 200 "))).toHaveLength(4);
  });

  it("withAuth and the undici interceptor over tlsAgent", async () => {
    const dispatcher = tlsAgent(ca());
    try {
      const fetcher = withAuth(
        (input, init) => fetch(input, { ...init, dispatcher } as RequestInit),
        new DigestAuth("user", "pass word"),
      );
      expect((await fetcher(`${origin}/digest/data.json`)).status).toBe(200);
      const intercepted = dispatcher.compose(authInterceptor(new BasicAuth("user", "pass word")));
      const { statusCode, body } = await request(`${origin}/basic/data.json`, { dispatcher: intercepted });
      expect(statusCode).toBe(200);
      await body.dump();
    } finally {
      await dispatcher.close();
    }
  });

  it("a location requiring a client certificate: served to mtls-client", async () => {
    const response = await new Client({ tls: identity("client") }).get(`${origin}/mtls/data.json`);
    expect(await response.json()).toEqual({ mtls: true });
    const lines = await server.settledAccessLog(server.accessLog().length);
    expect(lines.at(-1)).toMatch(/^GET \/mtls\/data\.json HTTP\/1\.1 200 mtls-client$/);
  });

  it("refuses no certificate and the wrong subject with 403", async () => {
    expect((await new Client({ tls: ca() }).get(`${origin}/mtls/data.json`)).status).toBe(403);
    expect((await new Client({ tls: identity("wrongSubject") }).get(`${origin}/mtls/data.json`)).status).toBe(403);
  });

  it("a certificate from an untrusted CA: Apache's alert becomes TlsError client-certificate", async () => {
    const failure = new Client({ tls: identity("untrusted") }).get(`${origin}/mtls/data.json`);
    await expect(failure).rejects.toBeInstanceOf(TlsError);
    await expect(failure).rejects.toMatchObject({
      reason: "client-certificate",
      option: "tls.cert",
      message: expect.stringMatching(/refused the client certificate in tls\.cert \(ERR_SSL_\w+\)/),
    });
  });

  it("no CA configured: TlsError unknown-ca naming tls.ca", async () => {
    const failure = new Client({ auth: new BasicAuth("user", "pass word") }).get(`${origin}/basic/data.json`);
    await expect(failure).rejects.toMatchObject({ name: "TlsError", reason: "unknown-ca", option: "tls.ca" });
  });
});
