/**
 * Issue 16 against independent servers: panva's oidc-provider as the
 * authorization server (features.dPoP with its nonce requirement,
 * features.resourceIndicators issuing audience-restricted JWT access
 * tokens), and a resource server written here that checks every proof and
 * token itself with jose — never with authflow's code — and publishes RFC
 * 9728 metadata. Refusals: wrong htm/htu, stale iat, replayed jti, another
 * key than the bound one, a metadata resource that does not match, an
 * authorization server outside the allow-list (not one connection to it).
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer as createNetServer, type Server as NetServer } from "node:net";
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  EmbeddedJWK,
  exportJWK,
  generateKeyPair,
  type JWK,
  jwtVerify,
} from "jose";
import Provider, { type ClientMetadata } from "oidc-provider";
import { request as undiciRequest } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Client, ClientCredentialsAuth, ResourceDiscoveryError, withAuth } from "../../src/index.js";
import { DpopSigner } from "../../src/oauth2/dpop.js";
import { generateDpopKey } from "../../src/oauth2/dpop-key.js";
import { authInterceptor } from "../../src/undici/index.js";
import { authAgent } from "../helpers/undici.js";

const SECRET = "dpop-client-secret-0123456789";
let provider: Server;
let issuer: string;
let tokenRequests = 0;
let resource: Server;
let resourceUrl: string;
let unlisted: NetServer;
let unlistedUrl: string;
let unlistedConnections = 0;

/** What the resource server publishes and how it checks, changed per test. */
const settings = {
  metadataResource: undefined as string | undefined,
  servers: undefined as string[] | undefined,
  skewMs: 0,
};
const refusals: Record<string, number> = {};
const accepted: Record<string, unknown>[] = [];

