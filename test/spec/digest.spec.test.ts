/**
 * DigestAuth's contract (RFC 7616), driven by hand: what it sends first, how
 * it answers each kind of challenge, when it stops. Every `response` is
 * checked against node:crypto (./digest-checker.ts). Later requests (the
 * challenge cache, nextnonce, rspauth) are in digest-cache.spec.test.ts.
 */
import { describe, expect, it } from "vitest";
import { AuthChallengeError, ChallengeParseError, DigestAuth } from "../../src/index.js";
import { digestHash, digestParams, expectedResponse, expectValidResponse } from "./digest-checker.js";
import { authorizationOf, errorOf, expectFinished, ok, unauthorized, yielded } from "./exchange.js";

const RESOURCE = "https://api.example/dir/index.html";
const user = { username: "Mufasa", password: "Circle of Life" };

/** RFC 7616 §3.9.1, as printed. */
const RFC = {
  realm: "http-auth@example.org",
  nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
  opaque: "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
  cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
};

function challenge(algorithm: string | undefined, extra = 'qop="auth"', nonce = "n0nce"): string {
  const algorithmParam = algorithm === undefined ? "" : `, algorithm=${algorithm}`;
  return `Digest realm="api", nonce="${nonce}", ${extra}${algorithmParam}`;
}

/** Sends the first request, answers it with `challenges`, and returns the parameters of the answer. */
async function answerTo(auth: DigestAuth, ...challenges: string[]): Promise<Record<string, string>> {
  const flow = auth.authFlow(new Request(RESOURCE));
  await flow.next();
  return digestParams(authorizationOf(await flow.next(unauthorized(...challenges))));
}

describe("DigestAuth: the first request", () => {
  it("goes out without credentials: Digest has nothing to answer before the server's challenge", async () => {
    const flow = new DigestAuth("Mufasa", "Circle of Life").authFlow(new Request(RESOURCE));
    const step = await flow.next();
    expect(authorizationOf(step)).toBeNull();
  });

  it("finishes on an answer that is not a 401: the caller gets it", async () => {
    const flow = new DigestAuth("Mufasa", "Circle of Life").authFlow(new Request(RESOURCE));
    await flow.next();
    expectFinished(await flow.next(ok()));
  });

  it("finishes on a 401 without WWW-Authenticate: there is no challenge to answer", async () => {
    const flow = new DigestAuth("Mufasa", "Circle of Life").authFlow(new Request(RESOURCE));
    await flow.next();
    expectFinished(await flow.next(new Response(null, { status: 401 })));
  });
});

