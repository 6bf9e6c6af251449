import { userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthChallengeError, withAuth } from "../../src/index.js";
import { DigestAuth, type DigestAuthOptions } from "../../src/schemes/digest.js";
import {
  type ExternalServer,
  fastPathDoors,
  findBinary,
  htdigestLine,
  launch,
  recordingFetch,
  writeFiles,
} from "./servers.js";

// Apache httpd's mod_auth_digest (Debian's apache2 package). Apache 2.4 speaks
// MD5 with qop=auth only: no SHA-256, no -sess ("Unsupported algorithm in
// AuthDigestAlgorithm"), no auth-int, and neither userhash nor username*.
const apache = findBinary("/usr/sbin/apache2", "apache2");
const modules = "/usr/lib/apache2/modules";
const REALM = "private area";
// A user outside ASCII, and a realm outside ASCII: Apache reads both as the bytes sent (UTF-8 here).
const NON_ASCII_USER = "zo\u00eb";
const NON_ASCII_PASSWORD = "p\u00e4ssw\u00f6rd";
const NON_ASCII_REALM = "B\u00fccher";

function configuration(directory: string, port: number): string {
  const runAs = userInfo().uid === 0 ? "User www-data\nGroup www-data\n" : "";
  const load = ["mpm_event", "authn_core", "authn_file", "authz_core", "authz_user", "auth_digest"]
    .map((name) => `LoadModule ${name}_module ${modules}/mod_${name}.so`)
    .join("\n");
  return `ServerRoot "${directory}"
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
PidFile ${directory}/httpd.pid
ErrorLog ${directory}/error.log
DefaultRuntimeDir ${directory}
Mutex file:${directory} default
${load}
${runAs}DocumentRoot ${directory}/htdocs
LogFormat "%r %>s" simple
CustomLog ${directory}/access.log simple
<Location /private>
  AuthType Digest
  AuthName "${REALM}"
  AuthDigestDomain /private/
  AuthDigestProvider file
  AuthUserFile ${directory}/htdigest
  AuthDigestQop auth
  Require valid-user
</Location>
<Location /books>
  AuthType Digest
  AuthName "${NON_ASCII_REALM}"
  AuthDigestProvider file
  AuthUserFile ${directory}/htdigest
  AuthDigestQop auth
  Require valid-user
</Location>
`;
}

