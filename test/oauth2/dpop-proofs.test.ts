/**
 * Issue 16: what authflow's DPoP proofs carry (read and verified with jose,
 * never with authflow's code), which keys sign them, and how the embedded
 * test server refuses a proof taken out of its request: replayed, another
 * method or URL, another key, another token.
 */
import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, EmbeddedJWK, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientCredentialsAuth, InvalidArgumentError, withAuth } from "../../src/index.js";
import { DpopSigner } from "../../src/oauth2/dpop.js";
import { generateDpopKey } from "../../src/oauth2/dpop-key.js";
import type { ClientCredentialsOptions } from "../../src/oauth2/options.js";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { hashToken } from "../server/dpop-helpers.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

function dpopClient(options: Partial<ClientCredentialsOptions> = {}) {
  return new ClientCredentialsAuth({
    tokenUrl: `${server.url}/oauth/token`,
    clientId: "basic-client",
    clientSecret: "basic-secret",
    dpop: true,
    ...options,
  });
}

/** A fetch that keeps a copy of every request's headers before sending it. */
function recording() {
  const sent: { method: string; url: string; authorization: string; dpop: string }[] = [];
  const fetchAndRecord = (request: Request) => {
    sent.push({
      method: request.method,
      url: request.url,
      authorization: request.headers.get("authorization") ?? "",
      dpop: request.headers.get("dpop") ?? "",
    });
    return fetch(request);
  };
  return { sent, fetch: fetchAndRecord };
}

async function claimsOf(proof: string) {
  const { payload, protectedHeader } = await compactVerify(proof, EmbeddedJWK);
  return { header: protectedHeader, claims: JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown> };
}

describe("the proof (RFC 9449 §4.2)", () => {
  it("typ dpop+jwt, a public jwk only, htm, htu without query and fragment, iat, unique jti, ath of the token", async () => {
    const { sent, fetch: recorder } = recording();
    const auth = dpopClient({ fetch: recorder });
    const api = withAuth(recorder, auth);
    const url = `${server.url}/oauth/dpop-protected`;
    for (const method of ["GET", "POST", "DELETE"]) {
      expect((await api(`${url}?q=1#fragment`, { method })).status).toBe(200);
    }
    const [token, ...resource] = sent;
    const accessToken = (await auth.getToken()).accessToken;
    const tokenProof = await claimsOf(token?.dpop ?? "");
    expect(tokenProof.header).toEqual({ alg: "ES256", typ: "dpop+jwt", jwk: expect.any(Object) });
    expect(Object.keys(tokenProof.header.jwk as JWK).sort()).toEqual(["crv", "kty", "x", "y"]);
    expect(tokenProof.claims).toEqual({
      jti: expect.any(String),
      htm: "POST",
      htu: `${server.url}/oauth/token`,
      iat: expect.any(Number),
    });
    const jtis = new Set([tokenProof.claims.jti]);
    for (const [index, method] of ["GET", "POST", "DELETE"].entries()) {
      const request = resource[index];
      expect(request?.authorization).toBe(`DPoP ${accessToken}`);
      const { claims } = await claimsOf(request?.dpop ?? "");
      expect(claims).toMatchObject({ htm: method, htu: url, ath: hashToken(accessToken) });
      expect(Math.abs((claims.iat as number) - Date.now() / 1000)).toBeLessThan(60);
      jtis.add(claims.jti);
    }
    expect(jtis.size).toBe(4);
  });

  it("carries the nonce the server gave (DPoP-Nonce), at the token endpoint and at the resource", async () => {
    const on = await startTestServer({ dpop: { requireNonce: true } });
    try {
      const { sent, fetch: recorder } = recording();
      const auth = dpopClient({ tokenUrl: `${on.url}/oauth/token`, fetch: recorder });
      expect((await withAuth(recorder, auth)(`${on.url}/oauth/dpop-protected`)).status).toBe(200);
      const claims = await Promise.all(sent.map(async (request) => (await claimsOf(request.dpop)).claims));
      expect(claims.map((claim) => claim.nonce)).toEqual([undefined, expect.any(String), expect.any(String)]);
    } finally {
      await on.close();
    }
  });
});

