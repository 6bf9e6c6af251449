/**
 * Issue 12, finding 9: a request through the interceptor always settles. A
 * redirect undici's redirect handler refuses (it throws: `javascript:`,
 * `data:`, an unparseable Location, a loop with `throwOnMaxRedirect`) rejects
 * at once on every path, and an abort — before the first byte, while the
 * guard or an async auth step waits, before the headers, in the middle of the
 * body — settles the request. Every Auth kind; real sockets; the only clock
 * is the test's own timeout ("it settles"), no timing assertion.
 */
import type { IncomingHttpHeaders } from "node:http";
import { type Dispatcher, interceptors, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthLike, BearerAuth, ClientCredentialsAuth, UnsafeRedirectError } from "../src/index.js";
import { startTestServer, type TestServer } from "../src/server/index.js";
import { authInterceptor } from "../src/undici/index.js";
import { type Handler, type Recorder, startRecorder } from "./helpers/recorder.js";
import { agentWith, authKinds, challenging } from "./helpers/undici.js";

const DEADLINE = { timeout: 5_000 };

/** Answers by path; `/silent` never answers, `/stall` sends half a body and stops. */
const answers: Handler = challenging((request, response) => {
  const path = request.url ?? "";
  const hop = /^\/hop\/(\d+)$/.exec(path);
  const location =
    path === "/js"
      ? "javascript:alert(1)"
      : path === "/data"
        ? "data:text/plain,hi"
        : path === "/bad"
          ? "http://["
          : undefined;
  if (location !== undefined) response.writeHead(302, { location, "content-length": 0 }).end();
  else if (hop !== null) response.writeHead(302, { location: `/hop/${Number(hop[1]) + 1}`, "content-length": 0 }).end();
  else if (path === "/stall") response.writeHead(200, { "content-length": 1000 }).write("half");
  else if (path !== "/silent") response.end("ok");
});

let tokenServer: TestServer;
let resource: Recorder;
const extra: Recorder[] = [];

beforeAll(async () => {
  tokenServer = await startTestServer();
  resource = await startRecorder(answers);
});
afterAll(async () => {
  await Promise.all([tokenServer.close(), resource.close(), ...extra.map((recorder) => recorder.close())]);
});

const kinds = () => authKinds(`${tokenServer.url}/oauth/token`);
const KIND_NAMES = authKinds("http://127.0.0.1:0/").map(([name]) => name);
const make = (kind: string) => (kinds().find(([name]) => name === kind) as [string, () => AuthLike])[1]();

function following(auth: AuthLike): Dispatcher {
  return agentWith({}, authInterceptor(auth), interceptors.redirect({ maxRedirections: 3 }));
}

