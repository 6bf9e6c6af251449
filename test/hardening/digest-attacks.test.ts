// DIG-* scenarios (SECURITY.md, "Scenario → test") against hostile or odd Digest servers.
// Already covered elsewhere: DIG-03 golden vectors and the SHA-512-256 errata → test/schemes/digest-vectors.test.ts;
// DIG-04 200 concurrent (nonce, nc) pairs → test/schemes/digest.test.ts "gives 200 concurrent requests distinct…";
// DIG-06 (a)/(b) one stale retry, always-stale bounded → test/schemes/digest.test.ts;
// DIG-07 auth-int exact bytes, DIG-08 userhash / username*, DIG-09 rspauth / nextnonce → test/schemes/digest.test.ts;
// DIG-10 exact request-target → test/schemes/digest.test.ts.
import { afterEach, describe, expect, it } from "vitest";
import { AuthChallengeError, Client, DigestAuth, parseChallenges } from "../../src/index.js";
import { canaries, errorTexts } from "../helpers/canary.js";
import { type Handler, type Recorder, startRecorder } from "../helpers/recorder.js";

const secrets = canaries("digest-attacks");
const PASSWORD = secrets.get("password");
const servers: Recorder[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const SHA256 = 'Digest realm="r", nonce="n-sha256", qop="auth", algorithm=SHA-256, opaque="o-sha256"';
const MD5 = 'Digest realm="r", nonce="n-md5", qop="auth", algorithm=MD5, opaque="o-md5"';

/** 401 with `challenges` (one header line each) until an Authorization arrives, then 200. */
async function challenging(challenges: string[] | ((count: number) => string[]), accept = true): Promise<Recorder> {
  let count = 0;
  const handler: Handler = (request, response) => {
    if (accept && request.headers.authorization !== undefined) {
      response.end("ok");
      return;
    }
    const lines = typeof challenges === "function" ? challenges(count++) : challenges;
    response.setHeader("www-authenticate", lines);
    response.statusCode = 401;
    response.end();
  };
  const server = await startRecorder(handler);
  servers.push(server);
  return server;
}

/** The auth-params of the Authorization header a server received. */
function sent(server: Recorder, index = -1): Record<string, string> {
  const header = String(server.requests.at(index)?.headers.authorization ?? "");
  const params: Record<string, string> = { scheme: header.split(" ")[0] ?? "" };
  for (const match of header.matchAll(/([a-z*]+)=("([^"]*)"|[^,\s]+)/gi)) {
    params[(match[1] as string).toLowerCase()] = match[3] ?? (match[2] as string);
  }
  return params;
}

describe("DIG-01: no algorithm downgrade across several challenges (requests answers MD5: V1)", () => {
  for (const [what, lines] of [
    ["(a) SHA-256 then MD5, two header lines", [SHA256, MD5]],
    ["(b) MD5 then SHA-256, two header lines", [MD5, SHA256]],
    ["(c) both in one header line", [`${MD5}, ${SHA256}`]],
  ] as const) {
    it(`DIG-01: ${what}: answers SHA-256 with that challenge's own nonce and opaque`, async () => {
      const server = await challenging([...lines]);
      const response = await new Client().get(`${server.url}/x`, { auth: new DigestAuth("user", PASSWORD) });
      expect(response.status).toBe(200);
      const params = sent(server);
      expect(params.algorithm).toBe("SHA-256");
      expect(params.nonce).toBe("n-sha256");
      expect(params.opaque).toBe("o-sha256");
      expect(params.response).toMatch(/^[0-9a-f]{64}$/);
    });
  }

  it("DIG-01: (d) a man in the middle strips SHA-256: with algorithms: ['SHA-256'] the client fails closed, sends nothing", async () => {
    const server = await challenging([MD5]);
    const error = await new Client()
      .get(`${server.url}/x`, { auth: new DigestAuth("user", PASSWORD, { algorithms: ["SHA-256", "SHA-512-256"] }) })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthChallengeError);
    expect(String(error)).toContain("MD5");
    expect(server.requests).toHaveLength(1);
    expect(await errorTexts(error)).not.toContain(PASSWORD);
  });
});

