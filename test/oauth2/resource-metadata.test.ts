/**
 * Issue 16: the protected resource metadata fetch (RFC 9728) against
 * misbehaving resource servers (node:http servers started here): a
 * `resource_metadata` on another origin (refused, not one connection to it),
 * a redirect, a 404, a body that is not JSON or too large, an answer that
 * never finishes — each a ResourceDiscoveryError, none kept. Plus the pure
 * parts, with fast-check.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { authorizationFor, type FastPathAuth } from "../../src/engine/capabilities.js";
import { ClientCredentialsAuth, ResourceDiscoveryError, withAuth } from "../../src/index.js";
import { metadataUrlOf, resourceIdentifier, validateResourceMetadata } from "../../src/oauth2/resource-metadata.js";
import { startTestServer } from "../../src/server/index.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A loopback server answering with `handler`; counts connections. */
async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void) {
  const server = createServer(handler);
  let connections = 0;
  server.on("connection", () => {
    connections += 1;
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
}

/** A resource whose 401 names `metadata`; its metadata route answers with `answer`. */
async function resourceWith(
  answer: (response: ServerResponse, origin: string) => void,
  link?: (origin: string) => string,
) {
  let origin = "";
  const counts = { metadata: 0 };
  const served = await serve((request, response) => {
    if (request.url?.startsWith("/.well-known/oauth-protected-resource")) {
      counts.metadata += 1;
      answer(response, origin);
      return;
    }
    const metadata = link?.(origin) ?? `${origin}/.well-known/oauth-protected-resource/api`;
    response.writeHead(401, { "www-authenticate": `Bearer resource_metadata="${metadata}"` }).end();
  });
  origin = served.url;
  return { ...served, counts };
}

const discovering = (issuer: string, retryBudgetMs = 30_000) =>
  new ClientCredentialsAuth({
    clientId: "basic-client",
    clientSecret: "basic-secret",
    allowedIssuers: [issuer],
    retryBudgetMs,
  });

describe("fetching the metadata", () => {
  it("a resource_metadata on another origin is refused: not one connection to it", async () => {
    const elsewhere = await serve((_request, response) => response.end("{}"));
    const resource = await resourceWith(
      (response) => response.end("{}"),
      () => `${elsewhere.url}/.well-known/oauth-protected-resource/api`,
    );
    const error = await withAuth(
      fetch,
      discovering("https://as.example.com"),
    )(`${resource.url}/api`).catch((caught) => caught);
    expect(error).toBeInstanceOf(ResourceDiscoveryError);
    expect((error as Error).message).toMatch(/another server/);
    expect(elsewhere.connections()).toBe(0);
  });

  it.each([
    [
      "a redirect",
      (response: ServerResponse, origin: string) => response.writeHead(302, { location: `${origin}/x` }).end(),
      /answered 302/,
    ],
    ["a 404", (response: ServerResponse) => response.writeHead(404).end(), /answered 404/],
    ["a body that is not JSON", (response: ServerResponse) => response.end("<html>"), /not JSON/],
    ["a JSON array", (response: ServerResponse) => response.end("[]"), /not a JSON object/],
    [
      "no authorization_servers",
      (response: ServerResponse, origin: string) => response.end(JSON.stringify({ resource: `${origin}/api` })),
      /no authorization_servers/,
    ],
    [
      "more than 1 MiB",
      (response: ServerResponse) => response.end(`{"pad":"${"x".repeat(1_100_000)}"}`),
      /could not be read/,
    ],
  ] as const)("%s: ResourceDiscoveryError, and the next request tries again", async (_name, answer, message) => {
    const resource = await resourceWith(answer);
    const api = withAuth(fetch, discovering("https://as.example.com"));
    await expect(api(`${resource.url}/api`)).rejects.toThrow(message);
    await expect(api(`${resource.url}/api`)).rejects.toBeInstanceOf(ResourceDiscoveryError);
    expect(resource.counts.metadata).toBe(2);
  });

  it("an answer that never finishes ends within retryBudgetMs", async () => {
    const resource = await resourceWith((response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.write('{"resource":');
    });
    await expect(withAuth(fetch, discovering("https://as.example.com", 300))(`${resource.url}/api`)).rejects.toThrow(
      /no answer within 300 ms/,
    );
  });

  it("a 200 answer without a token passes through: nothing to discover", async () => {
    const open = await serve((_request, response) => response.end("public"));
    const response = await withAuth(fetch, discovering("https://as.example.com"))(`${open.url}/page`);
    expect(await response.text()).toBe("public");
  });

  it("a discovered Bearer resource is on the fast path (its cached token's header, synchronously); others are not", async () => {
    const server = await startTestServer();
    try {
      const auth = discovering(server.url);
      const fast: FastPathAuth = auth;
      const resource = new URL(`${server.url}/resource/fast?page=2`);
      expect(fast[authorizationFor]("GET", resource)).toBeUndefined();
      expect((await withAuth(fetch, auth)(resource.href)).status).toBe(200);
      expect(fast[authorizationFor]("GET", resource)).toMatch(/^Bearer /);
      expect(fast[authorizationFor]("GET", new URL(`${server.url}/resource/other`))).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

describe("the pure parts (fast-check)", () => {
  const paths = fc
    .array(fc.stringMatching(/^[a-z0-9_~-][a-z0-9._~-]{0,7}$/), { maxLength: 4 })
    .map((parts) => `/${parts.join("/")}`);

  it("identifier: origin and path, never query or fragment; the well-known URL inserts the suffix before the path", () => {
    fc.assert(
      fc.property(paths, fc.stringMatching(/^[a-z0-9=&]{0,10}$/), (path, query) => {
        const identifier = resourceIdentifier(new URL(`https://api.example.com${path}?${query}#frag`));
        expect(identifier).toBe(`https://api.example.com${path}`);
        const wellKnown = metadataUrlOf(identifier);
        expect(wellKnown).toBe(
          `https://api.example.com/.well-known/oauth-protected-resource${path === "/" ? "" : path}`,
        );
      }),
    );
  });

  it("validation throws only ResourceDiscoveryError, and accepts only the identifier itself", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.option(fc.string(), { nil: undefined }), (document, resource) => {
        const candidate =
          resource === undefined || typeof document !== "object" || document === null || Array.isArray(document)
            ? document
            : { ...document, resource, authorization_servers: ["https://as.example.com"] };
        try {
          const metadata = validateResourceMetadata("https://api.example.com/v1", candidate);
          expect(metadata.resource).toBe("https://api.example.com/v1");
        } catch (error) {
          expect(error).toBeInstanceOf(ResourceDiscoveryError);
        }
      }),
    );
  });

  it("the root is the same resource with or without its slash; nothing else is", () => {
    const servers = { authorization_servers: ["https://as.example.com"] };
    expect(
      validateResourceMetadata("https://api.example.com/", { resource: "https://api.example.com", ...servers })
        .resource,
    ).toBe("https://api.example.com");
    for (const other of [
      "https://api.example.com/v1/",
      "https://API.example.com/v1",
      "https://api.example.com/v",
      "https://api.example.com",
    ]) {
      expect(() => validateResourceMetadata("https://api.example.com/v1", { resource: other, ...servers })).toThrow(
        ResourceDiscoveryError,
      );
    }
  });
});
