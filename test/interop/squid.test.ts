/**
 * Issue 15 against real squid: 407 answered with Digest (check_nonce_count
 * on) and Basic, whichever squid offers for `[user, pass]`, on plain
 * requests (absolute form) and on CONNECT to an https origin with the tests'
 * CA; one round trip per request after the first exchange (counted in
 * squid's access log); proxy credentials never at the origin, nor inside the
 * tunnel; a wrong password bounded; awkward user names and passwords.
 */
import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthRejectedError,
  BasicAuth,
  Client,
  DigestAuth,
  InsecureTransportError,
  ProxyError,
} from "../../src/index.js";
import { createTestCertificates, type TestCertificates } from "../../src/server/index.js";
import { authInterceptor, proxyAgent } from "../../src/undici/index.js";
import { SQUID, type Squid, type SquidLine, startSquid } from "./squid.js";

/** Users whose names and passwords need care: spaces, quotes, backslashes, non-ASCII. */
const USERS: Record<string, string> = {
  alice: "s3cret",
  "user name": "pass word",
  carol: 'pa"ss\\w\u00f6rd',
  "zo\u00eb": "p\u00e4ssw\u00f6rd",
  'quo"te': 'pa"ss',
  "back\\slash": "pa\\ss",
};
/**
 * squid's Digest parser reads a quoted-pair in `username` as its end (`quo\"te` → `quo`) or drops the
 * backslash (`back\\slash` → `backslash`); curl fails there the same way. Digest covers quotes and
 * backslashes in passwords (hashed, never quoted); Basic covers them in user names.
 */
