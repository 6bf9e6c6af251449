import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InsecureTransportError, TokenEndpointError } from "../../src/errors.js";
import { ClientCredentialsAuth } from "../../src/oauth2/client-credentials.js";
import { discover, discoveryUrls, validateMetadata } from "../../src/oauth2/discovery.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";
import { useTestServer } from "../helpers/server.js";

const server = useTestServer();

describe("discoveryUrls", () => {
  it.each([
    [
      "https://as.example",
      "https://as.example/.well-known/oauth-authorization-server",
      "https://as.example/.well-known/openid-configuration",
    ],
    [
      "https://as.example/",
      "https://as.example/.well-known/oauth-authorization-server",
      "https://as.example/.well-known/openid-configuration",
    ],
    [
      "https://as.example/tenant/1",
      "https://as.example/.well-known/oauth-authorization-server/tenant/1",
      "https://as.example/tenant/1/.well-known/openid-configuration",
    ],
  ])("%s → RFC 8414 §3.1 then OIDC Discovery §4", (issuer, rfc8414, oidc) => {
    expect(discoveryUrls(issuer)).toEqual([rfc8414, oidc]);
  });

  it.each(["https://as.example/?x=1", "https://as.example/#f"])(
    "refuses an issuer with a query or fragment: %s",
    (issuer) => {
      expect(() => discoveryUrls(issuer)).toThrow(/RFC 8414 §2/);
    },
  );
});

describe("validateMetadata", () => {
  it("the issuer must match exactly (RFC 8414 §3.3)", () => {
    const metadata = { issuer: "https://evil.example", token_endpoint: "https://evil.example/token" };
    expect(() => validateMetadata("https://as.example", metadata)).toThrow(TokenEndpointError);
  });

  it("a plain-http token endpoint off loopback is refused", () => {
    const metadata = { issuer: "https://as.example", token_endpoint: "http://as.example/token" };
    expect(() => validateMetadata("https://as.example", metadata)).toThrow(InsecureTransportError);
  });
});

describe("discover", () => {
  it("finds the test server's token endpoint through RFC 8414 and gets a token with it", async () => {
    const auth = new ClientCredentialsAuth({
      issuer: server.url,
      clientId: "basic-client",
      clientSecret: "basic-secret",
    });
    const token = await auth.getToken();
    expect(token.tokenType).toBe("Bearer");
    expect(server.stats().routes["oauth-metadata"]).toBeGreaterThanOrEqual(1);
  });

  describe("against a server with only OpenID discovery", () => {
    let recorder: Recorder;
    beforeAll(async () => {
      recorder = await startRecorder((request, response) => {
        if (request.url === "/.well-known/openid-configuration") {
          response.writeHead(200, { "content-type": "application/json" });
          response.end(JSON.stringify({ issuer: recorder.url, token_endpoint: `${recorder.url}/token` }));
          return;
        }
        response.writeHead(404).end();
      });
    });
    afterAll(() => recorder.close());

    it("falls back to /.well-known/openid-configuration, and caches per issuer", async () => {
      const fetchFunction = (request: Request) => fetch(request);
      const [first, second] = await Promise.all([
        discover(recorder.url, fetchFunction),
        discover(recorder.url, fetchFunction),
      ]);
      expect(first.token_endpoint).toBe(`${recorder.url}/token`);
      expect(second).toBe(first);
      await discover(recorder.url, fetchFunction);
      expect(recorder.requests.map((request) => request.path)).toEqual([
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
      ]);
    });

    it("refuses metadata whose issuer differs from the configured one", async () => {
      const fetchFunction = (request: Request) => fetch(request);
      // Same server, spelled differently: not identical, so refused.
      const issuer = recorder.url.replace("127.0.0.1", "localhost");
      await expect(discover(issuer, fetchFunction)).rejects.toThrow(/RFC 8414 §3.3/);
    });
  });

  it("a failed discovery is not cached", async () => {
    let calls = 0;
    const failing = async () => {
      calls += 1;
      throw new TypeError("fetch failed");
    };
    await expect(discover("https://unreachable.example", failing)).rejects.toBeInstanceOf(TokenEndpointError);
    await expect(discover("https://unreachable.example", failing)).rejects.toBeInstanceOf(TokenEndpointError);
    expect(calls).toBe(2);
  });
});
