import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { authorizationFor } from "../../src/engine/capabilities.js";
import { parseChallenges } from "../../src/headers/challenge.js";
import { AuthChallengeError, ChallengeParseError, Client, InvalidArgumentError, withAuth } from "../../src/index.js";
import { DigestAuth, type DigestAuthOptions } from "../../src/schemes/digest.js";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";

/** What the client put on the wire, seen from a fetch wrapper. */
interface Sent {
  url: string;
  authorization: Record<string, string> | null;
}

function recordingFetch(log: Sent[]) {
  return (request: Request): Promise<Response> => {
    const header = request.headers.get("authorization");
    const params = header === null ? null : { ...(parseChallenges(header)[0]?.params ?? {}) };
    log.push({ url: request.url, authorization: params });
    return fetch(request);
  };
}

function digestFetch(auth: DigestAuth, log: Sent[] = []) {
  return withAuth(recordingFetch(log), auth, { rejectionGuard: false });
}

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

afterEach(() => {
  server.reset();
});

async function expectOk(response: Response, user = "user"): Promise<void> {
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ authenticated: true, user });
}

describe("DigestAuth against the test server", () => {
  it("answers the first challenge, then goes out preemptively: 1,000 requests cost 1,001 round trips", async () => {
    const send = digestFetch(new DigestAuth("user", "passwd"));
    for (let index = 0; index < 1_000; index++) {
      const response = await send(`${server.url}/digest-auth/auth/user/passwd`);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    expect(server.stats().requests).toBe(1_001);
    expect(server.stats().challenges).toBe(1);
  });

  it("gives 200 concurrent requests distinct (nonce, nc) pairs, all accepted", async () => {
    const log: Sent[] = [];
    const send = digestFetch(new DigestAuth("user", "passwd"), log);
    const url = `${server.url}/digest-auth/auth/user/passwd/SHA-256`;
    await expectOk(await send(url));
    const responses = await Promise.all(Array.from({ length: 200 }, () => send(url)));
    for (const response of responses) await expectOk(response);
    const pairs = log
      .filter((entry) => entry.authorization !== null)
      .map((entry) => {
        const params = entry.authorization as Record<string, string>;
        return `${params.nonce}/${params.nc}`;
      });
    expect(pairs).toHaveLength(201);
    expect(new Set(pairs).size).toBe(201);
    expect(server.stats().requests).toBe(202);
  });

  it("survives 200 concurrent cold requests (no cached challenge yet)", async () => {
    const send = digestFetch(new DigestAuth("user", "passwd"));
    const url = `${server.url}/digest-auth/auth/user/passwd`;
    const responses = await Promise.all(Array.from({ length: 200 }, () => send(url)));
    for (const response of responses) await expectOk(response);
  });

  it("resends once after stale=true without the caller seeing an error", async () => {
    const send = digestFetch(new DigestAuth("user", "passwd"));
    // stale_after=3: each nonce serves three requests, the fourth is answered stale=true.
    for (let index = 0; index < 10; index++)
      await expectOk(await send(`${server.url}/digest-auth/auth/user/passwd/MD5/3`));
    expect(server.stats().challenges).toBe(4); // the first challenge, then stale at requests 4, 7 and 10
    expect(server.stats().requests).toBe(14);
  });

  it("makes exactly one attempt with a wrong password, then returns the 401", async () => {
    const auth = new DigestAuth("user", "wrong");
    const send = digestFetch(auth);
    const response = await send(`${server.url}/digest-auth/auth/user/passwd`);
    expect(response.status).toBe(401);
    expect(server.stats().requests).toBe(2);
    // The refused challenge is not reused: the next request starts over, again with one attempt.
    expect((await send(`${server.url}/digest-auth/auth/user/passwd`)).status).toBe(401);
    expect(server.stats().requests).toBe(4);
  });

  it.each([
    ["two header lines, SHA-256 first", "challenges=SHA-256,MD5"],
    ["two header lines, MD5 first", "challenges=MD5,SHA-256"],
    ["one header line", "challenges=MD5,SHA-256&oneheader=1"],
  ])("answers the strongest challenge, never downgrading (%s)", async (_name, query) => {
    const log: Sent[] = [];
    const response = await digestFetch(
      new DigestAuth("user", "passwd"),
      log,
    )(`${server.url}/digest-auth/auth/user/passwd?${query}`);
    await expectOk(response);
    expect(log[1]?.authorization?.algorithm).toBe("SHA-256");
  });

  it("picks SHA-512-256 over SHA-256 and SHA-512", async () => {
    const log: Sent[] = [];
    const url = `${server.url}/digest-auth/auth/user/passwd?challenges=SHA-512,SHA-512-256,SHA-256`;
    await expectOk(await digestFetch(new DigestAuth("user", "passwd"), log)(url));
    expect(log[1]?.authorization?.algorithm).toBe("SHA-512-256");
  });

  it.each([
    "MD5",
    "MD5-sess",
    "SHA",
    "SHA-sess",
    "SHA-256",
    "SHA-256-sess",
    "SHA-512",
    "SHA-512-sess",
    "SHA-512-256",
    "SHA-512-256-sess",
  ])("works with %s for qop auth and auth-int, preemptively after the first", async (algorithm) => {
    for (const qop of ["auth", "auth-int", "auth,auth-int"]) {
      server.reset();
      const send = digestFetch(new DigestAuth("user", "passwd"));
      for (let index = 0; index < 3; index++) {
        const response = await send(`${server.url}/digest-auth/${qop}/user/passwd/${algorithm}`, {
          method: "POST",
          body: `payload ${index} \u00e9`,
        });
        await expectOk(response);
      }
      expect(server.stats().requests).toBe(4);
    }
  });

  it("speaks RFC 2069 to a server that offers no qop", async () => {
    const log: Sent[] = [];
    const send = digestFetch(new DigestAuth("user", "passwd"), log);
    await expectOk(await send(`${server.url}/digest-auth/none/user/passwd`));
    await expectOk(await send(`${server.url}/digest-auth/none/user/passwd`));
    expect(log[1]?.authorization?.qop).toBeUndefined();
    expect(log[1]?.authorization?.cnonce).toBeUndefined();
  });

  it("hashes the exact body bytes for auth-int: string, bytes and a stream", async () => {
    const bodies: (() => BodyInit)[] = [
      () => "x=1&y=\u00e9",
      () => new Uint8Array([0, 1, 2, 255, 13, 10]),
      () =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("chunk one, "));
            controller.enqueue(new TextEncoder().encode("chunk two"));
            controller.close();
          },
        }),
    ];
    for (const body of bodies) {
      server.reset();
      const send = digestFetch(new DigestAuth("user", "passwd"));
      const url = `${server.url}/digest-auth/auth-int/user/passwd/SHA-256`;
      await expectOk(await send(url, { method: "POST", body: body(), duplex: "half" } as RequestInit));
      await expectOk(await send(url, { method: "PUT", body: body(), duplex: "half" } as RequestInit));
      expect(server.stats().requests).toBe(3);
    }
  });

  it("sends the request-target exactly as fetch sends it, percent-encoding and query kept", async () => {
    const log: Sent[] = [];
    const url = `${server.url}/digest-auth/auth/user/passwd?q=a%2Fb%20c&x=%C3%A9&empty=#fragment`;
    await expectOk(await digestFetch(new DigestAuth("user", "passwd"), log)(url));
    expect(log[1]?.authorization?.uri).toBe("/digest-auth/auth/user/passwd?q=a%2Fb%20c&x=%C3%A9&empty=");
  });

  it("computes the response again for the new target after a redirect", async () => {
    const send = digestFetch(new DigestAuth("user", "passwd"));
    await expectOk(await send(`${server.url}/digest-auth/auth/user/passwd`));
    const target = encodeURIComponent("/digest-auth/auth/user/passwd?after=redirect");
    await expectOk(await send(`${server.url}/redirect-to?url=${target}&status_code=307`));
  });

  it("uses userhash when the server offers it", async () => {
    const log: Sent[] = [];
    const send = digestFetch(new DigestAuth("user", "passwd"), log);
    await expectOk(await send(`${server.url}/digest-auth/auth/user/passwd/SHA-256?userhash=true`));
    expect(log[1]?.authorization?.userhash).toBe("true");
    expect(log[1]?.authorization?.username).toMatch(/^[0-9a-f]{64}$/);
  });

  it("sends username* for a user name outside ASCII", async () => {
    const log: Sent[] = [];
    const name = "J\u00e4s\u00f8n Doe";
    const send = digestFetch(new DigestAuth(name, "Secret, or not?"), log);
    const url = `${server.url}/digest-auth/auth/${encodeURIComponent(name)}/${encodeURIComponent("Secret, or not?")}/SHA-512-256`;
    await expectOk(await send(url), name);
    expect(log[1]?.authorization?.["username*"]).toBe("UTF-8''J%C3%A4s%C3%B8n%20Doe");
    expect(log[1]?.authorization?.username).toBeUndefined();
  });

  it("recovers with one stale retry when the server forgot its nonces", async () => {
    const send = digestFetch(new DigestAuth("user", "passwd"));
    await expectOk(await send(`${server.url}/digest-auth/auth/user/passwd`));
    server.reset();
    await expectOk(await send(`${server.url}/digest-auth/auth/user/passwd`));
    expect(server.stats().requests).toBe(2);
  });

  it("follows nextnonce: each request after the first uses the nonce the last answer named", async () => {
    const log: Sent[] = [];
    const send = digestFetch(new DigestAuth("user", "passwd"), log);
    const nonces: string[] = [];
    for (let index = 0; index < 3; index++) {
      const response = await send(`${server.url}/digest-auth/auth/user/passwd`);
      await expectOk(response);
      const info = response.headers.get("authentication-info") ?? "";
      nonces.push(/nextnonce="([^"]*)"/.exec(info)?.[1] ?? "");
    }
    expect(log[2]?.authorization?.nonce).toBe(nonces[0]);
    expect(log[2]?.authorization?.nc).toBe("00000001");
    expect(log[3]?.authorization?.nonce).toBe(nonces[1]);
  });

  it("checks rspauth with verifyServer, for auth and auth-int", async () => {
    const options: DigestAuthOptions = { verifyServer: true };
    for (const qop of ["auth", "auth-int"]) {
      const send = digestFetch(new DigestAuth("user", "passwd", options));
      const url = `${server.url}/digest-auth/${qop}/user/passwd/SHA-256`;
      await expectOk(await send(url));
      await expectOk(await send(url, { method: "POST", body: "abc" }));
    }
  });

  it("throws AuthChallengeError when rspauth does not match", async () => {
    const send = digestFetch(new DigestAuth("user", "passwd", { verifyServer: true }));
    await expect(send(`${server.url}/digest-auth/auth/user/passwd?rspauth=wrong`)).rejects.toBeInstanceOf(
      AuthChallengeError,
    );
  });

  it("refuses an algorithm left out of `algorithms`, naming what was offered", async () => {
    const send = digestFetch(new DigestAuth("user", "passwd", { algorithms: ["SHA-256"] }));
    const error = await send(`${server.url}/digest-auth/auth/user/passwd/MD5`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthChallengeError);
    expect((error as AuthChallengeError).offered).toEqual(["MD5"]);
  });

  it("reads `algorithms` in any case, as servers spell them", async () => {
    const send = digestFetch(new DigestAuth("user", "passwd", { algorithms: ["sha-256" as never] }));
    await expectOk(await send(`${server.url}/digest-auth/auth/user/passwd/SHA-256`));
  });

  it("checks its arguments and options with coded errors", () => {
    const attempts: Array<[() => unknown, string, string]> = [
      [() => new DigestAuth(1 as never, "p"), "DigestAuth.username", "ERR_INVALID_ARG_TYPE"],
      [() => new DigestAuth("u", undefined as never), "DigestAuth.password", "ERR_INVALID_ARG_TYPE"],
      [() => new DigestAuth("u", "p", null as never), "DigestAuth options", "ERR_INVALID_ARG_TYPE"],
      [
        () => new DigestAuth("u", "p", { verifyServer: "yes" as never }),
        "DigestAuth.verifyServer",
        "ERR_INVALID_ARG_TYPE",
      ],
      [() => new DigestAuth("u", "p", { maxBodyBytes: -1 }), "DigestAuth.maxBodyBytes", "ERR_INVALID_ARG_VALUE"],
      [
        () => new DigestAuth("u", "p", { maxBodyBytes: Number.NaN }),
        "DigestAuth.maxBodyBytes",
        "ERR_INVALID_ARG_VALUE",
      ],
      [() => new DigestAuth("u", "p", { algorithms: [] }), "DigestAuth.algorithms", "ERR_INVALID_ARG_VALUE"],
      [
        () => new DigestAuth("u", "p", { algorithms: ["MD4" as never] }),
        "DigestAuth.algorithms",
        "ERR_INVALID_ARG_VALUE",
      ],
      [() => new DigestAuth("u", "p", { algorithms: "MD5" as never }), "DigestAuth.algorithms", "ERR_INVALID_ARG_TYPE"],
    ];
    for (const [attempt, option, code] of attempts) {
      expect(attempt).toThrow(InvalidArgumentError);
      expect(attempt).toThrow(expect.objectContaining({ option, code }));
    }
  });

  it("offers the synchronous fast path once a challenge is cached", async () => {
    const auth = new DigestAuth("user", "passwd");
    const url = new URL(`${server.url}/digest-auth/auth/user/passwd?fast=1`);
    expect(auth[authorizationFor]("GET", url)).toBeUndefined();
    await expectOk(await digestFetch(auth)(url));
    const first = auth[authorizationFor]("GET", url);
    const second = auth[authorizationFor]("GET", url);
    expect(parseChallenges(second ?? "")[0]?.params.nc).not.toBe(parseChallenges(first ?? "")[0]?.params.nc);
    for (const header of [second, first]) {
      await expectOk(await fetch(url, { headers: { authorization: header ?? "" } }));
    }
    expect(new DigestAuth("user", "passwd", { verifyServer: true })[authorizationFor]("GET", url)).toBeUndefined();
  });

  it("works through Client with a baseURL", async () => {
    const client = new Client({ baseURL: server.url, auth: new DigestAuth("user", "passwd"), rejectionGuard: false });
    await expectOk(await client.get("/digest-auth/auth/user/passwd/SHA-256"));
    await expectOk(await client.post("/digest-auth/auth-int/user/passwd/SHA-256", { body: "hello" }));
    expect(server.stats().requests).toBe(4); // a new realm-wide challenge for the auth-int route's qop
  });
});

