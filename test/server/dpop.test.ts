/**
 * Issue 16, the server's part: DPoP (RFC 9449) at `POST /oauth/token` and
 * `/oauth/dpop-protected`. Proofs are built by hand with jose, as an
 * independent client would, and each refusal is driven over a real socket.
 */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { dpopToken, hashToken, makeProof, type ProofKey, proofKey, requestToken } from "./dpop-helpers.js";

let server: TestServer;
let key: ProofKey;
beforeAll(async () => {
  [server, key] = await Promise.all([startTestServer(), proofKey()]);
});
afterAll(() => server.close());

const protectedUrl = () => `${server.url}/oauth/dpop-protected`;

async function callProtected(token: string, proof: string | string[] | undefined, scheme = "DPoP", method = "GET") {
  const headers = new Headers({ authorization: `${scheme} ${token}` });
  for (const value of typeof proof === "string" ? [proof] : (proof ?? [])) headers.append("dpop", value);
  const response = await fetch(protectedUrl(), { method, headers });
  return {
    status: response.status,
    challenge: response.headers.get("www-authenticate") ?? "",
    body: await response.json(),
  };
}

describe("POST /oauth/token with a DPoP proof", () => {
  it("issues a DPoP-bound token (token_type DPoP, cnf.jkt the RFC 7638 thumbprint of the proof's key)", async () => {
    const { calculateJwkThumbprint } = await import("jose");
    const token = await dpopToken(server.url, key);
    const proof = await makeProof(key, { htm: "GET", htu: protectedUrl(), accessToken: token });
    const answer = await callProtected(token, proof);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ client_id: "basic-client", token_type: "DPoP" });
    expect(answer.body.cnf).toEqual({ jkt: await calculateJwkThumbprint(key.jwk, "sha256") });
    expect(server.stats().tokensIssuedByBinding.dpop).toBeGreaterThanOrEqual(1);
  });

  it.each(["ES256", "EdDSA", "RS256", "PS256"])("accepts %s proofs", async (alg) => {
    const other = await proofKey(alg);
    const token = await dpopToken(server.url, other);
    const proof = await makeProof(other, { htm: "GET", htu: protectedUrl(), accessToken: token });
    expect((await callProtected(token, proof)).status).toBe(200);
  });

  it("ignores the query of htu, and takes the URI the client addressed (localhost)", async () => {
    const local = server.url.replace("127.0.0.1", "localhost");
    const proof = await makeProof(key, { htm: "POST", htu: `${local}/oauth/token?x=1#f` });
    expect((await requestToken(local, { dpop: proof })).status).toBe(200);
  });

  const refusals: ReadonlyArray<[string, () => Promise<string | string[]>, string]> = [
    ["wrong htm", () => makeProof(key, { htm: "GET", htu: `${server.url}/oauth/token` }), "htm"],
    ["wrong htu (another path)", () => makeProof(key, { htm: "POST", htu: `${server.url}/oauth/other` }), "htu"],
    ["wrong htu (another host)", () => makeProof(key, { htm: "POST", htu: "http://evil.example/oauth/token" }), "htu"],
    ["stale iat", () => makeProof(key, { htm: "POST", htu: tokenUrl(), iat: now() - 120 }), "iat"],
    ["iat in the future", () => makeProof(key, { htm: "POST", htu: tokenUrl(), iat: now() + 120 }), "iat"],
    ["no jti", () => makeProof(key, { htm: "POST", htu: tokenUrl(), omit: ["jti"] }), "claims"],
    ["typ JWT", () => makeProof(key, { htm: "POST", htu: tokenUrl(), header: { typ: "JWT" } }), "typ"],
    [
      "a private jwk",
      async () => makeProof(key, { htm: "POST", htu: tokenUrl(), header: { jwk: await privateJwk() } }),
      "jwk",
    ],
    [
      "a jwk that did not sign it",
      async () => makeProof(key, { htm: "POST", htu: tokenUrl(), header: { jwk: (await proofKey()).jwk } }),
      "signature",
    ],
    ["alg none", async () => unsigned({ htm: "POST", htu: tokenUrl() }), "alg"],
    ["not a JWT", async () => "not-a-jwt", "malformed"],
    ["two DPoP values in one header", async () => [await validProof(), await validProof()], "multiple-headers"],
  ];

  it.each(refusals)(
    "refuses a proof with %s: 400 invalid_dpop_proof, counted by reason",
    async (_name, build, reason) => {
      const before = server.stats().dpop.refusals[reason as "htm"] ?? 0;
      const proof = await build();
      const headers = new Headers({
        authorization: `Basic ${btoa("basic-client:basic-secret")}`,
        "content-type": "application/x-www-form-urlencoded",
      });
      for (const value of typeof proof === "string" ? [proof] : proof) headers.append("dpop", value);
      const response = await fetch(tokenUrl(), { method: "POST", headers, body: "grant_type=client_credentials" });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: "invalid_dpop_proof" });
      expect(server.stats().dpop.refusals[reason as "htm"]).toBe(before + 1);
    },
  );

  it("refuses two DPoP header lines", async () => {
    expect(await rawTokenRequest({ dpop: [await validProof(), await validProof()] })).toBe(400);
  });

  it("refuses a proof made for another server even when the Host header names that server", async () => {
    const host = `evil.example:${new URL(server.url).port}`;
    const proof = await makeProof(key, { htm: "POST", htu: `http://${host}/oauth/token` });
    expect(await rawTokenRequest({ host, dpop: proof })).toBe(400);
  });

  it("refuses a replayed proof (same jti and key)", async () => {
    const proof = await validProof();
    expect((await requestToken(server.url, { dpop: proof })).status).toBe(200);
    const replay = await requestToken(server.url, { dpop: proof });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: "invalid_dpop_proof" });
  });

  it("without a proof, issues a Bearer token as before", async () => {
    const response = await requestToken(server.url);
    expect(await response.json()).toMatchObject({ token_type: "Bearer" });
  });
});