describe("DigestAuth: answering a challenge", () => {
  it("the test's node:crypto checker reproduces the RFC 7616 §3.9.1 responses", () => {
    const input = { ...user, ...RFC, method: "GET", uri: "/dir/index.html", qop: "auth", nc: "00000001" };
    expect(expectedResponse({ ...input, algorithm: "MD5" })).toBe("8ca523f5e9506fed4657c9700eebdbec");
    expect(expectedResponse({ ...input, algorithm: "SHA-256" })).toBe(
      "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
    );
  });

  for (const algorithm of ["MD5", "SHA-256"]) {
    it(`answers the RFC 7616 §3.9.1 ${algorithm} challenge with the fields of the RFC's example`, async () => {
      const auth = new DigestAuth(user.username, user.password);
      const header = `Digest realm="${RFC.realm}", qop="auth, auth-int", algorithm=${algorithm}, nonce="${RFC.nonce}", opaque="${RFC.opaque}"`;
      const params = await answerTo(auth, header);
      expect(params).toMatchObject({
        username: "Mufasa",
        realm: RFC.realm,
        uri: "/dir/index.html",
        algorithm,
        nonce: RFC.nonce,
        nc: "00000001",
        qop: "auth",
        opaque: RFC.opaque,
      });
      // SECURITY-SCENARIOS DIG-04: 128 random bits of cnonce.
      expect(params.cnonce).toMatch(/^[0-9a-f]{32}$/);
      expectValidResponse(params, user);
    });
  }

  const algorithms = ["MD5", "MD5-sess", "SHA", "SHA-sess", "SHA-256", "SHA-256-sess"];
  for (const algorithm of [...algorithms, "SHA-512", "SHA-512-sess", "SHA-512-256", "SHA-512-256-sess"]) {
    it(`answers algorithm=${algorithm} with the response node:crypto computes`, async () => {
      const params = await answerTo(new DigestAuth("Mufasa", "Circle of Life"), challenge(algorithm));
      expect(params.algorithm).toBe(algorithm);
      expectValidResponse(params, user);
    });
  }

  it("answers a challenge without algorithm as MD5, and sends no algorithm back", async () => {
    const params = await answerTo(new DigestAuth("Mufasa", "Circle of Life"), challenge(undefined));
    expect(params).not.toHaveProperty("algorithm");
    expect(params.response).toBe(expectedResponse({ ...user, ...params, algorithm: "MD5", method: "GET" } as never));
  });

  it("reads the scheme and parameter names case-insensitively", async () => {
    const params = await answerTo(
      new DigestAuth("Mufasa", "Circle of Life"),
      'DIGEST REALM="api", NONCE="n", QOP="auth"',
    );
    expect(params).toMatchObject({ realm: "api", nonce: "n", qop: "auth" });
    expectValidResponse(params, user);
  });

  it("echoes the algorithm as the server spelled it", async () => {
    const params = await answerTo(new DigestAuth("Mufasa", "Circle of Life"), challenge("sha-256"));
    expect(params.algorithm).toBe("sha-256");
    expectValidResponse(params, user);
  });

  it("echoes opaque unchanged, quotes and backslashes included", async () => {
    const params = await answerTo(new DigestAuth("u", "p"), challenge("SHA-256", 'qop="auth", opaque="a\\"b\\\\c"'));
    expect(params.opaque).toBe('a"b\\c');
  });

  it("sends the request-target exactly as requested, query and escapes included, as uri", async () => {
    const auth = new DigestAuth("Mufasa", "Circle of Life");
    const flow = auth.authFlow(new Request("https://api.example/search?q=a%20b&lang=en#top"));
    await flow.next();
    const params = digestParams(authorizationOf(await flow.next(unauthorized(challenge("SHA-256")))));
    expect(params.uri).toBe("/search?q=a%20b&lang=en");
    expectValidResponse(params, user);
  });

  it("answers an RFC 2069 challenge (no qop) with KD(HA1, nonce:HA2) and no qop, nc or cnonce", async () => {
    const params = await answerTo(new DigestAuth("Mufasa", "Circle of Life"), 'Digest realm="api", nonce="abc"');
    expect(params).not.toHaveProperty("qop");
    expect(params).not.toHaveProperty("nc");
    expect(params).not.toHaveProperty("cnonce");
    expectValidResponse(params, user);
  });

  it("prefers qop=auth when the server offers auth and auth-int", async () => {
    const params = await answerTo(new DigestAuth("u", "p"), challenge("SHA-256", 'qop="auth-int, auth"'));
    expect(params.qop).toBe("auth");
  });

  it("answers qop=auth-int with the hash of the exact body bytes", async () => {
    const body = new TextEncoder().encode("name=Mufasa&pride=rock");
    const flow = new DigestAuth("Mufasa", "Circle of Life").authFlow(
      new Request("https://api.example/form?x=1", { method: "POST", body }),
    );
    await flow.next();
    const params = digestParams(authorizationOf(await flow.next(unauthorized(challenge("SHA-256", 'qop="auth-int"')))));
    expect(params).toMatchObject({ qop: "auth-int", uri: "/form?x=1" });
    expectValidResponse(params, { ...user, method: "POST", body });
  });

  it("answers qop=auth-int for a request without a body with the hash of zero bytes", async () => {
    const params = await answerTo(new DigestAuth("Mufasa", "Circle of Life"), challenge("MD5", 'qop="auth-int"'));
    expect(params.qop).toBe("auth-int");
    expectValidResponse(params, { ...user, body: new Uint8Array(0) });
  });
});