describe("DIG-02: Digest is not downgraded to Basic", () => {
  for (const [what, lines] of [
    ["(a) Basic and Digest in one line", [`Basic realm="r", ${SHA256}`]],
    ["(a) Basic and Digest on two lines", ['Basic realm="r"', SHA256]],
    ["(a) Digest first, then Basic", [SHA256, 'Basic realm="r"']],
  ] as const) {
    it(`DIG-02: ${what}: DigestAuth answers Digest, the password never goes out`, async () => {
      const server = await challenging([...lines]);
      await new Client().get(`${server.url}/x`, { auth: new DigestAuth("user", PASSWORD) });
      expect(sent(server).scheme).toBe("Digest");
      expect(JSON.stringify(server.requests)).not.toContain(PASSWORD);
      expect(JSON.stringify(server.requests)).not.toContain(btoa(`user:${PASSWORD}`));
    });
  }

  it("DIG-02: (b) a later Basic-only challenge gets no password: DigestAuth never speaks Basic", async () => {
    const server = await challenging(() => ['Basic realm="r"'], false);
    const error = await new Client()
      .get(`${server.url}/x`, { auth: new DigestAuth("user", PASSWORD) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthChallengeError);
    expect(server.requests).toHaveLength(1);
    expect(await errorTexts(error)).not.toContain(PASSWORD);
  });
  // (c) Basic over plain http off loopback → test/client.test.ts "refuses credentials over plain HTTP…".
});

describe("DIG-06: a new nonce is not a reason to loop", () => {
  it("DIG-06: (c) a 401 with a new nonce and no stale after an authenticated attempt: no retry", async () => {
    const server = await challenging(
      (count) => [`Digest realm="r", nonce="n${count}", qop="auth", algorithm=SHA-256`],
      false,
    );
    const response = await new Client({ rejectionGuard: false }).get(`${server.url}/x`, {
      auth: new DigestAuth("u", PASSWORD),
    });
    expect(response.status).toBe(401);
    expect(server.requests).toHaveLength(2);
  });

  it("DIG-06: (d) stale=true with the same nonce: at most one stale retry", async () => {
    const server = await challenging(() => ['Digest realm="r", nonce="same", qop="auth", stale=true'], false);
    const outcome = await new Client({ rejectionGuard: false })
      .get(`${server.url}/x`, { auth: new DigestAuth("u", PASSWORD) })
      .then(
        (response) => response.status,
        (error: Error) => error.name,
      );
    expect([401, "AuthChallengeError", "FlowError"]).toContain(outcome);
    expect(server.requests.length).toBeLessThanOrEqual(3);
  });

  for (const spelling of ["stale=TRUE", 'stale="true"', "STALE=True"]) {
    it(`DIG-06: (e) ${spelling} is read case-insensitively: one silent retry`, async () => {
      let count = 0;
      const server = await startRecorder((request, response) => {
        count += 1;
        const authorised = request.headers.authorization !== undefined;
        if (authorised && count === 3) {
          response.end("ok");
          return;
        }
        const stale = authorised ? `, ${spelling}` : "";
        response.writeHead(401, { "www-authenticate": `Digest realm="r", nonce="n${count}", qop="auth"${stale}` });
        response.end();
      });
      servers.push(server);
      const response = await new Client().get(`${server.url}/x`, { auth: new DigestAuth("u", PASSWORD) });
      expect(response.status).toBe(200);
      expect(server.requests).toHaveLength(3);
      expect(sent(server).nonce).toBe("n2");
    });
  }
});

describe("DIG-10: parameter hygiene", () => {
  it("DIG-10: an unknown algorithm is skipped, never answered with MD5; alone it is a typed error", async () => {
    const mixed = await challenging(['Digest realm="r", nonce="x", qop="auth", algorithm=SHA3-FOO', SHA256]);
    await new Client().get(`${mixed.url}/x`, { auth: new DigestAuth("u", PASSWORD) });
    expect(sent(mixed).algorithm).toBe("SHA-256");
    const alone = await challenging(['Digest realm="r", nonce="x", qop="auth", algorithm=SHA3-FOO']);
    const error = await new Client()
      .get(`${alone.url}/x`, { auth: new DigestAuth("u", PASSWORD) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthChallengeError);
    expect(alone.requests).toHaveLength(1);
  });

  it('DIG-10: algorithm=sha-256 and algorithm="SHA-256" are the same; a realm with escapes is re-escaped', async () => {
    for (const algorithm of ["sha-256", '"SHA-256"']) {
      const server = await challenging([
        `Digest realm="DOMAIN\\\\host \\"x\\"", nonce="n", qop="auth", algorithm=${algorithm}`,
      ]);
      const response = await new Client().get(`${server.url}/x`, { auth: new DigestAuth("u", PASSWORD) });
      expect(response.status).toBe(200);
      const header = String(server.requests.at(-1)?.headers.authorization);
      expect(header).toContain('realm="DOMAIN\\\\host \\"x\\""');
      expect(header.toLowerCase()).toContain("algorithm=sha-256");
    }
  });
});

describe("PAR-06 in Digest: a quote in the user name does not inject parameters", () => {
  it('PAR-06: user a", realm="evil is escaped or sent as username*', async () => {
    const server = await challenging([SHA256]);
    await new Client().get(`${server.url}/x`, { auth: new DigestAuth('a", realm="evil', PASSWORD) });
    const header = String(server.requests.at(-1)?.headers.authorization);
    // The server's parse of what was sent shows exactly the intended parameters.
    const [parsed] = parseChallenges(header);
    expect(parsed?.params.realm).toBe("r");
    expect(parsed?.params.username ?? parsed?.params["username*"]).toBeDefined();
    if (parsed?.params.username !== undefined) expect(parsed.params.username).toBe('a", realm="evil');
  });
});
