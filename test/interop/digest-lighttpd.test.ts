import { join } from "node:path";
import type { Dispatcher } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseChallenges } from "../../src/headers/challenge.js";
import { withAuth } from "../../src/index.js";
import { DigestAuth } from "../../src/schemes/digest.js";
import {
  type ExternalServer,
  fastPathDoors,
  findBinary,
  htdigestLine,
  launch,
  recordingFetch,
  writeFiles,
} from "./servers.js";

// lighttpd's mod_auth (Debian's lighttpd package): RFC 7616 with MD5, SHA-256
// and SHA-512-256, userhash and username*. It sends no Authentication-Info.
const lighttpd = findBinary("/usr/sbin/lighttpd", "lighttpd");
const modules = "/usr/lib/lighttpd";
const REALM = "private area";
// SHA-256 and SHA-512-256 hashes are both 64 hex digits, which lighttpd's
// htdigest backend cannot tell apart: the SHA-512-256 area has a realm of its own.
const STRONG_REALM = "strong area";
const NON_ASCII_USER = "J\u00e4s\u00f8n Doe";
const NON_ASCII_PASSWORD = "Secret, or not?";

function configuration(directory: string, port: number): string {
  const area = (path: string, realm: string, algorithm: string, userhash: boolean) =>
    `"${path}" => ( "method" => "digest", "realm" => "${realm}", "require" => "valid-user", ` +
    `"algorithm" => "${algorithm}"${userhash ? `, "userhash" => "enable"` : ""} )`;
  return `server.document-root = "${directory}/htdocs"
server.bind = "127.0.0.1"
server.port = ${port}
server.modules-directory = "${modules}"
server.modules = ("mod_auth", "mod_authn_file", "mod_accesslog")
server.errorlog = "${directory}/error.log"
accesslog.filename = "${directory}/access.log"
mimetype.assign = (".json" => "application/json")
auth.backend = "htdigest"
auth.backend.htdigest.userfile = "${directory}/htdigest"
auth.require = (
  ${area("/md5/", REALM, "MD5", false)},
  ${area("/sha256/", REALM, "SHA-256", true)},
  ${area("/strong/", STRONG_REALM, "SHA-512-256|SHA-256|MD5", false)}
)
`;
}

function passwordFile(): string {
  const lines: string[] = [];
  for (const [user, password] of [
    ["user", "passwd"],
    [NON_ASCII_USER, NON_ASCII_PASSWORD],
  ] as const) {
    lines.push(htdigestLine("md5", user, REALM, password, true));
    lines.push(htdigestLine("sha256", user, REALM, password, true));
    lines.push(htdigestLine("sha512-256", user, STRONG_REALM, password));
    lines.push(htdigestLine("md5", user, STRONG_REALM, password));
  }
  return `${lines.join("\n")}\n`;
}

