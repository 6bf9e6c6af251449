/**
 * Issue 15, the token endpoint behind the proxy: `ClientCredentialsAuth({
 * proxy })` sends its token requests, RFC 8414 discovery and RFC 9728
 * resource metadata through real squid (counted in its access log), and
 * lends the proxy to a Client given the auth (one object); a Client with a
 * proxy of its own keeps it. The client secret goes to the token endpoint
 * only, `Proxy-Authorization` to the proxy only — an https token endpoint
 * through CONNECT, its private CA given by `tls.ca`.
 */
import type { IncomingHttpHeaders } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BasicAuth,
  Client,
  ClientCredentialsAuth,
  InsecureTransportError,
  InvalidArgumentError,
} from "../../src/index.js";
import {
  createTestCertificates,
  startTestServer,
  type TestCertificates,
  type TestServer,
} from "../../src/server/index.js";
import { useTestServer } from "../helpers/server.js";
import { SQUID, type Squid, type SquidLine, startSquid } from "../interop/squid.js";
import { startTestProxy } from "./proxy-server.js";

const PROXY_USER = "alice";
const PROXY_PASSWORD = 'pa"ss w\u00f6rd';
const CLIENT = { clientId: "basic-client", clientSecret: "basic-secret" };

const server: TestServer = useTestServer();

/** squid's lines after `before`, once it logged `count` of them, as "METHOD path STATUS". */
async function linesAfter(squid: Squid, before: number, count: number): Promise<string[]> {
  const lines = (await squid.settledLog(before + count)).slice(before);
  return lines.map((line) => `${line.method} ${pathOf(line)} ${line.status}`);
}

function pathOf(line: SquidLine): string {
  return line.method === "CONNECT" ? line.url : new URL(line.url).pathname;
}