const DIGEST_USERS = Object.fromEntries(Object.entries(USERS).filter(([user]) => !/["\\]/.test(user)));

let certificates: TestCertificates;
let plain: Server;
let secure: Server;
let plainOrigin: string;
let secureOrigin: string;
/** Every request's headers as the origins saw them. */
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  certificates = await createTestCertificates();
  const record = (request: IncomingMessage, response: ServerResponse) => {
    seen.push(request.headers);
    response.end(`ok ${request.url}`);
  };
  plain = createHttpServer(record);
  secure = createHttpsServer({ cert: certificates.server.cert, key: certificates.server.key }, record);
  await Promise.all(
    [plain, secure].map((server) => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))),
  );
  plainOrigin = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
  secureOrigin = `https://127.0.0.1:${(secure.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const server of [plain, secure]) {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  }
});

const noProxyCredentialsAtOrigins = () => expect(seen.filter((headers) => headers["proxy-authorization"])).toEqual([]);
const count = (lines: readonly SquidLine[], status: number) => lines.filter((line) => line.status === status).length;

async function drain(response: Response): Promise<string> {
  return response.text();
}

describe.skipIf(SQUID === undefined)("squid with Digest (check_nonce_count on)", () => {
  let squid: Squid;
  beforeAll(async () => {
    squid = await startSquid({ digest: DIGEST_USERS });
  });
  afterAll(() => squid?.stop());

  it("http: one 407, then one round trip per request (10 requests, 11 proxy hits)", async () => {
    const client = new Client({ proxy: { url: squid.url, auth: ["alice", USERS.alice as string] } });
    const before = squid.log().length;
    for (let round = 0; round < 10; round++) {
      expect(await drain(await client.get(`${plainOrigin}/digest-${round}`))).toBe(`ok /digest-${round}`);
    }
    const lines = (await squid.settledLog(before + 11)).slice(before);
    expect(lines).toHaveLength(11);
    expect(count(lines, 407)).toBe(1);
    expect(lines.filter((line) => line.status === 200).every((line) => line.user === "alice")).toBe(true);
    expect(lines.at(-1)?.proxyAuthorization).toMatch(/^Digest username="alice".*nc=0000000a/);
    noProxyCredentialsAtOrigins();
  });

  it("https: the CONNECT answers the 407; requests inside the tunnel carry no proxy credentials", async () => {
    const client = new Client({
      proxy: { url: squid.url, auth: new DigestAuth("alice", USERS.alice as string) },
      tls: { ca: certificates.ca.cert },
    });
    const before = squid.log().length;
    for (let round = 0; round < 5; round++)
      expect(await drain(await client.get(`${secureOrigin}/t${round}`))).toBe(`ok /t${round}`);
    // squid logs a CONNECT when its tunnel ends.
    await client.close();
    const lines = (await squid.settledLog(before + 2)).slice(before);
    // One tunnel (or two: fetch frees a connection just after a body's end), each one 407 at most.
    expect(lines.every((line) => line.method === "CONNECT")).toBe(true);
    expect(count(lines, 407)).toBe(1);
    expect(count(lines, 200)).toBeGreaterThanOrEqual(1);
    noProxyCredentialsAtOrigins();
  });

  it.each(Object.entries(DIGEST_USERS))("user %j authenticates by Digest", async (user, password) => {
    const client = new Client({ proxy: { url: squid.url, auth: [user, password] } });
    const response = await client.get(`${plainOrigin}/user`);
    expect(response.status).toBe(200);
    await drain(response);
  });

  it("a stale nonce (squid's nonce_max_count) costs one more round trip, never a failure", async () => {
    const stale = await startSquid({ digest: DIGEST_USERS, nonceMaxCount: 3 });
    try {
      const client = new Client({ proxy: { url: stale.url, auth: ["alice", USERS.alice as string] } });
      for (let round = 0; round < 9; round++) expect((await client.get(`${plainOrigin}/s${round}`)).status).toBe(200);
      const lines = await stale.settledLog(9);
      expect(count(lines, 200)).toBe(9);
      // The first challenge, then one stale=true after every 3 uses of a nonce.
      expect(count(lines, 407)).toBeLessThanOrEqual(4);
    } finally {
      await stale.stop();
    }
  });

  it("a wrong password: squid's 407 is the answer, then the guard stops asking (AuthRejectedError)", async () => {
    const client = new Client({ proxy: { url: squid.url, auth: ["alice", "wrong"] } });
    const before = squid.log().length;
    for (let round = 0; round < 3; round++) {
      const response = await client.get(`${plainOrigin}/wrong`);
      expect(response.status).toBe(407);
      await drain(response);
    }
    await expect(client.get(`${plainOrigin}/wrong`)).rejects.toBeInstanceOf(AuthRejectedError);
    const lines = (await squid.settledLog(before + 6)).slice(before);
    // Each request: the challenge and one answer; none after the guard tripped.
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(count(lines, 200)).toBe(0);
  });

  it("a wrong password on CONNECT: ProxyError with status 407", async () => {
    const client = new Client({
      proxy: { url: squid.url, auth: ["user name", "nope"] },
      tls: { ca: certificates.ca.cert },
    });
    const failure = client.get(`${secureOrigin}/x`);
    await expect(failure).rejects.toBeInstanceOf(ProxyError);
    await expect(failure).rejects.toMatchObject({
      status: 407,
      proxy: squid.url,
      message: expect.stringContaining("refused the credentials"),
    });
  });

  it("no credentials: the 407 for http, ProxyError for https", async () => {
    const client = new Client({ proxy: squid.url, tls: { ca: certificates.ca.cert } });
    expect((await client.get(`${plainOrigin}/anonymous`)).status).toBe(407);
    await expect(client.get(`${secureOrigin}/anonymous`)).rejects.toMatchObject({ name: "ProxyError", status: 407 });
  });

  it("proxyAgent composed with authInterceptor: origin credentials to the origin, proxy credentials to squid", async () => {
    const dispatcher = proxyAgent({ url: squid.url, auth: ["alice", USERS.alice as string] }).compose(
      authInterceptor(new BasicAuth("origin-user", "origin-pass")),
    );
    const before = seen.length;
    for (let round = 0; round < 3; round++) {
      const { statusCode, body } = await request(`${plainOrigin}/composed`, { dispatcher });
      expect(statusCode).toBe(200);
      await body.dump();
    }
    const atOrigin = seen.slice(before);
    expect(atOrigin.map((headers) => headers.authorization)).toEqual(
      Array(3).fill(`Basic ${btoa("origin-user:origin-pass")}`),
    );
    noProxyCredentialsAtOrigins();
    await dispatcher.close();
  });
});

describe.skipIf(SQUID === undefined)("squid with Basic", () => {
  let squid: Squid;
  beforeAll(async () => {
    squid = await startSquid({ basic: USERS });
  });
  afterAll(() => squid?.stop());

  it("[user, pass]: answers Basic, then sends it preemptively", async () => {
    const client = new Client({ proxy: { url: squid.url, auth: ["alice", USERS.alice as string] } });
    const before = squid.log().length;
    for (let round = 0; round < 4; round++) expect((await client.get(`${plainOrigin}/b${round}`)).status).toBe(200);
    const lines = (await squid.settledLog(before + 5)).slice(before);
    expect(lines.map((line) => line.status)).toEqual([407, 200, 200, 200, 200]);
    expect(lines[1]?.proxyAuthorization).toBe(`Basic ${btoa(`alice:${USERS.alice}`)}`);
  });

  it("new BasicAuth: preemptive from the first request, on CONNECT too", async () => {
    const client = new Client({
      proxy: { url: squid.url, auth: new BasicAuth("user name", "pass word") },
      tls: { ca: certificates.ca.cert },
    });
    const before = squid.log().length;
    expect((await client.get(`${plainOrigin}/pre`)).status).toBe(200);
    expect((await client.get(`${secureOrigin}/pre`)).status).toBe(200);
    await client.close();
    const lines = (await squid.settledLog(before + 2)).slice(before);
    expect(lines.map((line) => `${line.method} ${line.status}`)).toEqual(["GET 200", "CONNECT 200"]);
    noProxyCredentialsAtOrigins();
  });

  it.each(Object.entries(USERS))("user %j authenticates by Basic (UTF-8)", async (user, password) => {
    const client = new Client({ proxy: { url: squid.url, auth: [user, password] } });
    expect((await client.get(`${plainOrigin}/user`)).status).toBe(200);
  });
});

describe.skipIf(SQUID === undefined)("squid offering Digest and Basic in one 407", () => {
  let squid: Squid;
  beforeAll(async () => {
    squid = await startSquid({ digest: DIGEST_USERS, basic: USERS });
  });
  afterAll(() => squid?.stop());

  it("[user, pass] answers Digest (never the password in clear)", async () => {
    const client = new Client({ proxy: { url: squid.url, auth: ["alice", USERS.alice as string] } });
    const before = squid.log().length;
    for (let round = 0; round < 3; round++) expect((await client.get(`${plainOrigin}/both`)).status).toBe(200);
    const lines = (await squid.settledLog(before + 4)).slice(before);
    expect(lines.filter((line) => line.proxyAuthorization.startsWith("Basic"))).toEqual([]);
    expect(lines.filter((line) => line.proxyAuthorization.startsWith("Digest"))).toHaveLength(3);
  });

  it("Basic to a plain-HTTP proxy that is not loopback is refused without the opt-in", () => {
    const make = () => new Client({ proxy: { url: "http://192.0.2.10:3128", auth: new BasicAuth("u", "p") } });
    expect(make).toThrow(InsecureTransportError);
  });
});