describe.skipIf(apache === undefined)("Digest interop: Apache httpd mod_auth_digest", () => {
  let server: ExternalServer;

  beforeAll(async () => {
    server = await launch({
      command: apache as string,
      args: (directory) => ["-X", "-f", join(directory, "httpd.conf")],
      prepare: (directory, port) =>
        writeFiles(directory, {
          "httpd.conf": configuration(directory, port),
          htdigest: `${[
            htdigestLine("md5", "user", REALM, "passwd"),
            htdigestLine("md5", NON_ASCII_USER, REALM, NON_ASCII_PASSWORD),
            htdigestLine("md5", NON_ASCII_USER, NON_ASCII_REALM, NON_ASCII_PASSWORD),
            htdigestLine("md5", "user", NON_ASCII_REALM, "passwd"),
          ].join("\n")}\n`,
          "htdocs/private/data.json": '{"secret":true}\n',
          "htdocs/private/my data.json": '{"spaced":true}\n',
          "htdocs/public/data.json": '{"public":true}\n',
          "htdocs/books/data.json": '{"books":true}\n',
        }),
      accessLog: "access.log",
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  const send = (auth: DigestAuth, log: (string | null)[] = []) =>
    withAuth(recordingFetch(log), auth, { rejectionGuard: false });

  /** The log's length once earlier requests' lines are in: where a test starts counting. */
  const logMark = async () => (await server.settledAccessLog(0)).length;

  /** The lines logged since `since`, once there are at least `expected` of them. */
  const loggedSince = async (since: number, expected: number) =>
    (await server.settledAccessLog(since + expected)).slice(since);

  const withStatus = (lines: readonly string[], status: string) =>
    lines.filter((line) => line.endsWith(` ${status}`)).length;

  it("authenticates with MD5 and qop=auth, and verifies Apache's rspauth", async () => {
    const options: DigestAuthOptions = { verifyServer: true };
    const response = await send(new DigestAuth("user", "passwd", options))(`${server.url}/private/data.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ secret: true });
  });

  it("answers the challenge once, then sends 20 more requests preemptively", async () => {
    const since = await logMark();
    const fetcher = send(new DigestAuth("user", "passwd"));
    for (let index = 0; index < 21; index++) {
      const response = await fetcher(`${server.url}/private/data.json?n=${index}`);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    const lines = await loggedSince(since, 22);
    expect(withStatus(lines, "401")).toBe(1);
    expect(withStatus(lines, "200")).toBe(21);
  });

  it("serves 50 concurrent requests after the first", async () => {
    const fetcher = send(new DigestAuth("user", "passwd"));
    expect((await fetcher(`${server.url}/private/data.json`)).status).toBe(200);
    const responses = await Promise.all(Array.from({ length: 50 }, () => fetcher(`${server.url}/private/data.json`)));
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
  });

  // The fast paths compute the header without a Request object, from the URL as the transport sends it:
  // Apache compares the Digest uri with the request-target, so a space and an escaped slash must survive.
  const FAST_PATH = "/private/my%20data.json?q=a%20b&x=%2F";
  for (const [door, sender] of fastPathDoors()) {
    it(`takes the fast path through ${door}: one 401, then 20 requests with one round trip each`, async () => {
      const since = await logMark();
      const send = sender(new DigestAuth("user", "passwd"));
      for (let index = 0; index < 21; index++) expect(await send(`${server.url}${FAST_PATH}&n=${index}`)).toBe(200);
      const lines = await loggedSince(since, 22);
      expect(withStatus(lines, "401")).toBe(1);
      expect(withStatus(lines, "200")).toBe(21);
    });
  }

  it("makes one attempt with a wrong password and returns Apache's 401", async () => {
    const since = await logMark();
    const response = await send(new DigestAuth("user", "wrong"))(`${server.url}/private/data.json`);
    expect(response.status).toBe(401);
    expect(await loggedSince(since, 2)).toHaveLength(2);
  });

  it("keeps to Apache's domain: no Digest response outside /private/", async () => {
    const log: (string | null)[] = [];
    const fetcher = send(new DigestAuth("user", "passwd"), log);
    expect((await fetcher(`${server.url}/private/data.json`)).status).toBe(200);
    expect((await fetcher(`${server.url}/public/data.json`)).status).toBe(200);
    expect(log).toHaveLength(3);
    expect(log[2]).toBeNull();
  });

  it("refuses Apache's MD5 when only SHA-256 is allowed, naming what Apache offered", async () => {
    const auth = new DigestAuth("user", "passwd", { algorithms: ["SHA-256"] });
    const error = await send(auth)(`${server.url}/private/data.json`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthChallengeError);
    expect((error as AuthChallengeError).offered).toEqual(["MD5"]);
  });

  // Apache advertises no charset and knows no username*: a name outside ASCII goes as its UTF-8 bytes in
  // a quoted username, as curl and browsers send it (where a server says charset=UTF-8: lighttpd's test).
  it("authenticates a user name outside ASCII (zoë / pässwörd): its UTF-8 bytes in a quoted username", async () => {
    const log: (string | null)[] = [];
    const response = await send(
      new DigestAuth(NON_ASCII_USER, NON_ASCII_PASSWORD),
      log,
    )(`${server.url}/private/data.json`);
    expect(response.status).toBe(200);
    expect(log[1]).not.toContain("username*");
    expect(Buffer.from(log[1] ?? "", "latin1").toString("utf8")).toContain(`username="${NON_ASCII_USER}"`);
  });

  it("hashes a realm outside ASCII as the bytes Apache sent", async () => {
    const response = await send(new DigestAuth("user", "passwd"))(`${server.url}/books/data.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ books: true });
  });

  for (const [door, sender] of fastPathDoors()) {
    it(`authenticates zoë through ${door}: the challenge, then the fast path`, async () => {
      const since = await logMark();
      const send = sender(new DigestAuth(NON_ASCII_USER, NON_ASCII_PASSWORD));
      for (let index = 0; index < 3; index++)
        expect(await send(`${server.url}/private/data.json?z=${index}`)).toBe(200);
      expect(await send(`${server.url}/books/data.json`)).toBe(200);
      const lines = await loggedSince(since, 6);
      expect(withStatus(lines, "401")).toBe(2);
      expect(withStatus(lines, "200")).toBe(4);
    });
  }
});
