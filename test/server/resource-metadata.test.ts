/**
 * Issue 16: RFC 9728 protected resource metadata and RFC 8707 audiences.
 * `/resource/*` answers 401 with `resource_metadata`; the metadata names this
 * server as authorization server; tokens requested with `resource=` work
 * only at that resource. The options that make the metadata lie exist for
 * clients' refusal tests.
 */
import { describe, expect, it } from "vitest";
import { metadataUrl } from "../../src/server/index.js";
import { useTestServer, withServer } from "../helpers/server.js";
import { dpopToken, makeProof, proofKey, requestToken } from "./dpop-helpers.js";

const server = useTestServer();

const resourceUrl = (on = server) => `${on.url}/resource/data`;

async function tokenFor(resource?: string): Promise<string> {
  const response = await requestToken(server.url, {}, resource === undefined ? {} : { resource });
  return ((await response.json()) as { access_token: string }).access_token;
}

async function get(url: string, authorization?: string) {
  const response = await fetch(url, { headers: authorization === undefined ? {} : { authorization } });
  return {
    status: response.status,
    challenge: response.headers.get("www-authenticate") ?? "",
    json: await response.json(),
  };
}

describe("/resource/* (RFC 9728 §5)", () => {
  it("answers 401 with Bearer resource_metadata pointing at the well-known URL (§3.1: inserted before the path)", async () => {
    const { status, challenge } = await get(resourceUrl());
    expect(status).toBe(401);
    const expected = `${server.url}/.well-known/oauth-protected-resource/resource/data`;
    expect(challenge).toBe(`Bearer realm="authflow", resource_metadata="${expected}"`);
    expect(metadataUrl(resourceUrl())).toBe(expected);
  });

  it("serves the metadata (§3.2): resource, this server as authorization server, bearer methods, DPoP algorithms", async () => {
    const before = server.stats().metadataFetches.protectedResource;
    const { status, json } = await get(metadataUrl(resourceUrl()));
    expect(status).toBe(200);
    expect(json).toMatchObject({
      resource: resourceUrl(),
      authorization_servers: [server.url],
      bearer_methods_supported: ["header"],
      dpop_signing_alg_values_supported: ["ES256", "EdDSA", "RS256", "PS256"],
      dpop_bound_access_tokens_required: false,
    });
    expect(server.stats().metadataFetches.protectedResource).toBe(before + 1);
  });

  it("accepts a token issued for it (resource=, RFC 8707), and only for it", async () => {
    const ok = await get(resourceUrl(), `Bearer ${await tokenFor(resourceUrl())}`);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ resource: [resourceUrl()], resource_identifier: resourceUrl() });
    for (const token of [await tokenFor(), await tokenFor(`${server.url}/resource/other`)]) {
      const refused = await get(resourceUrl(), `Bearer ${token}`);
      expect(refused.status).toBe(401);
      expect(refused.challenge).toContain('error="invalid_token"');
      expect(refused.challenge).toContain("resource_metadata=");
    }
  });

  it("the token endpoint refuses a resource that is not an absolute URI, or has a fragment: invalid_target", async () => {
    for (const resource of ["data", `${server.url}/resource/data#x`]) {
      const response = await requestToken(server.url, {}, { resource });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: "invalid_target" });
    }
  });
});

describe("resourceMetadata options", () => {
  it("dpopRequired: challenges with DPoP, says so in the metadata, refuses Bearer tokens, accepts DPoP ones", async () => {
    await withServer({ resourceMetadata: { dpopRequired: true } }, async (on) => {
      const url = resourceUrl(on);
      const none = await get(url);
      expect(none.challenge).toMatch(/^DPoP algs="[^"]+", resource_metadata="/);
      expect((await get(metadataUrl(url))).json.dpop_bound_access_tokens_required).toBe(true);
      const bearer = (await (await requestToken(on.url, {}, { resource: url })).json()) as { access_token: string };
      expect((await get(url, `Bearer ${bearer.access_token}`)).status).toBe(401);
      const key = await proofKey();
      const token = await dpopToken(on.url, key, { resource: url });
      const proof = await makeProof(key, { htm: "GET", htu: url, accessToken: token });
      const answer = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
      expect(answer.status).toBe(200);
    });
  });

  it("resource and authorizationServers override what the metadata says; linkInChallenge: false leaves the link out", async () => {
    const options = {
      resourceMetadata: {
        resource: "https://elsewhere.example/api",
        authorizationServers: ["https://issuer.example"],
        linkInChallenge: false,
      },
    };
    await withServer(options, async (on) => {
      expect((await get(resourceUrl(on))).challenge).toBe('Bearer realm="authflow"');
      const { json } = await get(metadataUrl(resourceUrl(on)));
      expect(json).toMatchObject({
        resource: "https://elsewhere.example/api",
        authorization_servers: ["https://issuer.example"],
      });
    });
  });
});
