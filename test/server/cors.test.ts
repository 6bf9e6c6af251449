/**
 * Issue 21: the test server's `cors` option, driven with cross-origin-shaped
 * requests (an Origin header, preflight OPTIONS with Access-Control-Request-*)
 * as a browser sends them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../src/server/index.js";

const PAGE = "http://127.0.0.1:5173";
let listed: TestServer;
let open: TestServer;
let off: TestServer;
beforeAll(async () => {
  [listed, open, off] = await Promise.all([
    startTestServer({ cors: { origins: [PAGE] } }),
    startTestServer({ cors: true }),
    startTestServer(),
  ]);
});
afterAll(() => Promise.all([listed.close(), open.close(), off.close()]));

function preflight(server: TestServer, path: string, origin: string, headers = "authorization, dpop, x-trace") {
  return fetch(`${server.url}${path}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": headers },
  });
}

describe("cors: { origins }", () => {
  it("answers a preflight from a listed origin: 204, that origin, credentials, the auth headers and the requested ones", async () => {
    const response = await preflight(listed, "/oauth/token", PAGE);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(PAGE);
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    const allowed = (response.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(/, */);
    expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type", "dpop", "x-trace"]));
    expect(response.headers.get("vary")).toContain("Origin");
    expect(listed.stats().cors.preflights).toBeGreaterThanOrEqual(1);
  });

  it("exposes the challenge headers on real answers, a 401 included", async () => {
    const response = await fetch(`${listed.url}/digest-auth/auth/user/pass`, { headers: { origin: PAGE } });
    expect(response.status).toBe(401);
    expect(response.headers.get("access-control-allow-origin")).toBe(PAGE);
    const exposed = (response.headers.get("access-control-expose-headers") ?? "").split(/, */);
    expect(exposed).toEqual(
      expect.arrayContaining(["WWW-Authenticate", "Authentication-Info", "DPoP-Nonce", "Location"]),
    );
  });

  it.each([
    ["another origin", "http://127.0.0.1:5174"],
    ["the opaque origin null", "null"],
    ["a URL with a path", `${PAGE}/page`],
  ])("refuses %s: preflight 403, no allow headers on answers", async (_name, origin) => {
    const before = listed.stats().cors.refusedOrigins;
    const response = await preflight(listed, "/anything", origin);
    expect(response.status).toBe(403);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    const real = await fetch(`${listed.url}/anything`, { headers: { origin } });
    await real.arrayBuffer();
    expect(real.headers.get("access-control-allow-origin")).toBeNull();
    expect(real.headers.get("access-control-allow-credentials")).toBeNull();
    expect(real.headers.get("vary")).toContain("Origin");
    expect(listed.stats().cors.refusedOrigins).toBe(before + 2);
  });
});

describe("cors: true", () => {
  it("echoes any http(s) origin, never *, with credentials", async () => {
    for (const origin of ["http://localhost:3000", "https://example.test"]) {
      const response = await preflight(open, "/bearer", origin);
      expect(response.headers.get("access-control-allow-origin")).toBe(origin);
      expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    }
    const nul = await preflight(open, "/bearer", "null");
    expect(nul.status).toBe(403);
  });
});

describe("cors off (the default)", () => {
  it("adds no CORS headers, and OPTIONS reaches the routes as before", async () => {
    const response = await preflight(off, "/anything", PAGE);
    expect(response.status).toBe(200);
    expect((await response.json()).method).toBe("OPTIONS");
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(off.stats().cors.preflights).toBe(0);
  });
});
