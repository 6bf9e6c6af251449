import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthRejectedError, BasicAuth, Client, withAuth } from "../src/index.js";
import { startTestServer, type TestServer } from "../src/server/index.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

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