describe("DigestAuth against misbehaving servers", () => {
  let recorder: Recorder;
  let answer: (authorization: string | undefined) => { status: number; headers: Record<string, string | string[]> };

  beforeAll(async () => {
    recorder = await startRecorder((request, response) => {
      const { status, headers } = answer(request.headers.authorization);
      response.writeHead(status, { "content-length": 0, ...headers });
      response.end();
    });
  });

  afterAll(async () => {
    await recorder.close();
  });

  afterEach(() => {
    recorder.requests.length = 0;
  });

  it("stops after one stale retry even when every 401 says stale=true (DIG-06)", async () => {
    answer = () => ({
      status: 401,
      headers: { "www-authenticate": `Digest realm="r", nonce="${Math.random()}", qop=auth, stale=true` },
    });
    const response = await digestFetch(new DigestAuth("user", "passwd"))(`${recorder.url}/x`);
    expect(response.status).toBe(401);
    expect(recorder.requests).toHaveLength(3);
  });

  it.each([
    ['Digest realm="r", nonce="n", algorithm=SHA-3', ["SHA-3"]],
    ['Basic realm="r"', ["Basic"]],
    ['Digest realm="r", nonce="n", qop="auth-conf"', ["MD5"]],
  ])("throws AuthChallengeError for the unsupported challenge %s", async (challenge, offered) => {
    answer = () => ({ status: 401, headers: { "www-authenticate": challenge } });
    const error = await digestFetch(new DigestAuth("user", "passwd"))(`${recorder.url}/x`).catch((caught) => caught);
    expect(error).toBeInstanceOf(AuthChallengeError);
    expect((error as AuthChallengeError).offered).toEqual(offered);
    expect(recorder.requests).toHaveLength(1);
  });

  it("throws AuthChallengeError, caused by ChallengeParseError, for a malformed challenge", async () => {
    answer = () => ({ status: 401, headers: { "www-authenticate": 'Digest realm="unterminated' } });
    const error = await digestFetch(new DigestAuth("user", "passwd"))(`${recorder.url}/x`).catch((caught) => caught);
    expect(error).toBeInstanceOf(AuthChallengeError);
    expect((error as Error).cause).toBeInstanceOf(ChallengeParseError);
  });

  it("never answers a cached challenge towards another origin", async () => {
    const log: Sent[] = [];
    const send = digestFetch(new DigestAuth("user", "passwd"), log);
    await expectOk(await send(`${server.url}/digest-auth/auth/user/passwd`));
    answer = () => ({ status: 200, headers: {} });
    expect((await send(`${recorder.url}/digest-auth/auth/user/passwd`)).status).toBe(200);
    expect(recorder.requests[0]?.headers.authorization).toBeUndefined();
    expect(log.at(-1)?.authorization).toBeNull();
  });
});
