// Issue 18.6 across processes: a token another process put in the shared store (its forced refresh) is what
// this process sends once its fast path looks at the store again — at most STORE_CHECK_MS (1 s) later.
// Two RedisTokenStore objects on one Redis stand for two processes: nothing in memory is shared between them.
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Client, ClientCredentialsAuth, withAuth } from "../../src/index.js";
import { STORE_CHECK_MS } from "../../src/oauth2/token-cache.js";
import type { RedisTokenStore } from "../../src/redis/index.js";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { authInterceptor } from "../../src/undici/index.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";
import { authAgent } from "../helpers/undici.js";
import { fakeClock } from "../oauth2/helpers.js";
import { storeWithWarnings } from "./helpers.js";
import { type RedisServer, redisAvailable, startRedisServer } from "./redis-server.js";

type Door = (auth: ClientCredentialsAuth, url: string) => () => Promise<void>;
const doors: [string, Door][] = [
  ["withAuth", (auth, url) => async () => void (await (await withAuth(fetch, auth)(url)).arrayBuffer())],
  ["Client", (auth, url) => async () => void (await (await new Client({ auth }).get(url)).arrayBuffer())],
  [
    "undici interceptor",
    (auth, url) => {
      const dispatcher = authAgent(authInterceptor(auth));
      return async () => void (await (await request(url, { dispatcher })).body.arrayBuffer());
    },
  ],
];

describe.skipIf(!redisAvailable())("RedisTokenStore: a token replaced by another process (18.6)", () => {
  let redis: RedisServer;
  let server: TestServer;
  let resource: Recorder;
  const stores: RedisTokenStore[] = [];
  const open = () => {
    // A generous connect timeout: on a loaded machine a slow first connect must not read as an outage.
    const { store } = storeWithWarnings(redis.url, { connectTimeoutMs: 10_000 });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    [redis, server, resource] = await Promise.all([startRedisServer(), startTestServer(), startRecorder()]);
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await redis.inspect().flushall();
    server.reset();
    resource.requests.length = 0;
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), server?.close(), resource?.close()]);
  });

  it.each(doors)("%s: the next request after the store check sends the other process's new token", async (_, door) => {
    const clock = fakeClock();
    const config = { tokenUrl: `${server.url}/oauth/token`, clientId: "basic-client", clientSecret: "basic-secret" };
    const here = new ClientCredentialsAuth({ ...config, store: open(), now: clock.now });
    const elsewhere = new ClientCredentialsAuth({ ...config, store: open() });
    const send = door(here, `${resource.url}/r`);
    await send();
    await send();
    const old = resource.requests.at(-1)?.headers.authorization;
    const rotated = await elsewhere.getToken({ forceRefresh: true });
    expect(`Bearer ${rotated.accessToken}`).not.toBe(old);
    clock.advance(STORE_CHECK_MS);
    await send();
    expect(resource.requests.at(-1)?.headers.authorization).toBe(`Bearer ${rotated.accessToken}`);
    await send();
    expect(resource.requests.at(-1)?.headers.authorization).toBe(`Bearer ${rotated.accessToken}`);
    expect(server.stats().tokenRequests).toBe(2);
  });
});
