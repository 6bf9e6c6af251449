/**
 * Issue 16: DPoP server nonces (RFC 9449 §8, §9) — `dpop.requireNonce`,
 * rotating and one-time — at the token endpoint and at the resource.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { DpopNonces } from "../../src/server/dpop-state.js";
import type { TestServer } from "../../src/server/index.js";
import { withServer } from "../helpers/server.js";
import { makeProof, type ProofKey, proofKey, requestToken } from "./dpop-helpers.js";

let key: ProofKey;
beforeAll(async () => {
  key = await proofKey();
});

/** A token request with a proof carrying `nonce`: status, body, and the nonce the answer hands out. */
async function tokenWith(server: TestServer, nonce?: string) {
  const proof = await makeProof(key, { htm: "POST", htu: `${server.url}/oauth/token`, ...(nonce ? { nonce } : {}) });
  const response = await requestToken(server.url, { dpop: proof });
  const body = (await response.json()) as Record<string, string>;
  return { status: response.status, body, nonce: response.headers.get("dpop-nonce") ?? undefined };
}

async function resourceWith(server: TestServer, token: string, nonce?: string) {
  const url = `${server.url}/oauth/dpop-protected`;
  const proof = await makeProof(key, { htm: "GET", htu: url, accessToken: token, ...(nonce ? { nonce } : {}) });
  const response = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
  await response.arrayBuffer();
  return {
    status: response.status,
    challenge: response.headers.get("www-authenticate"),
    nonce: response.headers.get("dpop-nonce") ?? undefined,
  };
}

describe("dpop.requireNonce (rotating)", () => {
  it("the token endpoint answers 400 use_dpop_nonce with DPoP-Nonce, then accepts a proof carrying it", async () => {
    await withServer({ dpop: { requireNonce: true } }, async (server) => {
      const first = await tokenWith(server);
      expect(first.status).toBe(400);
      expect(first.body).toMatchObject({ error: "use_dpop_nonce" });
      expect(first.nonce).toMatch(/^[\w-]{22}$/);
      const second = await tokenWith(server, first.nonce);
      expect(second.status).toBe(200);
      expect(second.body.token_type).toBe("DPoP");
      expect(second.nonce).toBe(first.nonce);
      expect((await tokenWith(server, "made-up")).body).toMatchObject({ error: "use_dpop_nonce" });
      expect(server.stats().dpop).toMatchObject({ noncesIssued: 1, refusals: { nonce: 2 } });
    });
  });

  it("the resource answers 401 DPoP error=use_dpop_nonce with DPoP-Nonce, then accepts", async () => {
    await withServer({ dpop: { requireNonce: true } }, async (server) => {
      const { nonce } = await tokenWith(server);
      const token = (await tokenWith(server, nonce)).body.access_token as string;
      const without = await resourceWith(server, token);
      expect(without.status).toBe(401);
      expect(without.challenge).toContain('error="use_dpop_nonce"');
      expect(without.nonce).toBe(nonce);
      expect((await resourceWith(server, token, without.nonce)).status).toBe(200);
    });
  });

  it("requests without DPoP are not asked for nonces", async () => {
    await withServer({ dpop: { requireNonce: true } }, async (server) => {
      const response = await requestToken(server.url);
      expect(response.status).toBe(200);
      expect(response.headers.get("dpop-nonce")).toBeNull();
      expect(server.stats().dpop.noncesIssued).toBe(0);
    });
  });
});

describe("dpop.nonceMode one-time", () => {
  it("every answer carries a fresh nonce, each good once: one request each in steady state", async () => {
    await withServer({ dpop: { requireNonce: true, nonceMode: "one-time" } }, async (server) => {
      let { nonce } = await tokenWith(server);
      const seen = new Set<string>();
      let token = "";
      for (let round = 0; round < 3; round++) {
        const answer = await tokenWith(server, nonce);
        expect(answer.status).toBe(200);
        token = answer.body.access_token as string;
        expect(seen.has(answer.nonce as string)).toBe(false);
        seen.add(nonce as string);
        ({ nonce } = answer);
      }
      const used = [...seen][0] as string;
      expect((await tokenWith(server, used)).body).toMatchObject({ error: "use_dpop_nonce" });
      const atResource = await resourceWith(server, token, (await tokenWith(server)).nonce);
      expect(atResource.status).toBe(200);
      expect(atResource.nonce).toBeDefined();
      expect((await resourceWith(server, token, atResource.nonce)).status).toBe(200);
    });
  });
});

describe("DpopNonces (the nonce clock)", () => {
  it("rotating: a nonce is good for its lifetime and one more; then refused", () => {
    let now = 0;
    const nonces = new DpopNonces(
      "rotating",
      1000,
      () => now,
      () => {},
    );
    const first = nonces.current();
    now = 999;
    expect(nonces.accept(first)).toBe(true);
    now = 1000;
    expect(nonces.current()).not.toBe(first);
    expect(nonces.accept(first)).toBe(true);
    now = 2000;
    expect(nonces.accept(first)).toBe(false);
  });

  it("one-time: used once, refused after its lifetime, and at most capacity remembered", () => {
    let now = 0;
    const nonces = new DpopNonces(
      "one-time",
      1000,
      () => now,
      () => {},
      4,
    );
    const [a, b] = [nonces.current(), nonces.current()];
    expect(nonces.accept(a)).toBe(true);
    expect(nonces.accept(a)).toBe(false);
    now = 1001;
    expect(nonces.accept(b)).toBe(false);
    const many = Array.from({ length: 10 }, () => nonces.current());
    expect(nonces.accept(many[0])).toBe(false);
    expect(nonces.accept(many[9])).toBe(true);
  });
});
