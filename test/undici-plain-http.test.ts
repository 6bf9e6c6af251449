/**
 * Issue 12, finding 8 (the interceptor's part): every header authflow treats
 * as a credential — Authorization, Proxy-Authorization, Cookie, Cookie2,
 * X-Api-Key, Api-Key, X-Auth-Token and `sensitiveHeaders` — set by hand, in
 * any case and any of undici's header shapes, is refused over plain HTTP to a
 * host that is not loopback, before any connection (InsecureTransportError).
 * The host `api.authflow.test` is routed to a loopback recorder by a DNS
 * lookup override: what would have crossed the network is what it records.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Dispatcher, interceptors, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthLike, InsecureTransportError, NetrcAuth } from "../src/index.js";
import { type AuthInterceptorOptions, authInterceptor } from "../src/undici/index.js";
import { canaries } from "./helpers/canary.js";
import { type Recorder, startRecorder } from "./helpers/recorder.js";
import { agentWith, authKinds } from "./helpers/undici.js";

const HOST = "api.authflow.test";
const SECRET = canaries("undici-plain-http").get("by-hand");
let recorder: Recorder;
let directory: string;
/** A netrc file with nothing for HOST: the auth adds nothing there, so only hand-set headers are at stake. */
let noEntry: string;

beforeAll(async () => {
  recorder = await startRecorder();
  directory = mkdtempSync(join(tmpdir(), "authflow-undici-plain-"));
  noEntry = join(directory, "netrc");
  writeFileSync(noEntry, "machine elsewhere.example login u password elsewhere-secret\n", { mode: 0o600 });
});
afterAll(async () => {
  await recorder.close();
  rmSync(directory, { recursive: true, force: true });
});

const lookup = (_host: string, _options: unknown, callback: (...args: unknown[]) => void) =>
  callback(null, [{ address: "127.0.0.1", family: 4 }]);

/** An agent whose every host name resolves to the loopback recorder. */
function routed(
  auth: AuthLike,
  options: AuthInterceptorOptions = {},
  ...more: Dispatcher.DispatcherComposeInterceptor[]
) {
  return agentWith({ connect: { lookup: lookup as never } }, authInterceptor(auth, options), ...more);
}

async function outcome(dispatcher: Dispatcher, url: string, headers: Dispatcher.DispatchOptions["headers"]) {
  try {
    const { statusCode, body } = await request(url, { dispatcher, headers } as Parameters<typeof request>[1]);
    await body.dump();
    return statusCode;
  } catch (error) {
    return error;
  }
}

const CREDENTIAL_HEADERS = [
  ["Cookie", `session=${SECRET}`],
  ["Cookie2", `session=${SECRET}`],
  ["X-Api-Key", SECRET],
  ["Api-Key", SECRET],
  ["X-Auth-Token", SECRET],
  ["Authorization", `Bearer ${SECRET}`],
  ["Proxy-Authorization", `Basic ${SECRET}`],
  ["X-Session", SECRET],
] as const;

/** The header shapes undici takes: a plain object, a flat array, an array of pairs. */
const SHAPES: ReadonlyArray<readonly [string, (name: string, value: string) => Dispatcher.DispatchOptions["headers"]]> =
  [
    ["an object", (name, value) => ({ accept: "*/*", [name]: value })],
    ["a flat array", (name, value) => ["accept", "*/*", name.toLowerCase(), value]],
    [
      "pairs",
      (name, value) =>
        [
          ["accept", "*/*"],
          [name.toUpperCase(), value],
        ] as unknown as string[],
    ],
  ];

describe("hand-set credential headers over plain HTTP to a host that is not loopback", () => {
  for (const [name, value] of CREDENTIAL_HEADERS) {
    for (const [shape, build] of SHAPES) {
      it(`${name} in ${shape}: InsecureTransportError, no connection`, async () => {
        const before = recorder.requests.length;
        const dispatcher = routed(new NetrcAuth(noEntry), { sensitiveHeaders: ["x-session"] });
        const result = await outcome(dispatcher, `http://${HOST}:${recorder.port}/x`, build(name, value));
        expect(result).toBeInstanceOf(InsecureTransportError);
        expect(String(result)).not.toContain(SECRET);
        expect(recorder.requests.length).toBe(before);
      });
    }
  }

  for (const [kind, make] of authKinds("http://127.0.0.1:1/token")) {
    it(`${kind}: refused with a Cookie set by hand`, async () => {
      const before = recorder.requests.length;
      const result = await outcome(routed(make()), `http://${HOST}:${recorder.port}/x`, { cookie: `s=${SECRET}` });
      expect(result).toBeInstanceOf(InsecureTransportError);
      expect(recorder.requests.length).toBe(before);
    });
  }

  it("on a redirect hop to a plain-http origin listed in `origins` (X-Api-Key, which undici does not strip)", async () => {
    const start = await startRecorder((_request, response) => {
      response.writeHead(302, { location: `http://${HOST}:${recorder.port}/landing`, "content-length": 0 }).end();
    });
    try {
      const before = recorder.requests.length;
      const origins = [start.url, `http://${HOST}:${recorder.port}`];
      const dispatcher = routed(new NetrcAuth(noEntry), { origins }, interceptors.redirect({ maxRedirections: 3 }));
      const result = await outcome(dispatcher, `${start.url}/start`, { "x-api-key": SECRET });
      expect(result).toBeInstanceOf(InsecureTransportError);
      expect(recorder.requests.length).toBe(before);
    } finally {
      await start.close();
    }
  });
});

describe("what still goes out", () => {
  it("no credential header, and nothing from netrc for the host", async () => {
    const dispatcher = routed(new NetrcAuth(noEntry));
    expect(await outcome(dispatcher, `http://${HOST}:${recorder.port}/x`, { accept: "*/*" })).toBe(200);
  });

  it("a credential header with allowInsecureAuth: true", async () => {
    const dispatcher = routed(new NetrcAuth(noEntry), { allowInsecureAuth: true });
    expect(await outcome(dispatcher, `http://${HOST}:${recorder.port}/x`, { cookie: "s=1" })).toBe(200);
  });

  it("a credential header to loopback", async () => {
    expect(await outcome(routed(new NetrcAuth(noEntry)), `${recorder.url}/x`, { cookie: "s=1" })).toBe(200);
  });

  it("requests to origins outside `origins`: passed through untouched, hand-set headers included (the caller's own traffic)", async () => {
    const dispatcher = routed(new NetrcAuth(noEntry), { origins: ["https://api.example.com"] });
    expect(await outcome(dispatcher, `http://${HOST}:${recorder.port}/x`, { cookie: "s=1" })).toBe(200);
    expect(recorder.requests.at(-1)?.headers.cookie).toBe("s=1");
  });
});
