/**
 * Issue 18, finding 9 (the server's part): fault injection is off unless
 * `faults: true`; `/redirect-to` is not an open redirect unless
 * `openRedirects: true`; `isLoopbackHost` tells the CLI when to warn. And the
 * options of `startTestServer` are checked before anything listens (issue 12).
 */
import { request as httpRequest } from "node:http";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/errors.js";
import { isLoopbackHost, startTestServer, type TestServer, type TestServerOptions } from "../../src/server/index.js";
import { useTestServer } from "../helpers/server.js";

const server = useTestServer();

/** Where `/redirect-to?url=target` sends: [status, Location]. */
async function redirect(on: TestServer, target: string): Promise<[number, string | null]> {
  const response = await fetch(`${on.url}/redirect-to?url=${encodeURIComponent(target)}`, { redirect: "manual" });
  await response.arrayBuffer();
  return [response.status, response.headers.get("location")];
}

describe("fault injection is off unless asked for", () => {
  it("without faults: true, POST and DELETE /oauth/_faults are 404 and the token endpoint answers normally", async () => {
    const plan = JSON.stringify({ down: true });
    expect((await fetch(`${server.url}/oauth/_faults`, { method: "POST", body: plan })).status).toBe(404);
    expect((await fetch(`${server.url}/oauth/_faults`, { method: "DELETE" })).status).toBe(404);
    const token = await fetch(`${server.url}/oauth/token`, {
      method: "POST",
      headers: { authorization: `Basic ${btoa("basic-client:basic-secret")}` },
      body: new URLSearchParams({ grant_type: "client_credentials" }),
    });
    expect(token.status).toBe(200);
  });

  it("with faults: true, the plan applies", async () => {
    const faulty = await startTestServer({ faults: true });
    try {
      const set = await fetch(`${faulty.url}/oauth/_faults`, { method: "POST", body: JSON.stringify({ down: true }) });
      expect(set.status).toBe(200);
      expect((await fetch(`${faulty.url}/oauth/token`, { method: "POST" })).status).toBe(503);
    } finally {
      await faulty.close();
    }
  });
});

