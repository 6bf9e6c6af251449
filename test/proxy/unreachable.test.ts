/**
 * A proxy that cannot be reached is named as the proxy (ProxyError without a
 * status), not as "no answer from <the origin>" — the origin was never asked.
 */
import { createServer } from "node:net";
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { Client, ClientCredentialsAuth, ProxyError } from "../../src/index.js";
import { proxyAgent } from "../../src/undici/index.js";
import { useTestServer } from "../helpers/server.js";

const server = useTestServer();

/** A loopback port nobody listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const { port } = listener.address() as { port: number };
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  return port;
}

function expectUnreachable(error: unknown, proxy: string): void {
  expect(error).toBeInstanceOf(ProxyError);
  const failure = error as ProxyError;
  expect(failure.status).toBeUndefined();
  expect(failure.proxy).toBe(proxy);
  expect(failure.message).toContain(`the proxy ${proxy} could not be reached (ECONNREFUSED)`);
  expect(failure.message).not.toContain("s3cret");
}

describe("a proxy that cannot be reached", () => {
  it("Client: ProxyError naming the proxy, for http: and https: targets", async () => {
    const proxy = `http://127.0.0.1:${await closedPort()}`;
    const client = new Client({ proxy: { url: proxy, auth: ["alice", "s3cret"] } });
    try {
      for (const target of [`${server.url}/status/200`, "https://127.0.0.1:8443/never"]) {
        expectUnreachable(await client.get(target).catch((error: unknown) => error), proxy);
      }
    } finally {
      await client.close();
    }
  });

  it("proxyAgent under undici.request: the same ProxyError", async () => {
    const proxy = `http://127.0.0.1:${await closedPort()}`;
    const dispatcher = proxyAgent({ url: proxy });
    try {
      expectUnreachable(
        await request(`${server.url}/status/200`, { dispatcher }).catch((error: unknown) => error),
        proxy,
      );
    } finally {
      await dispatcher.close();
    }
  });

  it("ClientCredentialsAuth({ proxy }): the token request fails with it at once", async () => {
    const proxy = `http://127.0.0.1:${await closedPort()}`;
    const auth = new ClientCredentialsAuth({
      tokenUrl: `${server.url}/oauth/token`,
      clientId: "basic-client",
      clientSecret: "basic-secret",
      proxy,
    });
    const tokens = server.stats().tokenRequests;
    expectUnreachable(await auth.getToken().catch((error: unknown) => error), proxy);
    expect(server.stats().tokenRequests).toBe(tokens);
  });
});