describe("DigestAuth: the user name", () => {
  const name = "J\u00e4s\u00f8n Doe";

  it("sends H(username:realm) as username when the challenge says userhash=true (RFC 7616 §3.4.4)", async () => {
    const params = await answerTo(
      new DigestAuth(name, "Secret"),
      challenge("SHA-512-256", 'qop="auth", userhash=true'),
    );
    expect(params.username).toBe(digestHash("SHA-512-256", `${name}:api`));
    expect(params.userhash).toBe("true");
    expectValidResponse(params, { username: name, password: "Secret" });
  });

  it("sends a name outside ASCII as username* (RFC 8187) when the challenge says charset=UTF-8", async () => {
    const params = await answerTo(new DigestAuth(name, "Secret"), challenge("SHA-256", 'qop="auth", charset=UTF-8'));
    expect(params).not.toHaveProperty("username");
    expect(params["username*"]).toBe("UTF-8''J%C3%A4s%C3%B8n%20Doe");
    expectValidResponse(params, { username: name, password: "Secret" });
  });

  it("sends a name outside ASCII as its raw UTF-8 bytes when the challenge names no charset", async () => {
    const params = await answerTo(new DigestAuth(name, "Secret"), challenge("SHA-256"));
    // Headers hold one character per byte: the quoted username is the name's UTF-8 bytes.
    expect(Buffer.from(params.username as string, "latin1")).toEqual(Buffer.from(name, "utf8"));
    expectValidResponse(params, { username: name, password: "Secret" });
  });

  it("hashes a password outside ASCII as UTF-8", async () => {
    const params = await answerTo(new DigestAuth("user", "p\u00e4ss\u20ac"), challenge("SHA-256"));
    expectValidResponse(params, { username: "user", password: "p\u00e4ss\u20ac" });
  });

  it("escapes a double quote in the name in the header and hashes the name itself", async () => {
    const params = await answerTo(new DigestAuth('say "hi"', "pw"), challenge("SHA-256"));
    expect(params.username).toBe('say "hi"');
    expectValidResponse(params, { username: 'say "hi"', password: "pw" });
  });
});

describe("DigestAuth: several challenges", () => {
  it("answers the strongest Digest challenge, whatever the order the server sent them in", async () => {
    const md5 = challenge("MD5", 'qop="auth"', "n-md5");
    const sha256 = challenge("SHA-256", 'qop="auth"', "n-sha256");
    const sha512256 = challenge("SHA-512-256", 'qop="auth"', "n-sha512256");
    for (const order of [[md5, sha256, sha512256], [sha512256, md5, sha256], [`${md5}, ${sha256}`]]) {
      const params = await answerTo(new DigestAuth("u", "p"), ...order);
      const strongest = order.length === 1 ? "SHA-256" : "SHA-512-256";
      expect(params.algorithm).toBe(strongest);
      expect(params.nonce).toBe(strongest === "SHA-256" ? "n-sha256" : "n-sha512256");
    }
  });

  it("passes over challenges it cannot answer (another scheme, an unknown algorithm) to one it can", async () => {
    const params = await answerTo(
      new DigestAuth("Mufasa", "Circle of Life"),
      'Basic realm="api"',
      challenge("SHA3-256", 'qop="auth"', "unknown"),
      challenge("SHA-256", 'qop="auth"', "known"),
    );
    expect(params).toMatchObject({ algorithm: "SHA-256", nonce: "known" });
    expectValidResponse(params, user);
  });

  it("answers only the algorithms the caller allows, refusing a downgrade to MD5", async () => {
    const strict = () => new DigestAuth("u", "p", { algorithms: ["SHA-256"] });
    const params = await answerTo(
      strict(),
      challenge("SHA-256", 'qop="auth"', "b"),
      challenge("MD5", 'qop="auth"', "a"),
    );
    expect(params.algorithm).toBe("SHA-256");
    await expect(answerTo(strict(), challenge("MD5"))).rejects.toMatchObject({
      code: "ERR_AUTH_CHALLENGE",
      offered: ["MD5"],
    });
  });
});

