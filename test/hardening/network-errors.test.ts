/**
 * Issue 21 (D): a network failure is a NetworkError through Client on every
 * runtime. The Fetch standard makes every network failure a TypeError; Node
 * says "fetch failed" (reason in `cause`), Bun names the socket error,
 * Chromium says "Failed to fetch", Deno names the URL. Runtime messages are
 * reproduced here by a transport that fails as that runtime's fetch does; the
 * real runtimes run in test/runtimes.
 */
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { Client, NetworkError, withAuth } from "../../src/index.js";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const failingAs = (error: Error) => () => Promise.reject(error);

describe("network failures become NetworkError through Client", () => {
  it("a refused connection on loopback, with and without auth", async () => {
    const port = await closedPort();
    for (const auth of [null, ["user", "pass"] as const]) {
      const client = new Client({ auth });
      const error = await client.get(`http://127.0.0.1:${port}/x`).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as NetworkError).origin).toBe(`http://127.0.0.1:${port}`);
    }
  });

  it.each([
    ["Bun", new TypeError("ECONNREFUSED: Unable to connect. Is the computer able to access the url?")],
    ["Chromium", new TypeError("Failed to fetch")],
    ["Deno", new TypeError("error sending request for url (https://user:hunter2@api.example/x?token=s3cret): refused")],
  ])("%s's wording is classified, and a URL in it loses its userinfo and query", async (_runtime, failure) => {
    const client = new Client({ fetch: failingAs(failure), auth: ["user", "pass"] });
    const error = await client.get("https://api.example/x").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).not.toMatch(/hunter2|s3cret/);
    expect((error as Error).cause).toBe(failure);
  });

  it("an abort or a non-network error passes through unchanged", async () => {
    const client = new Client({ fetch: failingAs(new RangeError("not a network error")) });
    await expect(client.get("https://api.example/x")).rejects.toBeInstanceOf(RangeError);
    const aborted = new Client({ fetch: () => new Promise(() => {}) });
    const controller = new AbortController();
    const pending = aborted.get("https://api.example/x", { signal: controller.signal });
    controller.abort(new Error("stop"));
    await expect(pending).rejects.toThrow("stop");
  });

  it("withAuth keeps fetch's own TypeError, as a drop-in must", async () => {
    const port = await closedPort();
    const error = await withAuth(fetch, ["user", "pass"])(`http://127.0.0.1:${port}/x`).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(NetworkError);
  });
});
