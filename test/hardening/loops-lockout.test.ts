// LOOP-* scenarios (SECURITY.md, "Scenario → test"): rejected credentials are tried once, never looped, and
// the bad-credential guard keeps a wrong password from locking an account, also under concurrency.
// Already covered elsewhere: sequential trip / cool-down / per-origin counts → test/guard.test.ts;
// a flow that loops → test/flow.test.ts "stops a flow that loops with FlowError";
// DIG-06 stale handling → test/schemes/digest.test.ts; LOOP-03 invalid_token → test/oauth2/client-credentials.test.ts.
import { afterEach, describe, expect, it } from "vitest";
import { type Auth, AuthRejectedError, BasicAuth, BearerAuth, Client, DigestAuth, withAuth } from "../../src/index.js";
import { canaries, errorTexts } from "../helpers/canary.js";
import { rawFetch } from "../helpers/raw-fetch.js";
import { type Handler, type Recorder, startRecorder } from "../helpers/recorder.js";

const secrets = canaries("loops-lockout");
const servers: Recorder[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function server(handler: Handler): Promise<Recorder> {
  const started = await startRecorder(handler);
  servers.push(started);
  return started;
}

/** Always 401 with `challenge`, whatever was sent. */
function alwaysRejects(challenge: string, status = 401): Handler {
  const header = status === 407 ? "proxy-authenticate" : "www-authenticate";
  return (_request, response) => {
    response.writeHead(status, { [header]: challenge, "content-type": "text/plain" });
    response.end("account locked after too many failures");
  };
}

const DIGEST_CHALLENGE = 'Digest realm="lock", nonce="n0nce-fixed", qop="auth", algorithm=SHA-256';
const credentialed = (recorder: Recorder) =>
  recorder.requests.filter((request) => request.headers.authorization !== undefined).length;

const schemes: Array<[string, () => Auth, string, number]> = [
  // [scheme, credentials, challenge, requests per call: Digest needs its challenge first]
  ["Basic", () => new BasicAuth("user", secrets.get("basic-password")), 'Basic realm="lock"', 1],
  ["Digest", () => new DigestAuth("user", secrets.get("digest-password")), DIGEST_CHALLENGE, 2],
  ["Bearer", () => new BearerAuth(secrets.get("bearer-token")), 'Bearer realm="lock", error="invalid_token"', 1],
  ["Bearer provider", () => new BearerAuth(() => secrets.get("bearer-provider")), 'Bearer error="invalid_token"', 1],
];

describe("LOOP-01: a rejected credential is tried once per request, never looped", () => {
  for (const [name, make, challenge, perCall] of schemes) {
    it(`LOOP-01: ${name} against an always-401 server: ${perCall} request(s), the 401 is returned`, async () => {
      const origin = await server(alwaysRejects(challenge));
      const response = await new Client({ rejectionGuard: false }).get(`${origin.url}/x`, { auth: make() });
      expect(response.status).toBe(401);
      expect(await response.text()).toBe("account locked after too many failures");
      expect(origin.requests).toHaveLength(perCall);
      expect(credentialed(origin)).toBe(1);
    });
  }

  // Fetch (and so Node's global fetch) turns a 407 from an origin into a network error; a transport
  // that returns it (here: node:http) shows what the flow and the guard do with it.
  it("LOOP-01: a 407 is not retried: one request per call (global fetch: a TypeError; a raw transport: the 407)", async () => {
    const origin = await server(alwaysRejects('Basic realm="proxy"', 407));
    const proxyAuthorization = `Basic ${btoa(`u:${secrets.get("proxy")}`)}`;
    const viaFetch = await withAuth(fetch, null)(`${origin.url}/x`, {
      headers: { "Proxy-Authorization": proxyAuthorization },
    }).catch((error: unknown) => error);
    expect(viaFetch).toBeInstanceOf(TypeError);
    expect(await errorTexts(viaFetch)).not.toContain(secrets.get("proxy"));
    const response = await withAuth(rawFetch, null)(`${origin.url}/x`, {
      headers: { "Proxy-Authorization": proxyAuthorization },
    });
    expect(response.status).toBe(407);
    expect(origin.requests).toHaveLength(2);
  });

  it("LOOP-01: a 407 to an auth flow counts as a rejection for the guard", async () => {
    const origin = await server(alwaysRejects('Basic realm="proxy"', 407));
    const client = new Client({ auth: new BasicAuth("u", secrets.get("proxy-flow")), fetch: rawFetch });
    for (let call = 0; call < 3; call++) expect((await client.get(`${origin.url}/x`)).status).toBe(407);
    const blocked = await client.get(`${origin.url}/x`).catch((error: unknown) => error);
    expect(blocked).toBeInstanceOf(AuthRejectedError);
    expect(String(blocked)).toContain('realm "proxy"');
    expect(origin.requests).toHaveLength(3);
  });
});

describe("LOOP-02: lock-out protection across calls and under concurrency", () => {
  for (const [name, make, challenge, perCall] of schemes) {
    it(`LOOP-02: ${name}: 10 sequential calls with a wrong credential → 3 server-side attempts, then AuthRejectedError`, async () => {
      const origin = await server(alwaysRejects(challenge));
      const client = new Client({ auth: make() });
      const outcomes: Array<number | string> = [];
      for (let call = 0; call < 10; call++) {
        outcomes.push(
          await client.get(`${origin.url}/x`).then(
            (r) => r.status,
            (e: Error) => e.name,
          ),
        );
      }
      expect(outcomes).toEqual([401, 401, 401, ...Array(7).fill("AuthRejectedError")]);
      expect(credentialed(origin)).toBe(3);
      expect(origin.requests).toHaveLength(3 * perCall);
    });

    it(`LOOP-02: ${name}: 20 concurrent calls with a wrong credential → at most 3 server-side attempts`, async () => {
      const origin = await server(alwaysRejects(challenge));
      const authedFetch = withAuth(fetch, make());
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => authedFetch(`${origin.url}/x`)));
      const statuses = results.map((result) => (result.status === "fulfilled" ? result.value.status : "rejected"));
      expect(statuses.filter((status) => status === 401)).toHaveLength(3);
      expect(statuses.filter((status) => status === "rejected")).toHaveLength(17);
      for (const result of results) {
        if (result.status === "rejected") {
          expect(result.reason).toBeInstanceOf(AuthRejectedError);
          const texts = await errorTexts(result.reason);
          for (const secret of secrets.all()) expect(texts).not.toContain(secret);
        } else {
          // The first failures' responses (status and body) reach the caller.
          expect(await result.value.text()).toBe("account locked after too many failures");
        }
      }
      expect(credentialed(origin)).toBe(3);
    });
  }

  it("LOOP-02: 50 concurrent calls with the right credentials all go out (the guard serialises only until the first success)", async () => {
    const origin = await server((request, response) => {
      const ok = request.headers.authorization === `Basic ${btoa(`u:${secrets.get("right")}`)}`;
      response.writeHead(ok ? 200 : 401, ok ? {} : { "www-authenticate": 'Basic realm="r"' });
      response.end(ok ? "ok" : "no");
    });
    const authedFetch = withAuth(fetch, ["u", secrets.get("right")]);
    const responses = await Promise.all(Array.from({ length: 50 }, () => authedFetch(`${origin.url}/x`)));
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
    expect(origin.requests).toHaveLength(50);
  });

  it("LOOP-02: a waiting call honours its AbortSignal; a network failure hands the slot on", async () => {
    let first = true;
    const origin = await server((_request, response) => {
      if (first) {
        first = false;
        response.destroy(); // the first attempt ends without a response
        return;
      }
      response.writeHead(200);
      response.end("ok");
    });
    const authedFetch = withAuth(fetch, new BasicAuth("u", secrets.get("abort")));
    const aborted = new AbortController();
    aborted.abort(new Error("caller gave up"));
    const results = await Promise.allSettled([
      authedFetch(`${origin.url}/a`),
      authedFetch(`${origin.url}/b`, { signal: aborted.signal }),
      authedFetch(`${origin.url}/c`),
    ]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected", "fulfilled"]);
    expect(origin.requests.length).toBeLessThanOrEqual(2);
  });
});

describe("the guard's message is bounded and inert", () => {
  it("shows a server's realm cut short, with C1 control characters (a terminal's CSI) replaced", async () => {
    const realm = `\u009b32mOK\u0085${"x".repeat(5_000)}`;
    const origin = await server(alwaysRejects(`Basic realm="${realm}"`));
    const client = new Client({ auth: new BasicAuth("u", secrets.get("realm-message")) });
    for (let call = 0; call < 3; call++) expect((await client.get(`${origin.url}/x`)).status).toBe(401);
    const error = await client.get(`${origin.url}/x`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthRejectedError);
    const message = (error as Error).message;
    expect(message).toContain('realm "?32mOK?xxx');
    expect(message).not.toMatch(/[\u0080-\u009f]/);
    expect(message.length).toBeLessThan(400);
  });
});
