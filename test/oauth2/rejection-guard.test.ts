// Issue 12.2: a rejected client secret is not presented again once a second forever — the token endpoint's
// rejections (invalid_client, unauthorized_client, 401) go through a guard like a rejected password.
import { afterEach, describe, expect, it } from "vitest";
import { AuthRejectedError, Client, ClientCredentialsAuth, OAuthError, withAuth } from "../../src/index.js";
import type { ClientCredentialsOptions } from "../../src/oauth2/options.js";
import { authInterceptor } from "../../src/undici/index.js";
import { startRecorder } from "../helpers/recorder.js";
import { useTestServer } from "../helpers/server.js";
import { authAgent } from "../helpers/undici.js";
import { basicClient, fakeClock } from "./helpers.js";

const server = useTestServer();
afterEach(() => server.reset());

const tokenRequests = () => server.stats().tokenRequests;
/** Every test its own wrong secret: the guard's state is per credential, for the whole process. */
let secretCount = 0;
const wrongSecret = () => `wrong-secret-${++secretCount}`;

/** Calls getToken once every `stepMs` of fake time for `durationMs`; returns the errors' names, in order. */
async function continuousTraffic(
  options: Partial<ClientCredentialsOptions>,
  clock: ReturnType<typeof fakeClock>,
  durationMs: number,
  stepMs: number,
): Promise<string[]> {
  const auth = basicClient(server, { now: clock.now, ...options });
  const names: string[] = [];
  for (let elapsed = 0; elapsed < durationMs; elapsed += stepMs) {
    const error = await auth.getToken().catch((caught: unknown) => caught as Error);
    names.push((error as Error).name);
    clock.advance(stepMs);
  }
  return names;
}

describe("the token endpoint's bad-credential guard (12.2)", () => {
  it("a wrong secret under continuous traffic: at most 3 token requests in the first minute, 10 in an hour", async () => {
    const clock = fakeClock();
    const secret = wrongSecret();
    const minute = await continuousTraffic({ clientSecret: secret }, clock, 60_000, 100);
    expect(tokenRequests()).toBeLessThanOrEqual(3);
    expect(minute.slice(0, 3)).not.toContain("AuthRejectedError");
    expect(minute.at(-1)).toBe("AuthRejectedError");
    await continuousTraffic({ clientSecret: secret }, clock, 3_540_000, 1_000);
    expect(tokenRequests()).toBeGreaterThan(3); // it does try again, later and later
    expect(tokenRequests()).toBeLessThanOrEqual(10);
  });

  it("fails fast with AuthRejectedError (code, retryAfterMs, no secret) through every front door", async () => {
    const clock = fakeClock();
    const secret = wrongSecret();
    const auth = basicClient(server, { clientSecret: secret, now: clock.now });
    for (let attempt = 0; attempt < 3; attempt++) {
      await expect(auth.getToken()).rejects.toBeInstanceOf(OAuthError);
      clock.advance(1_000);
    }
    const doors = [
      () => auth.getToken(),
      () => withAuth(fetch, auth)(`${server.url}/oauth/protected`),
      () => new Client({ auth }).get(`${server.url}/oauth/protected`),
    ];
    for (const door of doors) {
      const error = await door().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AuthRejectedError);
      expect(error).toMatchObject({ code: "ERR_AUTH_REJECTED" });
      expect((error as AuthRejectedError).retryAfterMs).toBeGreaterThan(0);
      expect((error as Error).message).toMatch(/reset\(\)/);
      expect((error as Error).message).not.toContain(secret);
    }
    const dispatcher = authAgent(authInterceptor(auth));
    const { request } = await import("undici");
    await expect(request(`${server.url}/oauth/protected`, { dispatcher })).rejects.toBeInstanceOf(AuthRejectedError);
    expect(tokenRequests()).toBe(3);
    expect(server.stats().routes["oauth-protected"]).toBeUndefined();
  });

  it("a burst over many scope sets with a wrong secret costs one token request, not one per scope set", async () => {
    const clock = fakeClock();
    const secret = wrongSecret();
    const instances = ["a", "b", "c", "d", "e", "f"].map((scope) =>
      basicClient(server, { clientSecret: secret, scope, now: clock.now }),
    );
    const results = await Promise.allSettled(instances.flatMap((auth) => [auth.getToken(), auth.getToken()]));
    expect(results.every((result) => result.status === "rejected")).toBe(true);
    expect(tokenRequests()).toBe(1);
  });

  it("a new instance with the same wrong secret is still held back; other credentials and reset() start afresh", async () => {
    const clock = fakeClock();
    const secret = wrongSecret();
    await continuousTraffic({ clientSecret: secret }, clock, 5_000, 500);
    expect(tokenRequests()).toBe(3);
    const again = basicClient(server, { clientSecret: secret, now: clock.now });
    await expect(again.getToken()).rejects.toBeInstanceOf(AuthRejectedError);
    expect(tokenRequests()).toBe(3);
    // A changed configuration: the right secret is asked for at once.
    expect((await basicClient(server, { now: clock.now }).getToken()).tokenType).toBe("Bearer");
    expect(tokenRequests()).toBe(4);
    // An explicit reset: the same wrong secret is presented once more, then held back again.
    await again.reset();
    await expect(again.getToken()).rejects.toBeInstanceOf(OAuthError);
    expect(tokenRequests()).toBe(5);
  });

  it("forceRefresh does not get around the guard", async () => {
    const clock = fakeClock();
    const secret = wrongSecret();
    const auth = basicClient(server, { clientSecret: secret, now: clock.now });
    for (let attempt = 0; attempt < 50; attempt++) {
      await auth.getToken({ forceRefresh: true }).catch(() => {});
      clock.advance(100);
    }
    expect(tokenRequests()).toBe(3);
  });

  it.each([
    ["unauthorized_client (400)", 400, "application/json", '{"error":"unauthorized_client"}'],
    ["a bare 401 with HTML", 401, "text/html", "<h1>Unauthorized</h1>"],
    ["invalid_client (401)", 401, "application/json", '{"error":"invalid_client"}'],
  ])("%s counts as a rejection of the client's credentials", async (_name, status, type, body) => {
    const endpoint = await startRecorder((_request, response) => {
      response.writeHead(status, { "content-type": type });
      response.end(body);
    });
    try {
      const clock = fakeClock();
      const auth = new ClientCredentialsAuth({
        tokenUrl: `${endpoint.url}/token`,
        clientId: "c",
        clientSecret: wrongSecret(),
        now: clock.now,
      });
      for (let step = 0; step < 600; step++) {
        await auth.getToken().catch(() => {});
        clock.advance(100);
      }
      expect(endpoint.requests.length).toBe(3);
    } finally {
      await endpoint.close();
    }
  });

  it("another RFC 6749 §5.2 error (invalid_scope) is retried after growing pauses, not once a second", async () => {
    const endpoint = await startRecorder((_request, response) => {
      response.writeHead(400, { "content-type": "application/json" });
      response.end('{"error":"invalid_scope"}');
    });
    try {
      const clock = fakeClock();
      const auth = new ClientCredentialsAuth({
        tokenUrl: `${endpoint.url}/token`,
        clientId: "c",
        clientSecret: "s",
        now: clock.now,
      });
      for (let step = 0; step < 600; step++) {
        await expect(auth.getToken()).rejects.toMatchObject({ error: "invalid_scope" });
        clock.advance(1_000);
      }
      // 1, 2, 4, … 60 s pauses over ten minutes: 6 + 9, far from 600.
      expect(endpoint.requests.length).toBeLessThanOrEqual(16);
    } finally {
      await endpoint.close();
    }
  });
});