describe("/redirect-to is not an open redirect", () => {
  it("sends a path as given, and loopback or this server's URLs as the parser serialises them", async () => {
    expect(await redirect(server, "/anything?x=1")).toEqual([302, "/anything?x=1"]);
    expect(await redirect(server, `${server.url}/anything`)).toEqual([302, `${server.url}/anything`]);
    expect(await redirect(server, "http://localhost:9/x")).toEqual([302, "http://localhost:9/x"]);
    expect(await redirect(server, "https://[::1]:9/x")).toEqual([302, "https://[::1]:9/x"]);
    expect(await redirect(server, "http://127.1/x")).toEqual([302, "http://127.0.0.1/x"]);
  });

  it.each([
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/\t/evil.example/",
    " //evil.example",
    "http://evil.example\\@127.0.0.1/",
    "https://127.0.0.1.evil.example/",
    "http://user:pass@127.0.0.1/",
    "javascript:alert(1)",
    "data:text/html,hi",
    "file:///etc/passwd",
    "http://[",
  ])("refuses %j with 403", async (target) => {
    const [status, location] = await redirect(server, target);
    expect(status).toBe(403);
    expect(location).toBeNull();
  });

  it("any target: the Location is refused, or reaches loopback by every reading (property)", async () => {
    const pieces = [
      "/",
      "//",
      "\\",
      "@",
      ":",
      "evil.example",
      "127.0.0.1",
      "localhost",
      "http:",
      "https:",
      "\t",
      " ",
      "%2f",
      ".",
    ];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 6 }), async (parts) => {
        const [status, location] = await redirect(server, parts.join(""));
        if (status === 403) return;
        expect(status).toBe(302);
        const text = location as string;
        // No backslash, space or control character is left for another parser to read differently.
        expect([...text].some((character) => character <= " " || character === "\u007f" || character === "\\")).toBe(
          false,
        );
        const resolved = new URL(text, server.url);
        expect(["127.0.0.1", "localhost", "[::1]"]).toContain(
          resolved.hostname.replace(/^127\.\d+\.\d+\.\d+$/, "127.0.0.1"),
        );
        if (!text.startsWith("/")) expect(resolved.href).toBe(text);
        else expect(text.startsWith("//")).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it("redirects to the host the request was sent to (a server reached by its network name)", async () => {
    const port = Number(new URL(server.url).port);
    const target = encodeURIComponent("http://192.0.2.7:8080/anything");
    const location = await new Promise<string | undefined>((resolve, reject) => {
      const request = httpRequest(
        { host: "127.0.0.1", port, path: `/redirect-to?url=${target}`, headers: { host: "192.0.2.7:8080" } },
        (response) => {
          response.resume();
          resolve(response.headers.location);
        },
      );
      request.on("error", reject);
      request.end();
    });
    expect(location).toBe("http://192.0.2.7:8080/anything");
  });

  it("with openRedirects: true, any target, as httpbin does", async () => {
    const open = await startTestServer({ openRedirects: true });
    try {
      expect(await redirect(open, "https://evil.example/")).toEqual([302, "https://evil.example/"]);
    } finally {
      await open.close();
    }
  });
});

describe("isLoopbackHost", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.5.6.7", true],
    ["localhost", true],
    ["::1", true],
    ["[::1]", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["192.168.1.10", false],
    ["example.com", false],
    ["svc.localhost", false],
    ["127.0.0.1.nip.io", false],
    ["127.0.0.1/x", false],
    ["evil@127.0.0.1", false],
    ["", false],
  ])("%j → %s", (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});

describe("startTestServer checks its options before it listens", () => {
  it.each<[string, unknown, string]>([
    ["port -1", { port: -1 }, "startTestServer.port"],
    ["port 65536", { port: 65_536 }, "startTestServer.port"],
    ["port 1.5", { port: 1.5 }, "startTestServer.port"],
    ["port as a string", { port: "80" }, "startTestServer.port"],
    ["host empty", { host: "" }, "startTestServer.host"],
    ["host a number", { host: 127 }, "startTestServer.host"],
    ["tokenTtlSeconds NaN", { tokenTtlSeconds: Number.NaN }, "startTestServer.tokenTtlSeconds"],
    ["tokenTtlSeconds -1", { tokenTtlSeconds: -1 }, "startTestServer.tokenTtlSeconds"],
    ["tokenTtlSeconds Infinity", { tokenTtlSeconds: Number.POSITIVE_INFINITY }, "startTestServer.tokenTtlSeconds"],
    ["oauthClockSkewSeconds NaN", { oauthClockSkewSeconds: Number.NaN }, "startTestServer.oauthClockSkewSeconds"],
    ["faults a string", { faults: "yes" }, "startTestServer.faults"],
    ["openRedirects 1", { openRedirects: 1 }, "startTestServer.openRedirects"],
    ["clients not an array", { clients: {} }, "startTestServer.clients"],
    [
      "a client without an id",
      { clients: [{ authMethod: "client_secret_post", clientSecret: "s" }] },
      "startTestServer.clients[0].clientId",
    ],
    [
      "an unknown auth method",
      { clients: [{ clientId: "c", authMethod: "none" }] },
      "startTestServer.clients[0].authMethod",
    ],
    [
      "a secret client without a secret",
      { clients: [{ clientId: "c", authMethod: "client_secret_basic" }] },
      "startTestServer.clients[0].clientSecret",
    ],
    [
      "private_key_jwt without a key",
      { clients: [{ clientId: "c", authMethod: "private_key_jwt" }] },
      "startTestServer.clients[0].publicKey",
    ],
    [
      "scopes not strings",
      { clients: [{ clientId: "c", authMethod: "client_secret_post", clientSecret: "s", scopes: [1] }] },
      "startTestServer.clients[0].scopes",
    ],
    [
      "a client id twice",
      {
        clients: [
          { clientId: "c", authMethod: "client_secret_post", clientSecret: "s" },
          { clientId: "c", authMethod: "client_secret_post", clientSecret: "t" },
        ],
      },
      "startTestServer.clients[1]",
    ],
    ["limits not an object", { limits: 5 }, "startTestServer.limits"],
    ["limits.bodyBytes 0", { limits: { bodyBytes: 0 } }, "startTestServer.limits.bodyBytes"],
    ["limits.totalBodyBytes NaN", { limits: { totalBodyBytes: Number.NaN } }, "startTestServer.limits.totalBodyBytes"],
    ["limits.requestTimeoutMs -5", { limits: { requestTimeoutMs: -5 } }, "startTestServer.limits.requestTimeoutMs"],
  ])("%s: InvalidArgumentError naming it", async (_name, options, option) => {
    const error = await startTestServer(options as TestServerOptions).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as InvalidArgumentError).option).toBe(option);
    expect(["ERR_INVALID_ARG_TYPE", "ERR_INVALID_ARG_VALUE"]).toContain((error as InvalidArgumentError).code);
  });

  it("never shows a client secret in the error", async () => {
    const options = {
      clients: [{ clientId: "c", authMethod: "private_key_jwt", clientSecret: 42, publicKey: "CANARY-key" }],
    };
    const error = await startTestServer(options as unknown as TestServerOptions).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(String(error)).not.toContain("CANARY");
  });

  it("accepts the edges: port 0, tokenTtlSeconds 0 (expires_in 0), a negative clock skew", async () => {
    const edge = await startTestServer({ port: 0, host: "127.0.0.1", tokenTtlSeconds: 0, oauthClockSkewSeconds: -30 });
    await edge.close();
  });
});