describe("/oauth/dpop-protected", () => {
  let token: string;
  beforeAll(async () => {
    token = await dpopToken(server.url, key);
  });
  const proofFor = (parts: Partial<Parameters<typeof makeProof>[1]> = {}) =>
    makeProof(key, { htm: "GET", htu: protectedUrl(), accessToken: token, ...parts });

  it("accepts the token with a fresh proof each time, any method the proof names", async () => {
    expect((await callProtected(token, await proofFor())).status).toBe(200);
    expect((await callProtected(token, await proofFor({ htm: "POST" }), "DPoP", "POST")).status).toBe(200);
  });

  const refusals: ReadonlyArray<[string, string, string, () => Promise<string | undefined>]> = [
    ["no proof", "invalid_dpop_proof", "missing", async () => undefined],
    ["wrong htm", "invalid_dpop_proof", "htm", () => proofFor({ htm: "POST" })],
    ["wrong htu", "invalid_dpop_proof", "htu", () => proofFor({ htu: `${server.url}/oauth/protected` })],
    ["stale iat", "invalid_dpop_proof", "iat", () => proofFor({ iat: now() - 300 })],
    ["missing ath", "invalid_dpop_proof", "ath", () => makeProof(key, { htm: "GET", htu: protectedUrl() })],
    ["ath of another token", "invalid_dpop_proof", "ath", () => proofFor({ ath: hashToken("another") })],
    [
      "another key",
      "invalid_token",
      "key-mismatch",
      async () => makeProof(await proofKey(), { htm: "GET", htu: protectedUrl(), accessToken: token }),
    ],
  ];

  it.each(refusals)("refuses %s: 401 WWW-Authenticate DPoP error=%s (%s)", async (_name, error, reason, build) => {
    const before = server.stats().dpop.refusals[reason as "htm"] ?? 0;
    const answer = await callProtected(token, await build());
    expect(answer.status).toBe(401);
    expect(answer.challenge).toMatch(/^DPoP algs="ES256 EdDSA RS256 PS256"/);
    expect(answer.challenge).toContain(`error="${error}"`);
    expect(answer.challenge).toContain("error_description=");
    expect(server.stats().dpop.refusals[reason as "htm"]).toBe(before + 1);
  });

  it("refuses a replayed proof at the resource", async () => {
    const proof = await proofFor();
    expect((await callProtected(token, proof)).status).toBe(200);
    const replay = await callProtected(token, proof);
    expect(replay.status).toBe(401);
    expect(server.stats().dpop.refusals.replay).toBeGreaterThanOrEqual(1);
  });

  it("refuses the DPoP-bound token sent as Bearer, here and at /oauth/protected (RFC 9449 §7.1)", async () => {
    expect((await callProtected(token, await proofFor(), "Bearer")).status).toBe(401);
    const downgrade = await fetch(`${server.url}/oauth/protected`, { headers: { authorization: `Bearer ${token}` } });
    expect(downgrade.status).toBe(401);
    expect(downgrade.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("refuses a plain Bearer token, even with a proof", async () => {
    const bearer = ((await (await requestToken(server.url)).json()) as { access_token: string }).access_token;
    const proof = await makeProof(key, { htm: "GET", htu: protectedUrl(), accessToken: bearer });
    expect((await callProtected(bearer, proof)).status).toBe(401);
    expect((await callProtected(bearer, undefined, "Bearer")).challenge).toMatch(/^DPoP /);
  });

  it("/oauth/protected accepts the DPoP-bound token with its proof", async () => {
    const url = `${server.url}/oauth/protected`;
    const proof = await makeProof(key, { htm: "GET", htu: url, accessToken: token });
    const response = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
    expect(response.status).toBe(200);
  });
});

describe("the replay cache is bounded and never lets a forgotten jti through", () => {
  it("past replayCacheSize, a proof older than the forgotten ones is refused", async () => {
    const small = await startTestServer({ dpop: { replayCacheSize: 2 } });
    try {
      const url = `${small.url}/oauth/token`;
      const base = now();
      const first = await makeProof(key, { htm: "POST", htu: url, iat: base - 3 });
      for (const proof of [
        first,
        ...(await Promise.all([base - 2, base - 1].map((iat) => makeProof(key, { htm: "POST", htu: url, iat })))),
      ]) {
        expect((await requestToken(small.url, { dpop: proof })).status).toBe(200);
      }
      // `first` was forgotten to stay within 2 entries: replaying it must still fail.
      const replay = await requestToken(small.url, { dpop: first });
      expect(replay.status).toBe(400);
      expect(small.stats().dpop.refusals.iat).toBe(1);
      expect((await requestToken(small.url, { dpop: await makeProof(key, { htm: "POST", htu: url }) })).status).toBe(
        200,
      );
    } finally {
      await small.close();
    }
  });
});

const tokenUrl = () => `${server.url}/oauth/token`;

/** A token request through node:http, which sends header lines exactly as given (several DPoP lines, any Host). */
function rawTokenRequest(headers: Record<string, string | string[]>): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(tokenUrl(), { method: "POST", agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on("error", reject);
    request.setHeader("authorization", `Basic ${btoa("basic-client:basic-secret")}`);
    request.setHeader("content-type", "application/x-www-form-urlencoded");
    for (const [name, value] of Object.entries(headers)) request.setHeader(name, value);
    request.end("grant_type=client_credentials");
  });
}
const now = () => Math.floor(Date.now() / 1000);
const validProof = () => makeProof(key, { htm: "POST", htu: tokenUrl() });

async function privateJwk() {
  const { exportJWK } = await import("jose");
  return exportJWK(key.privateKey);
}

function unsigned(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const header = { alg: "none", typ: "dpop+jwt", jwk: key.jwk };
  return `${encode(header)}.${encode({ ...claims, jti: crypto.randomUUID(), iat: now() })}.`;
}