/** Resolves once `condition` holds (the test's timeout bounds the wait). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

const reached = (recorder: Recorder, path: string) => () =>
  recorder.requests.some((seen) => seen.path === path && seen.headers.authorization !== undefined);

describe.each(KIND_NAMES)("%s: a redirect undici refuses rejects at once", (kind) => {
  for (const path of ["/js", "/data", "/bad"]) {
    it(`${path}: UnsafeRedirectError`, DEADLINE, async () => {
      const pending = request(`${resource.url}${path}`, { dispatcher: following(make(kind)) });
      await expect(pending).rejects.toBeInstanceOf(UnsafeRedirectError);
    });
  }

  it("a redirect chain past maxRedirections with throwOnMaxRedirect", DEADLINE, async () => {
    const options = { dispatcher: following(make(kind)), throwOnMaxRedirect: true } as Parameters<typeof request>[1];
    await expect(request(`${resource.url}/hop/0`, options)).rejects.toThrow("max redirects");
  });
});

describe.each(KIND_NAMES)("%s: an abort always settles the request", (kind) => {
  it("aborted right after the call, before any byte", DEADLINE, async () => {
    const controller = new AbortController();
    const pending = request(`${resource.url}/ok`, { dispatcher: following(make(kind)), signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toThrow();
  });

  it("aborted while the server has not answered the headers", DEADLINE, async () => {
    const server = await fresh();
    const controller = new AbortController();
    const pending = request(`${server.url}/silent`, { dispatcher: following(make(kind)), signal: controller.signal });
    await until(reached(server, "/silent"));
    controller.abort();
    await expect(pending).rejects.toThrow();
  });

  it("aborted while the body stalls half way", DEADLINE, async () => {
    const controller = new AbortController();
    const { body } = await request(`${resource.url}/stall`, {
      dispatcher: following(make(kind)),
      signal: controller.signal,
    });
    const reading = body.text();
    controller.abort();
    await expect(reading).rejects.toThrow();
  });

  it("aborted while the guard holds it back, and the slot is given back", DEADLINE, async () => {
    // A fresh origin: credentials not yet accepted there go one request at a time.
    const server = await fresh();
    const dispatcher = following(make(kind));
    const first = new AbortController();
    const holding = request(`${server.url}/silent`, { dispatcher, signal: first.signal });
    await until(reached(server, "/silent"));
    const second = new AbortController();
    const waiting = request(`${server.url}/ok`, { dispatcher, signal: second.signal });
    second.abort();
    await expect(waiting).rejects.toThrow();
    first.abort();
    await expect(holding).rejects.toThrow();
    const { statusCode, body } = await request(`${server.url}/ok`, { dispatcher });
    expect([statusCode, await body.text()]).toEqual([200, "ok"]);
    expect(server.requests.filter((seen) => seen.path === "/ok" && seen.headers.authorization)).toHaveLength(1);
  });

  it(
    "a handler that throws in onResponseStart hears onResponseError once (undici's handler API)",
    DEADLINE,
    async () => {
      const outcome = await dispatchWith(following(make(kind)), `${resource.url}/ok`, {
        onResponseStart() {
          throw new Error("handler refused");
        },
      });
      expect(outcome).toEqual({ errors: ["handler refused"], ended: false });
    },
  );

  it("the controller's abort settles a request still waiting for the guard (no signal)", DEADLINE, async () => {
    const server = await fresh();
    const dispatcher = following(make(kind));
    const first = new AbortController();
    const holding = request(`${server.url}/silent`, { dispatcher, signal: first.signal });
    await until(reached(server, "/silent"));
    const outcome = await dispatchWith(dispatcher, `${server.url}/ok`, {
      onRequestStart(controller) {
        controller.abort(new Error("caller gave up"));
      },
    });
    expect(outcome.errors).toEqual(["caller gave up"]);
    first.abort();
    await expect(holding).rejects.toThrow();
  });
});

describe("an abort while an async auth step waits", () => {
  const never = () => new Promise<never>(() => {});
  const hanging: ReadonlyArray<readonly [string, () => Promise<AuthLike>]> = [
    ["a Bearer token provider", async () => new BearerAuth(never)],
    ["an async function", async () => (_request: Request) => never()],
    [
      "a custom Auth",
      async () => ({
        async *authFlow(request: Request) {
          await never();
          yield request;
        },
      }),
    ],
    [
      "ClientCredentials whose token endpoint never answers",
      async () => {
        const silent = await fresh((_request, _response) => {});
        return new ClientCredentialsAuth({ tokenUrl: `${silent.url}/token`, clientId: "c", clientSecret: "s" });
      },
    ],
  ];
  for (const [name, auth] of hanging) {
    it(name, DEADLINE, async () => {
      const controller = new AbortController();
      const pending = request(`${resource.url}/ok`, { dispatcher: following(await auth()), signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 20));
      controller.abort();
      await expect(pending).rejects.toThrow();
    });
  }
});

/** A recorder of its own (fresh guard state: the guard keys by origin), closed after the file. */
async function fresh(handler: Handler = answers): Promise<Recorder> {
  const recorder = await startRecorder(handler);
  extra.push(recorder);
  return recorder;
}

/** Dispatches a GET with a handler of undici's own API built from `methods`; resolves once it settled. */
function dispatchWith(
  dispatcher: Dispatcher,
  url: string,
  methods: Partial<Dispatcher.DispatchHandler>,
): Promise<{ errors: string[]; ended: boolean }> {
  const { origin, pathname } = new URL(url);
  const outcome = { errors: [] as string[], ended: false };
  return new Promise((resolve) => {
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: () => {},
      onResponseStart: () => {},
      onResponseData: () => {},
      ...methods,
      onResponseEnd(_controller: unknown, _trailers: IncomingHttpHeaders) {
        outcome.ended = true;
        setTimeout(() => resolve(outcome), 20);
      },
      onResponseError(_controller: unknown, error: Error) {
        outcome.errors.push(error.message);
        // A little longer, so that a second error would be counted.
        setTimeout(() => resolve(outcome), 20);
      },
    };
    dispatcher.dispatch({ origin, path: pathname, method: "GET" }, handler);
  });
}