describe.skipIf(lighttpd === undefined)("Digest interop: lighttpd mod_auth", () => {
  let server: ExternalServer;

  beforeAll(async () => {
    server = await launch({
      command: lighttpd as string,
      args: (directory) => ["-D", "-f", join(directory, "lighttpd.conf")],
      prepare: (directory, port) =>
        writeFiles(directory, {
          "lighttpd.conf": configuration(directory, port),
          htdigest: passwordFile(),
          "htdocs/md5/data.json": '{"area":"md5"}\n',
          "htdocs/sha256/data.json": '{"area":"sha256"}\n',
          "htdocs/strong/data.json": '{"area":"strong"}\n',
          "htdocs/strong/my data.json": '{"area":"strong","spaced":true}\n',
        }),
      accessLog: "access.log",
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  const send = (auth: DigestAuth, log: (string | null)[] = []) =>
    withAuth(recordingFetch(log), auth, { rejectionGuard: false });

  const paramsOf = (header: string | null | undefined) => ({ ...(parseChallenges(header ?? "")[0]?.params ?? {}) });

  it("authenticates with MD5", async () => {
    const response = await send(new DigestAuth("user", "passwd"))(`${server.url}/md5/data.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ area: "md5" });
  });

  it("authenticates with SHA-256 and userhash", async () => {
    const log: (string | null)[] = [];
    const response = await send(new DigestAuth("user", "passwd"), log)(`${server.url}/sha256/data.json`);
    expect(response.status).toBe(200);
    expect(paramsOf(log[1])).toMatchObject({ algorithm: "SHA-256", userhash: "true" });
  });

  it("picks SHA-512-256 out of three challenges", async () => {
    const log: (string | null)[] = [];
    const response = await send(new DigestAuth("user", "passwd"), log)(`${server.url}/strong/data.json`);
    expect(response.status).toBe(200);
    expect(paramsOf(log[1]).algorithm).toBe("SHA-512-256");
  });

  it("sends a user name outside ASCII as username*, or hashed with userhash", async () => {
    const log: (string | null)[] = [];
    const fetcher = send(new DigestAuth(NON_ASCII_USER, NON_ASCII_PASSWORD), log);
    expect((await fetcher(`${server.url}/md5/data.json`)).status).toBe(200);
    expect(paramsOf(log[1])["username*"]).toBe("UTF-8''J%C3%A4s%C3%B8n%20Doe");
    expect((await fetcher(`${server.url}/sha256/data.json`)).status).toBe(200);
  });

  // lighttpd buffers its access log, so the requests are counted as they leave the client.
  it("answers the challenge once, then sends 20 more requests preemptively", async () => {
    const log: (string | null)[] = [];
    const fetcher = send(new DigestAuth("user", "passwd"), log);
    for (let index = 0; index < 21; index++) {
      const response = await fetcher(`${server.url}/sha256/data.json?n=${index}`);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    expect(log).toHaveLength(22);
    expect(log.filter((header) => header === null)).toHaveLength(1);
    expect(log.slice(2).map((header) => paramsOf(header).nc)).toEqual(
      Array.from({ length: 20 }, (_, index) => (index + 2).toString(16).padStart(8, "0")),
    );
  });

  it("serves 50 concurrent requests after the first", async () => {
    const fetcher = send(new DigestAuth("user", "passwd"));
    expect((await fetcher(`${server.url}/strong/data.json`)).status).toBe(200);
    const responses = await Promise.all(Array.from({ length: 50 }, () => fetcher(`${server.url}/strong/data.json`)));
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
  });

  // The fast paths compute the header without a Request object, from the URL as the transport sends it.
  // SHA-512-256 (picked out of three challenges) for the user outside ASCII (username*): the rarest path.
  // lighttpd buffers its access log, so the requests are counted on the way out, beneath authflow.
  const FAST_PATH = "/strong/my%20data.json?q=a%20b&x=%2F";
  const sent = { count: 0 };
  const counting: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) => {
    sent.count += 1;
    return dispatch(options, handler);
  };
  for (const [door, sender] of fastPathDoors(counting)) {
    it(`takes the fast path through ${door}: one challenge, then 20 requests with one round trip each`, async () => {
      sent.count = 0;
      // Global fetch counted the way instrumentation wraps it: withAuth and Client still take their direct path.
      const platform = globalThis.fetch;
      globalThis.fetch = (input, init) => {
        sent.count += 1;
        return platform(input, init);
      };
      try {
        const send = sender(new DigestAuth(NON_ASCII_USER, NON_ASCII_PASSWORD));
        for (let index = 0; index < 21; index++) expect(await send(`${server.url}${FAST_PATH}&n=${index}`)).toBe(200);
      } finally {
        globalThis.fetch = platform;
      }
      expect(sent.count).toBe(22);
    });
  }

  it("makes one attempt with a wrong password and returns lighttpd's 401", async () => {
    const log: (string | null)[] = [];
    const response = await send(new DigestAuth("user", "wrong"), log)(`${server.url}/md5/data.json`);
    expect(response.status).toBe(401);
    expect(log).toHaveLength(2);
  });
});
