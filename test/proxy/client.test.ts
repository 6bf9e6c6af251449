/**
 * Issue 15, what squid does not exercise, against the test proxy in
 * ./proxy-server.ts (real sockets on loopback): an https:// proxy, a
 * streamed body replayed after a 407, `nextnonce`, unique `nc` under
 * concurrency, a CONNECT refused with 403, the guard on CONNECT, `noProxy`
 * routes (direct, and never with Proxy-Authorization), `proxy: "env"`.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthRejectedError, BasicAuth, Client, DigestAuth, InvalidArgumentError, ProxyError } from "../../src/index.js";
import { createTestCertificates, type TestCertificates } from "../../src/server/index.js";
import { startTestProxy } from "./proxy-server.js";

let certificates: TestCertificates;
let origin: Server;
let secureOrigin: Server;
let plainUrl: string;
let secureUrl: string;
const seen: { headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  certificates = await createTestCertificates();
  const record = (request: import("node:http").IncomingMessage, response: import("node:http").ServerResponse) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      seen.push({ headers: request.headers, body });
      if (request.url?.startsWith("/redirect") === true) {
        response.writeHead(302, { location: `${secureUrl}/landing` }).end();
        return;
      }
      response.end(`ok ${request.method} ${request.url} ${body.length}`);
    });
  };
  origin = createServer(record);
  secureOrigin = createHttpsServer({ cert: certificates.server.cert, key: certificates.server.key }, record);
  await Promise.all(
    [origin, secureOrigin].map((server) => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))),
  );
  plainUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  secureUrl = `https://127.0.0.1:${(secureOrigin.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const server of [origin, secureOrigin]) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

const DIGEST = { user: "alice", password: "s3cret" };

describe("through the test proxy", () => {
  it("an https:// proxy (TLS to the proxy, its CA in tls.ca) takes Basic", async () => {
    const proxy = await startTestProxy({ basic: DIGEST, tls: certificates.server });
    try {
      const client = new Client({
        proxy: { url: proxy.url, auth: ["alice", "s3cret"] },
        tls: { ca: certificates.ca.cert },
      });
      expect(await (await client.get(`${plainUrl}/via-tls`)).text()).toBe("ok GET /via-tls 0");
      expect(await (await client.get(`${secureUrl}/via-tls`)).text()).toBe("ok GET /via-tls 0");
      expect(proxy.requests.map((entry) => `${entry.method} ${entry.status}`)).toEqual([
        "GET 407",
        "GET 200",
        "CONNECT 200",
      ]);
      await client.close();
    } finally {
      await proxy.close();
    }
  });

  it("a streamed POST body is sent again after the proxy's first 407", async () => {
    const proxy = await startTestProxy({ digest: DIGEST });
    try {
      const client = new Client({ proxy: { url: proxy.url, auth: ["alice", "s3cret"] } });
      const chunks = ["first part, ", "second part"];
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = chunks.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(new TextEncoder().encode(next));
        },
      });
      const response = await client.post(`${plainUrl}/upload`, { body });
      expect(await response.text()).toBe("ok POST /upload 23");
      expect(seen.at(-1)?.body).toBe("first part, second part");
      expect(proxy.requests.map((entry) => entry.status)).toEqual([407, 200]);
    } finally {
      await proxy.close();
    }
  });

  it("follows Proxy-Authentication-Info nextnonce: every request after the first goes in one round trip", async () => {
    const proxy = await startTestProxy({ digest: { ...DIGEST, nextnonce: true } });
    try {
      const client = new Client({ proxy: { url: proxy.url, auth: new DigestAuth("alice", "s3cret") } });
      for (let round = 0; round < 5; round++) expect((await client.get(`${plainUrl}/n${round}`)).status).toBe(200);
      expect(proxy.requests.map((entry) => entry.status)).toEqual([407, 200, 200, 200, 200, 200]);
    } finally {
      await proxy.close();
    }
  });

  it("20 concurrent requests after the first: one round trip each, every nc used once", async () => {
    const proxy = await startTestProxy({ digest: DIGEST });
    try {
      const client = new Client({ proxy: { url: proxy.url, auth: ["alice", "s3cret"] } });
      expect((await client.get(`${plainUrl}/first`)).status).toBe(200);
      const statuses = await Promise.all(
        Array.from({ length: 20 }, async (_, index) => (await client.get(`${plainUrl}/c${index}`)).status),
      );
      expect(statuses).toEqual(Array(20).fill(200));
      expect(proxy.requests).toHaveLength(22);
      expect(proxy.replays).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  it("a CONNECT refused with 403: ProxyError naming the status and what to check", async () => {
    const proxy = await startTestProxy({ refuseConnect: 403 });
    try {
      const failure = new Client({ proxy: proxy.url, tls: { ca: certificates.ca.cert } }).get(`${secureUrl}/`);
      await expect(failure).rejects.toBeInstanceOf(ProxyError);
      await expect(failure).rejects.toMatchObject({
        code: "ERR_AUTHFLOW_PROXY",
        status: 403,
        message: expect.stringContaining("allows tunnels"),
      });
    } finally {
      await proxy.close();
    }
  });

  it("a wrong password on CONNECT: the guard stops after 3 refused tunnels (no more proxy hits)", async () => {
    const proxy = await startTestProxy({ digest: DIGEST });
    try {
      const client = new Client({
        proxy: { url: proxy.url, auth: ["alice", "wrong"] },
        tls: { ca: certificates.ca.cert },
      });
      for (let round = 0; round < 3; round++) {
        await expect(client.get(`${secureUrl}/`)).rejects.toMatchObject({ name: "ProxyError", status: 407 });
      }
      const hits = proxy.requests.length;
      await expect(client.get(`${secureUrl}/`)).rejects.toBeInstanceOf(AuthRejectedError);
      expect(proxy.requests.length).toBe(hits);
      // Each refused tunnel: the challenge and one answer.
      expect(hits).toBe(6);
    } finally {
      await proxy.close();
    }
  });

  it("a redirect to another origin: proxy credentials on each proxy hop, at no origin", async () => {
    const proxy = await startTestProxy({ basic: DIGEST });
    try {
      const client = new Client({
        proxy: { url: proxy.url, auth: new BasicAuth("alice", "s3cret") },
        tls: { ca: certificates.ca.cert },
      });
      const before = seen.length;
      const response = await client.get(`${plainUrl}/redirect`);
      expect(await response.text()).toBe("ok GET /landing 0");
      expect(seen.slice(before).map((entry) => entry.headers["proxy-authorization"])).toEqual([undefined, undefined]);
      const basic = `Basic ${btoa("alice:s3cret")}`;
      expect(proxy.requests.map((entry) => [entry.method, entry.proxyAuthorization])).toEqual([
        ["GET", basic],
        ["CONNECT", basic],
      ]);
      await client.close();
    } finally {
      await proxy.close();
    }
  });

  it("RED-07 (b): a redirect from a proxied origin to a noProxy host goes direct, without Proxy-Authorization", async () => {
    const proxy = await startTestProxy({ basic: DIGEST });
    try {
      // Credentials in the proxy URL; 127.0.0.1 (the https origin) in noProxy, localhost (the http origin) proxied.
      const url = proxy.url.replace("http://", "http://alice:s3cret@");
      const client = new Client({ proxy: { url, noProxy: ["127.0.0.1"] }, tls: { ca: certificates.ca.cert } });
      const before = seen.length;
      const response = await client.get(`${plainUrl.replace("127.0.0.1", "localhost")}/redirect`);
      expect(await response.text()).toBe("ok GET /landing 0");
      expect(seen.slice(before).map((entry) => entry.headers["proxy-authorization"])).toEqual([undefined, undefined]);
      expect(proxy.requests.map((entry) => `${entry.method} ${entry.status}`)).toEqual(["GET 407", "GET 302"]);
      await client.close();
    } finally {
      await proxy.close();
    }
  });

  it("noProxy hosts go direct, and a Proxy-Authorization set by hand never reaches them", async () => {
    const proxy = await startTestProxy({ basic: DIGEST });
    try {
      const client = new Client({ proxy: { url: proxy.url, auth: ["alice", "s3cret"], noProxy: ["127.0.0.1"] } });
      const before = seen.length;
      const response = await client.get(`${plainUrl}/direct`, { headers: { "proxy-authorization": "Basic c2VjcmV0" } });
      expect(response.status).toBe(200);
      expect(proxy.requests).toEqual([]);
      expect(seen.slice(before).map((entry) => entry.headers["proxy-authorization"])).toEqual([undefined]);
    } finally {
      await proxy.close();
    }
  });
});

describe('proxy: "env"', () => {
  it("loopback targets go direct even with HTTP_PROXY set (nobody asked to proxy them)", async () => {
    const proxy = await startTestProxy();
    const saved = { ...process.env };
    try {
      process.env.http_proxy = proxy.url;
      process.env.https_proxy = proxy.url;
      const client = new Client({ proxy: "env", tls: { ca: certificates.ca.cert } });
      expect((await client.get(`${plainUrl}/env`)).status).toBe(200);
      expect((await client.get(`${secureUrl}/env`)).status).toBe(200);
      expect(proxy.requests).toEqual([]);
    } finally {
      process.env = saved;
      await proxy.close();
    }
  });

  it("proxy and fetch cannot both be given", () => {
    expect(() => new Client({ proxy: "http://127.0.0.1:3128", fetch })).toThrow(InvalidArgumentError);
  });
});