describe.skipIf(SQUID === undefined)("ClientCredentialsAuth({ proxy }) through squid", () => {
  let squid: Squid;
  beforeAll(async () => {
    squid = await startSquid({
      digest: { [PROXY_USER]: PROXY_PASSWORD },
      basic: { [PROXY_USER]: PROXY_PASSWORD },
    });
  });
  afterAll(() => squid?.stop());

  const proxy = () => ({ url: squid.url, auth: [PROXY_USER, PROXY_PASSWORD] as [string, string] });

  it("token requests go through the proxy: one 407 (Digest), then one round trip per token request", async () => {
    const auth = new ClientCredentialsAuth({ tokenUrl: `${server.url}/oauth/token`, ...CLIENT, proxy: proxy() });
    const before = squid.log().length;
    const tokens = server.stats().tokenRequests;
    const first = await auth.getToken();
    const second = await auth.getToken({ forceRefresh: true });
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(server.stats().tokenRequests - tokens).toBe(2);
    expect(await linesAfter(squid, before, 3)).toEqual([
      "POST /oauth/token 407",
      "POST /oauth/token 200",
      "POST /oauth/token 200",
    ]);
    const lines = squid.log().slice(before);
    expect(lines.filter((line) => line.status === 200).map((line) => line.user)).toEqual([PROXY_USER, PROXY_USER]);
    expect(lines.every((line) => !line.proxyAuthorization.startsWith("Basic"))).toBe(true);
  });

  it("RFC 8414 discovery goes through the proxy too", async () => {
    const auth = new ClientCredentialsAuth({ issuer: server.url, ...CLIENT, proxy: proxy() });
    const before = squid.log().length;
    await auth.getToken();
    const lines = await linesAfter(squid, before, 3);
    expect(lines.filter((line) => line.endsWith(" 200"))).toEqual([
      "GET /.well-known/oauth-authorization-server 200",
      "POST /oauth/token 200",
    ]);
  });

  it("one object: a Client given the auth and no proxy of its own sends the API requests through it", async () => {
    const auth = new ClientCredentialsAuth({ tokenUrl: `${server.url}/oauth/token`, ...CLIENT, proxy: proxy() });
    const client = new Client({ auth });
    const before = squid.log().length;
    for (let round = 0; round < 3; round++) {
      const response = await client.get(`${server.url}/oauth/protected`);
      expect(response.status).toBe(200);
      await response.body?.cancel();
    }
    const lines = (await linesAfter(squid, before, 5)).filter((line) => !line.endsWith(" 407"));
    expect(lines).toEqual([
      "POST /oauth/token 200",
      "GET /oauth/protected 200",
      "GET /oauth/protected 200",
      "GET /oauth/protected 200",
    ]);
    await client.close();
  });

  it("RFC 9728: the resource's 401, both metadata documents, the token and the retry all go through the proxy", async () => {
    const auth = new ClientCredentialsAuth({ allowedIssuers: [server.url], ...CLIENT, proxy: proxy() });
    const client = new Client({ auth });
    const before = squid.log().length;
    const response = await client.get(`${server.url}/resource/data`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { resource?: unknown }).resource).toEqual([`${server.url}/resource/data`]);
    const lines = (await linesAfter(squid, before, 6)).filter((line) => !line.endsWith(" 407"));
    expect(lines).toEqual([
      "GET /resource/data 401",
      "GET /.well-known/oauth-protected-resource/resource/data 200",
      "GET /.well-known/oauth-authorization-server 200",
      "POST /oauth/token 200",
      "GET /resource/data 200",
    ]);
    await client.close();
  });

  it("a Client with a proxy of its own keeps it; the auth's token requests keep the auth's", async () => {
    const other = await startTestProxy();
    try {
      const auth = new ClientCredentialsAuth({ tokenUrl: `${server.url}/oauth/token`, ...CLIENT, proxy: proxy() });
      const client = new Client({ auth, proxy: other.url });
      const before = squid.log().length;
      expect((await client.get(`${server.url}/oauth/protected`)).status).toBe(200);
      expect(other.requests.map((entry) => `${entry.method} ${new URL(entry.url).pathname}`)).toEqual([
        "GET /oauth/protected",
      ]);
      const lines = (await linesAfter(squid, before, 2)).filter((line) => !line.endsWith(" 407"));
      expect(lines).toEqual(["POST /oauth/token 200"]);
      await client.close();
    } finally {
      await other.close();
    }
  });

  it("proxy: false on the Client keeps its API requests direct; the token still goes through the auth's proxy", async () => {
    const auth = new ClientCredentialsAuth({ tokenUrl: `${server.url}/oauth/token`, ...CLIENT, proxy: proxy() });
    const client = new Client({ auth, proxy: false });
    const before = squid.log().length;
    expect((await client.get(`${server.url}/oauth/protected`)).status).toBe(200);
    const lines = (await linesAfter(squid, before, 2)).filter((line) => !line.endsWith(" 407"));
    expect(lines).toEqual(["POST /oauth/token 200"]);
  });

  it("a Client's proxy is not lent to an auth without one: its token requests go as the auth is configured", async () => {
    const auth = new ClientCredentialsAuth({ tokenUrl: `${server.url}/oauth/token`, ...CLIENT });
    const client = new Client({ auth, proxy: proxy() });
    const before = squid.log().length;
    expect((await client.get(`${server.url}/oauth/protected`)).status).toBe(200);
    const lines = (await linesAfter(squid, before, 2)).filter((line) => !line.endsWith(" 407"));
    expect(lines).toEqual(["GET /oauth/protected 200"]);
    await client.close();
  });

  it("a wrong proxy password: the token request fails with the proxy's 407 named, not a token", async () => {
    const auth = new ClientCredentialsAuth({
      tokenUrl: `${server.url}/oauth/token`,
      ...CLIENT,
      proxy: { url: squid.url, auth: [PROXY_USER, "wrong"] },
      maxRetries: 0,
    });
    const tokens = server.stats().tokenRequests;
    await expect(auth.getToken()).rejects.toMatchObject({ name: "TokenEndpointError", status: 407 });
    expect(server.stats().tokenRequests).toBe(tokens);
  });

  describe("an https token endpoint through CONNECT, its private CA in tls.ca", () => {
    let certificates: TestCertificates;
    let origin: Server;
    let originUrl: string;
    const seen: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];

    beforeAll(async () => {
      certificates = await createTestCertificates();
      origin = createServer({ cert: certificates.server.cert, key: certificates.server.key }, (request, response) => {
        let body = "";
        request.setEncoding("utf8");
        request.on("data", (chunk: string) => (body += chunk));
        request.on("end", () => {
          seen.push({ path: request.url ?? "", headers: request.headers, body });
          // Each tunnel ends with its answer: squid logs a CONNECT only when its tunnel ends, and an idle
          // kept-alive one (the auth's, never closed by a Client) would log only after the keep-alive timeout.
          response.setHeader("connection", "close");
          if (request.url === "/token") {
            response.setHeader("content-type", "application/json");
            response.end(JSON.stringify({ access_token: "tunnelled-token", token_type: "Bearer", expires_in: 3600 }));
          } else response.end("api");
        });
      });
      await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
      originUrl = `https://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      origin?.closeAllConnections();
      await new Promise<void>((resolve) => (origin === undefined ? resolve() : origin.close(() => resolve())));
    });

    it("the client secret reaches the token endpoint only; Proxy-Authorization reaches squid only", async () => {
      const auth = new ClientCredentialsAuth({
        tokenUrl: `${originUrl}/token`,
        ...CLIENT,
        tls: { ca: certificates.ca.cert },
        proxy: { url: squid.url, auth: new BasicAuth(PROXY_USER, PROXY_PASSWORD) },
      });
      const client = new Client({ auth });
      const before = squid.log().length;
      expect(await (await client.get(`${originUrl}/api`)).text()).toBe("api");
      await client.close();
      const clientBasic = `Basic ${btoa(`${CLIENT.clientId}:${CLIENT.clientSecret}`)}`;
      expect(seen.map((entry) => [entry.path, entry.headers.authorization])).toEqual([
        ["/token", clientBasic],
        ["/api", "Bearer tunnelled-token"],
      ]);
      expect(seen.filter((entry) => entry.headers["proxy-authorization"] !== undefined)).toEqual([]);
      const lines = (await squid.settledLog(before + 1)).slice(before);
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.every((line) => line.method === "CONNECT" && line.url === originUrl.slice(8))).toBe(true);
      const proxyBasic = `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString("base64")}`;
      expect(lines.map((line) => line.proxyAuthorization)).toEqual(lines.map(() => proxyBasic));
      expect(lines.some((line) => line.proxyAuthorization.includes(btoa(CLIENT.clientSecret)))).toBe(false);
    });

    it("a wrong proxy password on the CONNECT: ProxyError 407 at once, not retried as a network error", async () => {
      const auth = new ClientCredentialsAuth({
        tokenUrl: `${originUrl}/token`,
        ...CLIENT,
        tls: { ca: certificates.ca.cert },
        proxy: { url: squid.url, auth: [PROXY_USER, "wrong"] },
      });
      const before = squid.log().length;
      const seenBefore = seen.length;
      await expect(auth.getToken()).rejects.toMatchObject({ name: "ProxyError", status: 407 });
      // The 407 offering both schemes, then the one answer: no retry loop of CONNECTs.
      expect((await squid.settledLog(before + 2)).slice(before).length).toBeLessThanOrEqual(2);
      expect(seen.length).toBe(seenBefore);
    });

    it("a Client with a tls of its own still takes the auth's proxy: its ca, the auth's proxy, one tunnel each", async () => {
      const auth = new ClientCredentialsAuth({
        tokenUrl: `${originUrl}/token`,
        ...CLIENT,
        tls: { ca: certificates.ca.cert },
        proxy: proxy(),
      });
      const client = new Client({ auth, tls: { ca: certificates.ca.cert } });
      const before = squid.log().length;
      const seenBefore = seen.length;
      expect(await (await client.get(`${originUrl}/own-tls`)).text()).toBe("api");
      await client.close();
      expect(seen.slice(seenBefore).map((entry) => entry.path)).toEqual(["/token", "/own-tls"]);
      // The token's tunnel (the auth's connections) and the API's (the Client's own): squid logs each when it ends.
      const lines = (await squid.settledLog(before + 1)).slice(before);
      expect(lines.filter((line) => line.method === "CONNECT" && line.status === 200).length).toBeGreaterThanOrEqual(1);
      expect(lines.every((line) => line.method === "CONNECT")).toBe(true);
    });

    it("DPoP through the tunnel: the test server over https, a bound token, the proof's nonce followed", async () => {
      const { server: pair, ca } = certificates;
      const secure = await startTestServer({ tls: { cert: pair.cert, key: pair.key }, dpop: { requireNonce: true } });
      try {
        const auth = new ClientCredentialsAuth({
          tokenUrl: `${secure.url}/oauth/token`,
          ...CLIENT,
          dpop: true,
          tls: { ca: ca.cert },
          proxy: proxy(),
        });
        const client = new Client({ auth });
        const before = squid.log().length;
        const response = await client.get(`${secure.url}/oauth/dpop-protected`);
        expect(response.status).toBe(200);
        expect(((await response.json()) as { token_type?: unknown }).token_type).toBe("DPoP");
        expect(secure.stats().dpop.refusals).toEqual({ nonce: 1 });
        await client.close();
        const lines = (await squid.settledLog(before + 1)).slice(before);
        expect(lines.length).toBeGreaterThanOrEqual(1);
        expect(lines.every((line) => line.method === "CONNECT" && line.url === secure.url.slice(8))).toBe(true);
      } finally {
        await secure.close();
      }
    });

    it("without tls.ca the tunnelled token endpoint is a TlsError naming tls.ca, at once", async () => {
      const auth = new ClientCredentialsAuth({ tokenUrl: `${originUrl}/token`, ...CLIENT, proxy: proxy() });
      await expect(auth.getToken()).rejects.toMatchObject({ name: "TlsError", reason: "unknown-ca", option: "tls.ca" });
    });
  });
});

describe("ClientCredentialsAuth({ proxy }) options", () => {
  const base = { tokenUrl: "https://as.example/token", ...CLIENT };

  it("proxy and fetch together are refused: the proxy would be ignored", () => {
    const make = () => new ClientCredentialsAuth({ ...base, proxy: "http://127.0.0.1:3128", fetch });
    expect(make).toThrow(InvalidArgumentError);
    expect(make).toThrow(expect.objectContaining({ option: "proxy", code: "ERR_INVALID_ARG_VALUE" }));
  });

  it("checked at construction by the Client's rules, with the same coded errors", () => {
    expect(() => new ClientCredentialsAuth({ ...base, proxy: 42 as never })).toThrow(
      expect.objectContaining({ name: "InvalidArgumentError", option: "proxy" }),
    );
    expect(() => new ClientCredentialsAuth({ ...base, proxy: "socks5://127.0.0.1:1080" })).toThrow(/SOCKS/);
    const basic = { url: "http://192.0.2.10:3128", auth: new BasicAuth("u", "p") };
    expect(() => new ClientCredentialsAuth({ ...base, proxy: basic })).toThrow(InsecureTransportError);
    // The auth's own opt-in covers its proxy, as a Client's does.
    expect(() => new ClientCredentialsAuth({ ...base, proxy: basic, allowInsecureAuth: true })).not.toThrow();
  });

  it("never repeats the proxy password in a message or in the auth's printed form", () => {
    const secret = "pr0xy-s3cret-9f2";
    const failure = (() => {
      try {
        new ClientCredentialsAuth({ ...base, proxy: `ftp://u:${secret}@127.0.0.1:21` });
      } catch (error) {
        return error as Error;
      }
    })();
    expect(failure?.message).not.toContain(secret);
    const auth = new ClientCredentialsAuth({ ...base, proxy: { url: "http://127.0.0.1:3128", auth: ["u", secret] } });
    expect(JSON.stringify(auth)).not.toContain(secret);
    expect(inspect(auth, { depth: 5 })).not.toContain(secret);
  });
});
