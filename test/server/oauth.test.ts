import { describe, expect, it } from "vitest";
import { clientSecretBasic, createClientAuthenticator } from "../../src/oauth2/client-auth.js";
import { ClientCredentialsAuth } from "../../src/oauth2/client-credentials.js";
import { TEST_CLIENT_PRIVATE_JWK } from "../../src/server/oauth.js";
import { useTestServer } from "../helpers/server.js";

const AWKWARD_ID = "tenant:client é";
const AWKWARD_SECRET = "p@ss word!*'()~ a+b/c= %41 é";

const server = useTestServer({
  faults: true,
  clients: [
    { clientId: AWKWARD_ID, authMethod: "client_secret_basic", clientSecret: AWKWARD_SECRET },
    { clientId: "limited", authMethod: "client_secret_post", clientSecret: "s", scopes: ["read"] },
    { clientId: "pk", authMethod: "private_key_jwt", publicKey: publicPart(TEST_CLIENT_PRIVATE_JWK) },
  ],
});

function publicPart(jwk: JsonWebKey): JsonWebKey {
  const { d: _private, ...rest } = jwk;
  return rest;
}

const tokenUrl = () => `${server.url}/oauth/token`;

function post(body: URLSearchParams, headers: Record<string, string> = {}) {
  return fetch(tokenUrl(), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body,
  });
}

describe("POST /oauth/token", () => {
  it("decodes client_secret_basic strictly (RFC 6749 §2.3.1): ':', spaces, '+', '%' and non-ASCII work", async () => {
    const auth = new ClientCredentialsAuth({
      tokenUrl: tokenUrl(),
      clientId: AWKWARD_ID,
      clientSecret: AWKWARD_SECRET,
    });
    expect((await auth.getToken()).tokenType).toBe("Bearer");
  });

  it("refuses raw (not form-encoded) Basic credentials", async () => {
    const raw = `Basic ${Buffer.from(`${AWKWARD_ID}:${AWKWARD_SECRET}`).toString("base64")}`;
    const response = await post(new URLSearchParams({ grant_type: "client_credentials" }), { authorization: raw });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Basic /);
    expect(await response.json()).toMatchObject({ error: "invalid_client" });
  });

  it("refuses two authentication methods in one request (RFC 6749 §2.3.1)", async () => {
    const body = new URLSearchParams({ grant_type: "client_credentials", client_id: "limited", client_secret: "s" });
    const response = await post(body, { authorization: clientSecretBasic("limited", "s") });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_request" });
  });

  it("answers invalid_scope outside the client's scopes, and unsupported_grant_type", async () => {
    const scoped = await post(
      new URLSearchParams({
        grant_type: "client_credentials",
        client_id: "limited",
        client_secret: "s",
        scope: "write",
      }),
    );
    expect(await scoped.json()).toMatchObject({ error: "invalid_scope" });
    const grant = await post(new URLSearchParams({ grant_type: "password", client_id: "limited", client_secret: "s" }));
    expect(await grant.json()).toMatchObject({ error: "unsupported_grant_type" });
  });

  it("refuses a replayed client assertion (same jti)", async () => {
    const authenticator = createClientAuthenticator({
      clientId: "pk",
      clientAuth: "private_key_jwt",
      privateKey: TEST_CLIENT_PRIVATE_JWK,
    });
    const body = new URLSearchParams({ grant_type: "client_credentials" });
    await authenticator.apply(new Headers(), body, tokenUrl(), Date.now());
    expect((await post(body)).status).toBe(200);
    const replay = await post(body);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: "invalid_client" });
  });

  it("refuses an assertion for another audience", async () => {
    const authenticator = createClientAuthenticator({
      clientId: "pk",
      clientAuth: "private_key_jwt",
      privateKey: TEST_CLIENT_PRIVATE_JWK,
    });
    const body = new URLSearchParams({ grant_type: "client_credentials" });
    await authenticator.apply(new Headers(), body, "https://elsewhere.example/token", Date.now());
    expect((await post(body)).status).toBe(401);
  });

  it("counts token requests and tokens issued", async () => {
    server.reset();
    await post(new URLSearchParams({ grant_type: "client_credentials", client_id: "limited", client_secret: "wrong" }));
    await post(new URLSearchParams({ grant_type: "client_credentials", client_id: "limited", client_secret: "s" }));
    expect(server.stats()).toMatchObject({ tokenRequests: 2, tokensIssued: 1 });
  });
});

describe("GET /oauth/protected and the metadata", () => {
  it("accepts only live tokens it issued", async () => {
    const none = await fetch(`${server.url}/oauth/protected`);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="authflow"');
    const forged = await fetch(`${server.url}/oauth/protected`, { headers: { authorization: "Bearer forged" } });
    expect(forged.status).toBe(401);
    expect(forged.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("publishes RFC 8414 metadata naming itself", async () => {
    const metadata = await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json();
    expect(metadata).toMatchObject({
      issuer: server.url,
      token_endpoint: `${server.url}/oauth/token`,
      token_endpoint_auth_methods_supported: [
        "client_secret_basic",
        "client_secret_post",
        "client_secret_jwt",
        "private_key_jwt",
      ],
    });
  });

  it("refuses a fault plan that makes no sense", async () => {
    const response = await fetch(`${server.url}/oauth/_faults`, {
      method: "POST",
      body: JSON.stringify({ next: 1, kind: "teapot" }),
    });
    expect(response.status).toBe(400);
  });
});
