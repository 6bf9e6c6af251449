/**
 * Issue 16, the MCP recipe: the Model Context Protocol TypeScript SDK's
 * client transport (StreamableHTTPClientTransport) with
 * `fetch: withAuth(fetch, auth)`, machine to machine (client credentials),
 * against a local MCP server behind a resource server that publishes RFC
 * 9728 metadata naming the embedded test server as its authorization
 * server. authflow finds the authorization server from the resource's 401,
 * checks it against allowedIssuers, gets a token for the resource (RFC 8707)
 * and resends: connect, list tools, call a tool.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Client as McpClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { z } from "zod";
import { ClientCredentialsAuth, withAuth } from "../../src/index.js";
import { startTestServer, type TestServer } from "../../src/server/index.js";

let authorizationServer: TestServer;
let resourceServer: Server;
let mcpUrl: string;
let mcpTransport: StreamableHTTPServerTransport;
const seen = { unauthenticated: 0, authenticated: 0, metadata: 0 };

beforeAll(async () => {
  authorizationServer = await startTestServer();
  const mcp = new McpServer({ name: "orders", version: "1.0.0" });
  mcp.registerTool(
    "add",
    { description: "Adds two numbers", inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }),
  );
  mcpTransport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID() });
  await mcp.connect(mcpTransport);
  resourceServer = createServer((request, response) => void protect(request, response));
  await new Promise<void>((resolve) => resourceServer.listen(0, "127.0.0.1", resolve));
  mcpUrl = `http://127.0.0.1:${(resourceServer.address() as AddressInfo).port}/mcp`;
});

afterAll(async () => {
  await mcpTransport.close();
  resourceServer.closeAllConnections();
  await new Promise((resolve) => resourceServer.close(resolve));
  await authorizationServer.close();
});

const WELL_KNOWN = "/.well-known/oauth-protected-resource/mcp";

/** The resource server in front of the MCP server: RFC 9728 metadata, and a token check by the issuer. */
async function protect(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const origin = new URL(mcpUrl).origin;
  if (request.url === WELL_KNOWN) {
    seen.metadata += 1;
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ resource: mcpUrl, authorization_servers: [authorizationServer.url] }));
    return;
  }
  if (!(await tokenIsForThisResource(request.headers.authorization))) {
    seen.unauthenticated += 1;
    // RFC 9728 §5.1: the challenge says where the metadata is.
    response.writeHead(401, { "www-authenticate": `Bearer resource_metadata="${origin}${WELL_KNOWN}"` });
    response.end();
    return;
  }
  seen.authenticated += 1;
  await mcpTransport.handleRequest(request, response);
}

/** Asks the authorization server about the token (it knows its own tokens), and checks the audience (RFC 8707). */
async function tokenIsForThisResource(authorization: string | undefined): Promise<boolean> {
  if (authorization === undefined) return false;
  const answer = await fetch(`${authorizationServer.url}/oauth/protected`, { headers: { authorization } });
  if (answer.status !== 200) {
    await answer.arrayBuffer();
    return false;
  }
  const token = (await answer.json()) as { resource?: string[] };
  return token.resource?.includes(mcpUrl) === true;
}

it("an MCP client calls a tool machine to machine: discovery, a token for the MCP server, connect, list, call", async () => {
  const auth = new ClientCredentialsAuth({
    clientId: "basic-client",
    clientSecret: "basic-secret",
    allowedIssuers: [authorizationServer.url],
  });
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { fetch: withAuth(fetch, auth) });
  const client = new McpClient({ name: "authflow-recipe", version: "1.0.0" });
  await client.connect(transport);
  const { tools } = await client.listTools();
  expect(tools.map((tool) => tool.name)).toEqual(["add"]);
  const result = await client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
  expect(result.content).toEqual([{ type: "text", text: "5" }]);
  await client.close();
  // One 401 (the first request), one metadata fetch, one token, issued for the MCP server's URL.
  expect(seen.unauthenticated).toBe(1);
  expect(seen.metadata).toBe(1);
  expect(seen.authenticated).toBeGreaterThanOrEqual(3);
  expect(authorizationServer.stats().tokenRequests).toBe(1);
  expect(authorizationServer.stats().metadataFetches.authorizationServer).toBe(1);
});