beforeAll(async () => {
  const signing = await generateKeyPair("RS256", { extractable: true });
  let handler: (request: IncomingMessage, response: ServerResponse) => void = () => {};
  provider = createServer((request, response) => handler(request, response));
  await listen(provider);
  issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
  const oidc = new Provider(issuer, {
    clients: [dpopClient("dpop-client")],
    jwks: { keys: [{ ...(await exportJWK(signing.privateKey)), alg: "RS256", use: "sig", kid: "as-key" }] },
    scopes: ["orders:read"],
    cookies: { keys: ["interop-test-only-cookie-key"] },
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined as unknown as string,
        useGrantedResource: () => false,
        getResourceServerInfo: (_context, indicator) => ({
          scope: "orders:read",
          audience: indicator,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "RS256" } },
        }),
      },
    },
  });
  const callback = oidc.callback();
  handler = (request, response) => {
    if (request.method === "POST" && request.url === "/token") tokenRequests += 1;
    callback(request, response);
  };
  const keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(signing.publicKey)), alg: "RS256", kid: "as-key" }] });
  resource = createServer((request, response) => void serveResource(request, response, keys));
  await listen(resource);
  resourceUrl = `http://127.0.0.1:${(resource.address() as AddressInfo).port}`;
  unlisted = createNetServer((socket) => socket.destroy());
  unlisted.on("connection", () => {
    unlistedConnections += 1;
  });
  await listen(unlisted);
  unlistedUrl = `http://127.0.0.1:${(unlisted.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const server of [provider, resource]) server.closeAllConnections();
  await Promise.all([provider, resource, unlisted].map((server) => new Promise((resolve) => server.close(resolve))));
});

beforeEach(() => {
  Object.assign(settings, { metadataResource: undefined, servers: undefined, skewMs: 0 });
  for (const reason of Object.keys(refusals)) delete refusals[reason];
  accepted.length = 0;
});

function listen(server: Server | NetServer): Promise<void> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
}

function dpopClient(clientId: string): ClientMetadata {
  return {
    client_id: clientId,
    client_secret: SECRET,
    token_endpoint_auth_method: "client_secret_basic",
    grant_types: ["client_credentials"],
    redirect_uris: [],
    response_types: [],
    scope: "orders:read",
    dpop_bound_access_tokens: true,
  };
}

// ---- The resource server: RFC 9728 metadata, RFC 9449 §7 checks, all with jose. ----

const WELL_KNOWN = "/.well-known/oauth-protected-resource";
const seenJti = new Set<string>();
let resourceNonce = randomUUID();

function refuse(response: ServerResponse, reason: string, error: string, path: string): void {
  refusals[reason] = (refusals[reason] ?? 0) + 1;
  const metadata = `${resourceUrl}${WELL_KNOWN}${path}`;
  const challenge = `DPoP algs="ES256 EdDSA RS256 PS256", error="${error}", resource_metadata="${metadata}"`;
  const headers: Record<string, string> = { "www-authenticate": challenge };
  if (error === "use_dpop_nonce") headers["dpop-nonce"] = resourceNonce;
  response.writeHead(401, headers).end();
}

async function serveResource(
  request: IncomingMessage,
  response: ServerResponse,
  keys: ReturnType<typeof createLocalJWKSet>,
) {
  const url = new URL(request.url ?? "/", resourceUrl);
  if (url.pathname.startsWith(WELL_KNOWN)) {
    const path = url.pathname.slice(WELL_KNOWN.length);
    response.writeHead(200, { "content-type": "application/json" });
    response.end(
      JSON.stringify({
        resource: settings.metadataResource ?? `${resourceUrl}${path}`,
        authorization_servers: settings.servers ?? [issuer],
        dpop_bound_access_tokens_required: true,
        dpop_signing_alg_values_supported: ["ES256", "EdDSA", "RS256", "PS256"],
      }),
    );
    return;
  }
  const path = url.pathname;
  const [scheme, token] = (request.headers.authorization ?? "").split(" ");
  if (scheme !== "DPoP" || token === undefined) return refuse(response, "no-token", "invalid_token", path);
  const proof = request.headers.dpop;
  if (typeof proof !== "string") return refuse(response, "no-proof", "invalid_dpop_proof", path);
  let claims: Record<string, unknown>;
  let jwk: JWK;
  try {
    const verified = await jwtVerify(proof, EmbeddedJWK, {
      typ: "dpop+jwt",
      algorithms: ["ES256", "EdDSA", "RS256", "PS256"],
    });
    claims = verified.payload;
    jwk = verified.protectedHeader.jwk as JWK;
  } catch {
    return refuse(response, "signature", "invalid_dpop_proof", path);
  }
  const now = (Date.now() + settings.skewMs) / 1000;
  if (claims.htm !== request.method) return refuse(response, "htm", "invalid_dpop_proof", path);
  if (claims.htu !== `${resourceUrl}${path}`) return refuse(response, "htu", "invalid_dpop_proof", path);
  if (typeof claims.iat !== "number" || Math.abs(now - claims.iat) > 60)
    return refuse(response, "iat", "invalid_dpop_proof", path);
  if (claims.ath !== createHash("sha256").update(token).digest("base64url"))
    return refuse(response, "ath", "invalid_dpop_proof", path);
  if (seenJti.has(String(claims.jti))) return refuse(response, "jti", "invalid_dpop_proof", path);
  if (claims.nonce !== resourceNonce) return refuse(response, "nonce", "use_dpop_nonce", path);
  seenJti.add(String(claims.jti));
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, keys, { issuer, audience: `${resourceUrl}${path}` }));
  } catch {
    return refuse(response, "token", "invalid_token", path);
  }
  const bound = (payload.cnf as { jkt?: string } | undefined)?.jkt;
  if (bound !== (await calculateJwkThumbprint(jwk, "sha256"))) return refuse(response, "key", "invalid_token", path);
  accepted.push(payload);
  response.writeHead(200, { "content-type": "application/json", "dpop-nonce": resourceNonce });
  response.end(JSON.stringify({ ok: true, client_id: payload.client_id, aud: payload.aud }));
}

// ---- Tests. ----

const discovering = (options: Record<string, unknown> = {}) =>
  new ClientCredentialsAuth({
    clientId: "dpop-client",
    clientSecret: SECRET,
    allowedIssuers: [issuer],
    scope: "orders:read",
    ...options,
  });

/** A fetch that keeps a copy of every request's credentials. */
function recording() {
  const sent: { url: string; method: string; authorization: string; dpop: string }[] = [];
  const record = (request: Request) => {
    sent.push({
      url: request.url,
      method: request.method,
      authorization: request.headers.get("authorization") ?? "",
      dpop: request.headers.get("dpop") ?? "",
    });
    return fetch(request);
  };
  return { sent, fetch: record };
}

async function status(url: string, init: RequestInit): Promise<number> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return response.status;
}

describe("oidc-provider + a jose resource server", () => {
  it("discovers, turns DPoP on (required by the metadata), follows both servers' nonces, gets an audience-bound token", async () => {
    const before = tokenRequests;
    const api = withAuth(fetch, discovering());
    const orders = `${resourceUrl}/api/orders`;
    const response = await api(`${orders}?page=1`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, client_id: "dpop-client", aud: orders });
    // oidc-provider: 400 use_dpop_nonce, then the token. The resource: no token, then its own use_dpop_nonce, then 200.
    expect(tokenRequests - before).toBe(2);
    expect(refusals).toEqual({ "no-token": 1, nonce: 1 });
    for (let index = 0; index < 3; index++) expect((await api(orders)).status).toBe(200);
    expect(tokenRequests - before).toBe(2);
    expect(refusals).toEqual({ "no-token": 1, nonce: 1 });
    expect(accepted.at(-1)).toMatchObject({ aud: orders, cnf: { jkt: expect.any(String) }, scope: "orders:read" });
  });

  it("configured issuer + dpop: true, through Client and the undici interceptor", async () => {
    const orders = `${resourceUrl}/api/orders`;
    const options = { issuer, clientId: "dpop-client", clientSecret: SECRET, dpop: true, resource: orders } as const;
    const client = new Client({ auth: new ClientCredentialsAuth(options) });
    expect((await client.get(orders)).status).toBe(200);
    const dispatcher = authAgent(authInterceptor(new ClientCredentialsAuth(options)));
    const answer = await undiciRequest(orders, { dispatcher, method: "POST", body: "{}" });
    expect(answer.statusCode).toBe(200);
    await answer.body.dump();
  });

  it("refuses authflow's proof out of its request: replayed jti, another method, another URL, another key, a stale iat", async () => {
    const { sent, fetch: record } = recording();
    const auth = discovering();
    const orders = `${resourceUrl}/api/orders`;
    expect((await withAuth(record, auth)(orders)).status).toBe(200);
    const last = sent.at(-1) as { authorization: string; dpop: string };
    const headers = { authorization: last.authorization, dpop: last.dpop };
    expect(await status(orders, { headers })).toBe(401);
    expect(await status(orders, { method: "DELETE", headers })).toBe(401);
    expect(await status(`${resourceUrl}/api/other`, { headers })).toBe(401);
    const token = last.authorization.slice("DPoP ".length);
    const stranger = new DpopSigner(generateDpopKey());
    const foreign = await stranger.proof("GET", orders, { accessToken: token, nonce: resourceNonce });
    expect(await status(orders, { headers: { authorization: last.authorization, dpop: foreign } })).toBe(401);
    settings.skewMs = 10 * 60_000;
    expect((await withAuth(fetch, auth)(orders)).status).toBe(401);
    expect(refusals).toMatchObject({ jti: 1, htm: 1, htu: 1, key: 1, iat: 1 });
  });

  it("a metadata resource that is not the resource's URL: ResourceDiscoveryError, no token request", async () => {
    settings.metadataResource = `${resourceUrl}/api`;
    const before = tokenRequests;
    await expect(withAuth(fetch, discovering())(`${resourceUrl}/api/orders`)).rejects.toBeInstanceOf(
      ResourceDiscoveryError,
    );
    expect(tokenRequests).toBe(before);
  });

  it("an authorization server outside allowedIssuers: ResourceDiscoveryError, not one connection to it", async () => {
    settings.servers = [unlistedUrl];
    const error = await withAuth(fetch, discovering())(`${resourceUrl}/api/orders`).catch((caught) => caught);
    expect(error).toBeInstanceOf(ResourceDiscoveryError);
    expect(error).toMatchObject({ code: "ERR_AUTHFLOW_RESOURCE_DISCOVERY", authorizationServers: [unlistedUrl] });
    expect(unlistedConnections).toBe(0);
  });

  it("a resource's nonce rotation: 401 use_dpop_nonce answered once with the new nonce", async () => {
    const api = withAuth(fetch, discovering());
    const orders = `${resourceUrl}/api/orders`;
    expect((await api(orders)).status).toBe(200);
    resourceNonce = randomUUID();
    for (const key of Object.keys(refusals)) delete refusals[key];
    expect((await api(orders)).status).toBe(200);
    expect(refusals).toEqual({ nonce: 1 });
  });
});
