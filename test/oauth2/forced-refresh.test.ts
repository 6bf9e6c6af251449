// Issue 18.6: after getToken({ forceRefresh: true }) returns a new token, the next request sends it — on
// every front door, for the instance that refreshed and for any other sharing its store in this process.
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Client, type ClientCredentialsAuth, withAuth } from "../../src/index.js";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { MemoryTokenStore } from "../../src/stores/memory.js";
import { authInterceptor } from "../../src/undici/index.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";
import { authAgent } from "../helpers/undici.js";
import { basicClient } from "./helpers.js";

let server: TestServer;
let resource: Recorder;
beforeAll(async () => {
  [server, resource] = await Promise.all([startTestServer(), startRecorder()]);
});
afterAll(async () => {
  await Promise.all([server.close(), resource.close()]);
});
afterEach(() => {
  server.reset();
  resource.requests.length = 0;
});

type Door = (auth: ClientCredentialsAuth) => () => Promise<void>;
/** Each front door, as a function that sends one request to the recorder. */
const doors: [string, Door][] = [
  [
    "withAuth",
    (auth) => {
      const api = withAuth(fetch, auth);
      return async () => void (await (await api(`${resource.url}/r`)).arrayBuffer());
    },
  ],
  [
    "Client",
    (auth) => {
      const client = new Client({ auth });
      return async () => void (await (await client.get(`${resource.url}/r`)).arrayBuffer());
    },
  ],
  [
    "undici interceptor",
    (auth) => {
      const dispatcher = authAgent(authInterceptor(auth));
      return async () => void (await (await request(`${resource.url}/r`, { dispatcher })).body.arrayBuffer());
    },
  ],
];

const lastSent = () => resource.requests.at(-1)?.headers.authorization;

describe("a forced refresh is what the next request sends (18.6)", () => {
  it.each(doors)("%s: the same instance", async (_name, door) => {
    const auth = basicClient(server);
    const send = door(auth);
    await send();
    await send(); // the fast path is warm now
    const first = await auth.getToken();
    expect(lastSent()).toBe(`Bearer ${first.accessToken}`);
    const rotated = await auth.getToken({ forceRefresh: true });
    expect(rotated.accessToken).not.toBe(first.accessToken);
    await send();
    expect(lastSent()).toBe(`Bearer ${rotated.accessToken}`);
    await send();
    expect(lastSent()).toBe(`Bearer ${rotated.accessToken}`);
  });

  it.each(doors)("%s: another instance with the same configuration and store", async (_name, door) => {
    const store = new MemoryTokenStore();
    const [sender, rotator] = [basicClient(server, { store }), basicClient(server, { store })];
    const send = door(sender);
    await send();
    await send();
    const rotated = await rotator.getToken({ forceRefresh: true });
    await send();
    expect(lastSent()).toBe(`Bearer ${rotated.accessToken}`);
    expect(server.stats().tokenRequests).toBe(2);
  });

  it("a token replaced through the 401 invalid_token path is what the fast path sends next", async () => {
    const auth = basicClient(server);
    const api = withAuth(fetch, auth);
    await (await api(`${server.url}/oauth/protected`)).arrayBuffer();
    server.reset(); // the server forgets its tokens: the next request gets 401 invalid_token
    const response = await api(`${server.url}/oauth/protected`);
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    const current = await auth.getToken();
    const send = doors[0]?.[1](auth) as () => Promise<void>;
    await send();
    expect(lastSent()).toBe(`Bearer ${current.accessToken}`);
  });
});