describe("keys: true or a supplied pair; the token is bound to its thumbprint (RFC 7638)", () => {
  const pairs: [string, () => Promise<NonNullable<ClientCredentialsOptions["dpop"]>>][] = [
    [
      "ES256 private JWK (with kid, alg and use)",
      async () => {
        const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]);
        const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
        return { privateKey: { ...jwk, kid: "k1", alg: "ES256", use: "sig" } };
      },
    ],
    [
      "EdDSA non-extractable CryptoKey with its public key",
      async () => {
        const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])) as CryptoKeyPair;
        return { privateKey: pair.privateKey, publicKey: pair.publicKey };
      },
    ],
    [
      "RS256 private JWK",
      async () => {
        const pair = await crypto.subtle.generateKey(
          {
            name: "RSASSA-PKCS1-v1_5",
            modulusLength: 2048,
            publicExponent: new Uint8Array([1, 0, 1]),
            hash: "SHA-256",
          },
          true,
          ["sign", "verify"],
        );
        return { privateKey: await crypto.subtle.exportKey("jwk", pair.privateKey) };
      },
    ],
    [
      "PS256 extractable CryptoKey",
      async () => {
        const pair = await crypto.subtle.generateKey(
          { name: "RSA-PSS", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
          true,
          ["sign", "verify"],
        );
        return { privateKey: pair.privateKey };
      },
    ],
  ];

  it.each(pairs)("%s", async (_name, make) => {
    const dpop = await make();
    const { sent, fetch: recorder } = recording();
    const auth = dpopClient({ dpop, fetch: recorder });
    const response = await withAuth(recorder, auth)(`${server.url}/oauth/dpop-protected`);
    expect(response.status).toBe(200);
    const { cnf } = (await response.json()) as { cnf: { jkt: string } };
    const jwk = decodeProtectedHeader(sent[0]?.dpop ?? "").jwk as JWK;
    expect(jwk).not.toHaveProperty("d");
    expect(cnf.jkt).toBe(await calculateJwkThumbprint(jwk, "sha256"));
  });

  it("object output never shows the private key", async () => {
    const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]);
    const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
    const auth = dpopClient({ dpop: { privateKey: jwk } });
    await auth.getToken();
    const { inspect } = await import("node:util");
    expect(`${inspect(auth, { depth: 10, showHidden: true })}${JSON.stringify(auth)}`).not.toContain(jwk.d as string);
  });

  it("refuses at construction what cannot sign a proof, naming the option", async () => {
    const ec = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, true, ["sign"]);
    const p384 = await crypto.subtle.exportKey("jwk", ec.privateKey);
    const p256 = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
    const publicOnly = await crypto.subtle.exportKey("jwk", p256.publicKey);
    const cases: unknown[] = [
      "yes",
      { privateKey: publicOnly },
      { privateKey: { kty: "oct", k: "c2VjcmV0" } },
      { privateKey: p384 },
      { privateKey: ec.privateKey },
      { privateKey: p256.privateKey },
      { privateKey: p256.publicKey },
    ];
    for (const dpop of cases) {
      expect(() => dpopClient({ dpop: dpop as NonNullable<ClientCredentialsOptions["dpop"]> })).toThrow(
        InvalidArgumentError,
      );
    }
  });

  it("a publicKey that is not the private key's half fails the first request, before any token request", async () => {
    server.reset();
    const one = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
    const other = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
    const auth = dpopClient({ dpop: { privateKey: one.privateKey, publicKey: other.publicKey } });
    await expect(auth.getToken()).rejects.toThrow(/not the public half/);
    expect(server.stats().tokenRequests).toBe(0);
  });
});

describe("a proof taken out of its request is refused (the embedded server's checks)", () => {
  it("replayed, another method, another URL, another token, another key", async () => {
    server.reset();
    const { sent, fetch: recorder } = recording();
    const auth = dpopClient();
    const url = `${server.url}/oauth/dpop-protected`;
    expect((await withAuth(recorder, auth)(url)).status).toBe(200);
    const captured = sent[0] as { authorization: string; dpop: string };
    const replay = (target: string, method: string, authorization = captured.authorization, dpop = captured.dpop) =>
      fetch(target, { method, headers: { authorization, dpop } }).then(async (response) => {
        await response.arrayBuffer();
        return response.status;
      });
    expect(await replay(url, "GET")).toBe(401);
    expect(await replay(url, "POST")).toBe(401);
    expect(await replay(`${server.url}/oauth/protected`, "GET")).toBe(401);
    const otherToken = (await dpopClient().getToken()).accessToken;
    expect(await replay(url, "GET", `DPoP ${otherToken}`)).toBe(401);
    // A proof by another key for this very token and request: the binding (cnf.jkt) refuses it.
    const stranger = new DpopSigner(generateDpopKey());
    const token = captured.authorization.slice(5);
    expect(
      await replay(url, "GET", captured.authorization, await stranger.proof("GET", url, { accessToken: token })),
    ).toBe(401);
    expect(server.stats().dpop.refusals).toMatchObject({ replay: 1, htm: 1, htu: 1, ath: 1, "key-mismatch": 1 });
  });
});

describe("clocks", () => {
  it("a server whose clock is 10 minutes ahead: one refused proof, then proofs dated on its clock (its Date header)", async () => {
    const on = await startTestServer({ oauthClockSkewSeconds: 600 });
    try {
      const api = withAuth(fetch, dpopClient({ tokenUrl: `${on.url}/oauth/token` }));
      for (let index = 0; index < 3; index++) expect((await api(`${on.url}/oauth/dpop-protected`)).status).toBe(200);
      expect(on.stats().tokenRequests).toBe(2);
      expect(on.stats().dpop.refusals).toEqual({ iat: 1 });
    } finally {
      await on.close();
    }
  });
});
