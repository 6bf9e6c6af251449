import { request as undiciRequest } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { RejectionGuard } from "../src/guard/guard.js";
import {
  type Auth,
  AuthRejectedError,
  BasicAuth,
  BearerAuth,
  Client,
  DigestAuth,
  InvalidArgumentError,
  withAuth,
} from "../src/index.js";
import { startTestServer } from "../src/server/index.js";
import { authInterceptor } from "../src/undici/index.js";
import { type Recorder, startRecorder } from "./helpers/recorder.js";
import { useTestServer } from "./helpers/server.js";
import { authAgent } from "./helpers/undici.js";

const server = useTestServer();

const attempts = () => server.stats().routes["basic-auth"] ?? 0;

describe("the bad-credential guard", () => {
  it("stops sending rejected credentials after 3 consecutive failures, without contacting the server", async () => {
    server.reset();
    const client = new Client({ baseURL: server.url, auth: new BasicAuth("user", "wrong-password") });
    for (let index = 0; index < 3; index++) {
      expect((await client.get("/basic-auth/user/right")).status).toBe(401);
    }
    const blocked = client.get("/basic-auth/user/right");
    await expect(blocked).rejects.toBeInstanceOf(AuthRejectedError);
    await expect(blocked).rejects.toThrow(
      /rejected 3 times in a row by http:\/\/127\.0\.0\.1:\d+ \(realm "Fake Realm"\)/,
    );
    await expect(blocked).rejects.not.toThrow("wrong-password");
    for (let index = 0; index < 20; index++) await expect(client.get("/basic-auth/user/right")).rejects.toThrow();
    expect(attempts()).toBe(3);
  });

  it("counts the same tuple passed per request as the same credentials", async () => {
    server.reset();
    const client = new Client({ baseURL: server.url });
    for (let index = 0; index < 6; index++) {
      await client.get("/basic-auth/a/b", { auth: ["a", "not-b"] }).catch(() => undefined);
    }
    expect(attempts()).toBe(3);
  });

  it("lets one probe through after the cool-down; a success clears the count", async () => {
    server.reset();
    let password = "wrong";
    const auth = (request: Request) => {
      request.headers.set("authorization", `Basic ${btoa(`u:${password}`)}`);
    };
    const authedFetch = withAuth(fetch, auth, { rejectionGuard: { maxFailures: 2, cooldownMs: 50 } });
    await authedFetch(`${server.url}/basic-auth/u/right`);
    await authedFetch(`${server.url}/basic-auth/u/right`);
    await expect(authedFetch(`${server.url}/basic-auth/u/right`)).rejects.toBeInstanceOf(AuthRejectedError);
    await new Promise((resolve) => setTimeout(resolve, 80));
    password = "right";
    expect((await authedFetch(`${server.url}/basic-auth/u/right`)).status).toBe(200);
    password = "wrong";
    expect((await authedFetch(`${server.url}/basic-auth/u/right`)).status).toBe(401);
    expect(attempts()).toBe(4);
  });

  it("can be turned off", async () => {
    server.reset();
    const client = new Client({ baseURL: server.url, auth: ["x", "y"], rejectionGuard: false });
    for (let index = 0; index < 5; index++) expect((await client.get("/basic-auth/x/z")).status).toBe(401);
    expect(attempts()).toBe(5);
  });

  it("keeps each credential's count apart when requests alternate between credentials and origins", async () => {
    // One guard, remembering the last (auth, origin) it saw: alternation must never mix two counts.
    const other = await startTestServer();
    try {
      server.reset();
      const good = new BasicAuth("g", "ok");
      const bad = new BasicAuth("g", "bad");
      const client = new Client({ auth: good });
      for (let round = 0; round < 3; round++) {
        expect((await client.get(`${server.url}/basic-auth/g/ok`)).status).toBe(200);
        expect((await client.get(`${server.url}/basic-auth/g/ok`, { auth: bad })).status).toBe(401);
        expect((await client.get(`${other.url}/basic-auth/g/ok`, { auth: bad })).status).toBe(401);
      }
      await expect(client.get(`${server.url}/basic-auth/g/ok`, { auth: bad })).rejects.toBeInstanceOf(
        AuthRejectedError,
      );
      await expect(client.get(`${other.url}/basic-auth/g/ok`, { auth: bad })).rejects.toBeInstanceOf(AuthRejectedError);
      expect((await client.get(`${server.url}/basic-auth/g/ok`)).status).toBe(200);
      expect((await client.get(`${other.url}/basic-auth/g/ok`)).status).toBe(200);
      expect(attempts()).toBe(7);
    } finally {
      await other.close();
    }
  });

  it("keeps separate counts per origin", async () => {
    const other = await startTestServer();
    try {
      const auth = new BasicAuth("p", "q");
      const client = new Client({ auth });
      for (let index = 0; index < 3; index++) await client.get(`${server.url}/basic-auth/p/nope`);
      await expect(client.get(`${server.url}/basic-auth/p/q`)).rejects.toBeInstanceOf(AuthRejectedError);
      expect((await client.get(`${other.url}/basic-auth/p/q`)).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});

// Issue 12.3: the guard's count belongs to the credentials (a keyed digest of them), not to the Auth
// object, so credentials made afresh per request, passed inline, or used from several clients share it.
describe("the guard follows the credentials, not the Auth object", () => {
  const recorders: Recorder[] = [];
  afterEach(async () => {
    await Promise.all(recorders.splice(0).map((recorder) => recorder.close()));
  });

  /** A server that refuses every credential, with a Basic, Digest or Bearer challenge as asked. */
  async function refusing(challenge = 'Basic realm="r"'): Promise<Recorder> {
    const recorder = await startRecorder((_request, response) => {
      response.writeHead(401, { "www-authenticate": challenge });
      response.end("no");
    });
    recorders.push(recorder);
    return recorder;
  }

  const credentialed = (recorder: Recorder) =>
    recorder.requests.filter((request) => request.headers.authorization !== undefined).length;

  /** Ten calls, each with `make()` afresh: what each call ended in. */
  async function tenCalls(url: string, make: () => Parameters<Client["get"]>[1]): Promise<Array<number | string>> {
    const client = new Client();
    const outcomes: Array<number | string> = [];
    for (let call = 0; call < 10; call++) {
      outcomes.push(
        await client.get(url, make()).then(
          (response) => response.status,
          (error: Error) => error.name,
        ),
      );
    }
    return outcomes;
  }

  const expected = [401, 401, 401, ...Array(7).fill("AuthRejectedError")];
  const digestChallenge = 'Digest realm="r", nonce="abc", qop="auth", algorithm=SHA-256';
  const cases: Array<[string, string, () => Auth | ((request: Request) => void)]> = [
    ["new BasicAuth per request", 'Basic realm="r"', () => new BasicAuth("u", "wrong-1")],
    ["new DigestAuth per request", digestChallenge, () => new DigestAuth("u", "wrong-2")],
    ["new BearerAuth per request", 'Bearer error="invalid_token"', () => new BearerAuth("wrong-3")],
    ["new BearerAuth(provider) per request", 'Bearer error="invalid_token"', () => new BearerAuth(() => "wrong-4")],
    [
      "an inline function per request",
      'Basic realm="r"',
      () => (request: Request) => request.headers.set("authorization", `Basic ${btoa("u:wrong-5")}`),
    ],
    [
      "an inline API-key function per request",
      "ApiKey",
      () => (request: Request) => request.headers.set("x-api-key", "k-6"),
    ],
  ];
  for (const [name, challenge, make] of cases) {
    it(`${name}: 10 calls with a wrong credential → 3 reach the server`, async () => {
      const server = await refusing(challenge);
      const outcomes = await tenCalls(`${server.url}/x`, () => ({ auth: make() }));
      expect(outcomes).toEqual(expected);
      const sent = name.includes("API-key")
        ? server.requests.filter((request) => request.headers["x-api-key"] !== undefined).length
        : credentialed(server);
      expect(sent).toBe(3);
    });
  }

  it("shares one count across clients, withAuth and the undici interceptor", async () => {
    const server = await refusing();
    const url = `${server.url}/x`;
    expect((await new Client({ auth: new BasicAuth("u", "wrong-7") }).get(url)).status).toBe(401);
    expect((await withAuth(fetch, ["u", "wrong-7"])(url)).status).toBe(401);
    const fromFunction = (request: Request) => request.headers.set("Authorization", `Basic ${btoa("u:wrong-7")}`);
    expect((await new Client({ auth: fromFunction }).get(url)).status).toBe(401);
    await expect(new Client().get(url, { auth: ["u", "wrong-7"] })).rejects.toBeInstanceOf(AuthRejectedError);
    const dispatcher = authAgent(authInterceptor(new BasicAuth("u", "wrong-7")));
    await expect(undiciRequest(url, { dispatcher })).rejects.toBeInstanceOf(AuthRejectedError);
    expect(server.requests).toHaveLength(3);
  });

  it("keeps other credentials, other origins and a client without the guard apart", async () => {
    const server = await refusing();
    const other = await refusing();
    for (let call = 0; call < 3; call++) await new Client().get(`${server.url}/x`, { auth: ["u", "wrong-8"] });
    await expect(new Client().get(`${server.url}/x`, { auth: ["u", "wrong-8"] })).rejects.toBeInstanceOf(
      AuthRejectedError,
    );
    expect((await new Client().get(`${server.url}/x`, { auth: ["u", "wrong-9"] })).status).toBe(401);
    expect((await new Client().get(`${other.url}/x`, { auth: ["u", "wrong-8"] })).status).toBe(401);
    const unguarded = new Client({ rejectionGuard: false });
    expect((await unguarded.get(`${server.url}/x`, { auth: ["u", "wrong-8"] })).status).toBe(401);
    const inline = (request: Request) => request.headers.set("authorization", `Basic ${btoa("u:wrong-8")}`);
    expect((await unguarded.get(`${server.url}/x`, { auth: inline })).status).toBe(401);
    expect(credentialed(server)).toBe(6);
  });

  it("serialises concurrent first attempts of functions made per request", async () => {
    const server = await refusing();
    const client = new Client();
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () =>
        client.get(`${server.url}/x`, {
          auth: (request: Request) => request.headers.set("authorization", `Basic ${btoa("u:wrong-10")}`),
        }),
      ),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(3);
    expect(credentialed(server)).toBe(3);
  });
});

describe("guard options are checked", () => {
  it.each([
    ["maxFailures: 0", { maxFailures: 0 }, "rejectionGuard.maxFailures", "ERR_INVALID_ARG_VALUE"],
    ["maxFailures: 1.5", { maxFailures: 1.5 }, "rejectionGuard.maxFailures", "ERR_INVALID_ARG_VALUE"],
    ["maxFailures: NaN", { maxFailures: Number.NaN }, "rejectionGuard.maxFailures", "ERR_INVALID_ARG_VALUE"],
    ['maxFailures: "3"', { maxFailures: "3" }, "rejectionGuard.maxFailures", "ERR_INVALID_ARG_TYPE"],
    ["cooldownMs: -1", { cooldownMs: -1 }, "rejectionGuard.cooldownMs", "ERR_INVALID_ARG_VALUE"],
    [
      "cooldownMs: Infinity",
      { cooldownMs: Number.POSITIVE_INFINITY },
      "rejectionGuard.cooldownMs",
      "ERR_INVALID_ARG_VALUE",
    ],
    ["cooldownMs: NaN", { cooldownMs: Number.NaN }, "rejectionGuard.cooldownMs", "ERR_INVALID_ARG_VALUE"],
    ['"often"', "often", "rejectionGuard", "ERR_INVALID_ARG_TYPE"],
  ])("refuses %s with InvalidArgumentError naming the option", (_label, options, option, code) => {
    const error = (() => {
      try {
        new RejectionGuard(options as never);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ code, option });
  });

  it("accepts the edges: one failure, no cool-down", () => {
    expect(() => new RejectionGuard({ maxFailures: 1, cooldownMs: 0 })).not.toThrow();
  });
});