describe("DigestAuth: challenges it cannot answer", () => {
  it("throws AuthChallengeError for a malformed challenge, the parser's error as its cause", async () => {
    const error = await errorOf(() => answerTo(new DigestAuth("u", "p"), 'Digest realm="unterminated'));
    expect(error).toBeInstanceOf(AuthChallengeError);
    expect(error.message).toContain("https://api.example");
    expect(error.cause).toBeInstanceOf(ChallengeParseError);
  });

  it("throws AuthChallengeError naming what was offered when nothing offered is usable", async () => {
    const cases: Array<[string, string[]]> = [
      ['Basic realm="api"', ["Basic"]],
      [challenge("SHA3-256"), ["SHA3-256"]],
      ['Digest realm="api", qop="auth"', ["MD5"]], // no nonce
      [challenge("SHA-256", 'qop="auth-conf"'), ["SHA-256"]], // a qop it does not speak
      ['Digest realm="api", nonce="n", algorithm=MD5-sess', ["MD5-sess"]], // -sess needs qop's cnonce
    ];
    for (const [header, offered] of cases) {
      const error = await errorOf(() => answerTo(new DigestAuth("u", "p"), header));
      expect(error, header).toBeInstanceOf(AuthChallengeError);
      expect(error.offered, header).toEqual(offered);
    }
  });

  it("throws AuthChallengeError when qop=auth-int arrives after a body larger than maxBodyBytes went out", async () => {
    const flow = new DigestAuth("u", "p", { maxBodyBytes: 8 }).authFlow(
      new Request(RESOURCE, { method: "POST", body: "more than eight bytes" }),
    );
    await yielded(await flow.next()).text(); // the transport sends the body
    const error = await errorOf(() => flow.next(unauthorized(challenge("SHA-256", 'qop="auth-int"'))));
    expect(error).toMatchObject({ code: "ERR_AUTH_CHALLENGE", offered: ["auth-int"] });
  });
});

describe("DigestAuth: when it stops", () => {
  it("costs one attempt for a wrong password: the next 401 finishes the flow and the caller gets it", async () => {
    const flow = new DigestAuth("Mufasa", "wrong").authFlow(new Request(RESOURCE));
    await flow.next();
    yielded(await flow.next(unauthorized(challenge("SHA-256", 'qop="auth"', "first"))));
    expectFinished(await flow.next(unauthorized(challenge("SHA-256", 'qop="auth"', "second"))));
  });

  it("forgets a challenge whose answer was refused: the next request goes out without credentials", async () => {
    const auth = new DigestAuth("Mufasa", "wrong");
    const flow = auth.authFlow(new Request(RESOURCE));
    await flow.next();
    await flow.next(unauthorized(challenge("SHA-256")));
    expectFinished(await flow.next(unauthorized(challenge("SHA-256"))));
    expect(authorizationOf(await auth.authFlow(new Request(RESOURCE)).next())).toBeNull();
  });

  it("answers a stale=true challenge once without counting it as a failure", async () => {
    const flow = new DigestAuth("Mufasa", "Circle of Life").authFlow(new Request(RESOURCE));
    await flow.next();
    await flow.next(unauthorized(challenge("SHA-256", 'qop="auth"', "old")));
    const retry = digestParams(
      authorizationOf(await flow.next(unauthorized(challenge("SHA-256", 'qop="auth", stale=true', "new")))),
    );
    expect(retry).toMatchObject({ nonce: "new", nc: "00000001" });
    expectValidResponse(retry, user);
    expectFinished(await flow.next(ok()));
  });

  it("answers stale=true only once per request: a second one finishes the flow", async () => {
    const flow = new DigestAuth("Mufasa", "Circle of Life").authFlow(new Request(RESOURCE));
    await flow.next();
    await flow.next(unauthorized(challenge("SHA-256", 'qop="auth"', "one")));
    yielded(await flow.next(unauthorized(challenge("SHA-256", 'qop="auth", stale=true', "two"))));
    expectFinished(await flow.next(unauthorized(challenge("SHA-256", 'qop="auth", stale=true', "three"))));
  });

  it("finishes, rather than throws, when the 401 to its answer carries a malformed challenge", async () => {
    const flow = new DigestAuth("Mufasa", "Circle of Life").authFlow(new Request(RESOURCE));
    await flow.next();
    await flow.next(unauthorized(challenge("SHA-256")));
    expectFinished(await flow.next(unauthorized('Digest realm="unterminated')));
  });
});
