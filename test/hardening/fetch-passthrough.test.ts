/**
 * Issue 18, finding 5: `withAuth(fetch)` hands the wrapped fetch every
 * RequestInit field it does not set itself — `dispatcher` above all (an
 * SSRF-filtering or pinning Agent must not be bypassed), `integrity` (a body
 * failing its check rejects), `keepalive`, `priority`, `cache`, `mode`,
 * `credentials`, fields authflow has never heard of — on the direct path,
 * through an auth flow's every step, and on every redirect hop; and the
 * fields of a `Request` input too.
 */
import { createHash } from "node:crypto";
import { Agent, buildConnector } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Auth, type AuthFlow, DigestAuth, withAuth } from "../../src/index.js";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";

const BODY = "hello, integrity";
const GOOD = `sha256-${createHash("sha256").update(BODY).digest("base64")}`;
const BAD = `sha256-${createHash("sha256").update("something else").digest("base64")}`;

let recorder: Recorder;
let server: TestServer;

beforeAll(async () => {
  recorder = await startRecorder((request, response) => {
    if (request.url === "/hop") {
      response.writeHead(307, { location: "/body" });
      response.end();
      return;
    }
    response.writeHead(200, { "content-type": "text/plain" });
    response.end(BODY);
  });
  server = await startTestServer();
  const closed = await startRecorder();
  DEAD = closed.url;
  await closed.close();
});
afterAll(async () => {
  await recorder.close();
  await server.close();
});

/** A single-step custom flow: the full flow driver, not the direct path. */
class HeaderAuth implements Auth {
  *authFlow(request: Request): AuthFlow {
    request.headers.set("authorization", "Custom token");
    yield request;
  }
}

/**
 * An Agent that connects every request to `port`, whatever the URL says:
 * a request that succeeds against a URL with a dead port went through it.
 */
function pinnedAgent(port: number): { agent: Agent; connects: () => number } {
  const connector = buildConnector({});
  let connects = 0;
  const agent = new Agent({
    connect: (options, callback) => {
      connects += 1;
      connector({ ...options, hostname: "127.0.0.1", port: String(port) }, callback);
    },
  });
  return { agent, connects: () => connects };
}

/** A loopback port nothing listens on (not port 1: fetch blocks it before any dispatcher sees it). */
let DEAD = "";

describe("dispatcher reaches fetch on every request authflow makes", () => {
  for (const [kind, auth] of [
    ["Basic (direct path)", ["user", "pass"]],
    ["a custom flow", new HeaderAuth()],
    ["no auth", null],
  ] as const) {
    it(`${kind}: the caller's Agent carries the request (and a redirect hop)`, async () => {
      const { agent, connects } = pinnedAgent(recorder.port);
      try {
        const authed = withAuth(fetch, auth as never);
        const before = recorder.requests.length;
        const response = await authed(`${DEAD}/hop`, { dispatcher: agent } as RequestInit);
        expect(response.status).toBe(200);
        expect(await response.text()).toBe(BODY);
        expect(recorder.requests.slice(before).map((request) => request.path)).toEqual(["/hop", "/body"]);
        expect(connects()).toBeGreaterThanOrEqual(1);
      } finally {
        await agent.close();
      }
    });
  }

  it("Digest: both legs of the challenge go through the caller's Agent", async () => {
    const port = Number(new URL(server.url).port);
    const { agent } = pinnedAgent(port);
    try {
      const authed = withAuth(fetch, new DigestAuth("user", "pass"));
      const response = await authed(`${DEAD}/digest-auth/auth/user/pass`, { dispatcher: agent } as RequestInit);
      expect(response.status).toBe(200);
    } finally {
      await agent.close();
    }
  });

  it("an SSRF-filtering Agent that refuses to connect is not bypassed: nothing reaches the server", async () => {
    const refusing = new Agent({ connect: (_options, callback) => callback(new Error("blocked by policy"), null) });
    try {
      const before = recorder.requests.length;
      for (const auth of [["user", "pass"] as const, new HeaderAuth()]) {
        await expect(
          withAuth(fetch, auth)(`${recorder.url}/body`, { dispatcher: refusing } as RequestInit),
        ).rejects.toThrow();
      }
      expect(recorder.requests.length).toBe(before);
    } finally {
      await refusing.close();
    }
  });
});

describe("integrity is checked", () => {
  for (const [kind, auth] of [
    ["Basic (direct path)", ["user", "pass"]],
    ["a custom flow", new HeaderAuth()],
    ["no auth", null],
  ] as const) {
    it(`${kind}: a body failing its integrity rejects, a matching one resolves`, async () => {
      const authed = withAuth(fetch, auth as never);
      await expect(authed(`${recorder.url}/body`, { integrity: BAD })).rejects.toThrow();
      const response = await authed(`${recorder.url}/body`, { integrity: GOOD });
      expect(await response.text()).toBe(BODY);
      await expect(authed(new Request(`${recorder.url}/body`, { integrity: BAD }))).rejects.toThrow();
    });
  }
});

describe("every other field reaches the wrapped fetch", () => {
  const FIELDS = {
    keepalive: true,
    priority: "high",
    cache: "no-store",
    mode: "same-origin",
    credentials: "omit",
    referrerPolicy: "no-referrer",
    window: null,
    tracing: { span: "abc" },
  } as const;

  for (const [kind, auth] of [
    ["Basic", ["user", "pass"]],
    ["a custom flow", new HeaderAuth()],
    ["no auth", null],
  ] as const) {
    it(`${kind}: init fields, unknown ones included, on every hop`, async () => {
      const seen: Array<{ request: Request; init: RequestInit | undefined }> = [];
      const recording = (request: Request, init?: RequestInit) => {
        seen.push({ request, init });
        return fetch(request, init);
      };
      const response = await withAuth(recording, auth as never)(`${recorder.url}/hop`, FIELDS as RequestInit);
      expect(response.status).toBe(200);
      expect(seen).toHaveLength(2);
      for (const { request, init } of seen) {
        expect(init).toMatchObject(FIELDS);
        expect(request.cache).toBe("no-store");
        expect(request.mode).toBe("same-origin");
        expect(request.credentials).toBe("omit");
        expect(request.keepalive).toBe(true);
      }
    });
  }

  it("the fields of a Request input reach it too", async () => {
    const seen: Request[] = [];
    const recording = (request: Request, init?: RequestInit) => {
      seen.push(request);
      return fetch(request, init);
    };
    const input = new Request(`${recorder.url}/body`, {
      cache: "reload",
      mode: "no-cors",
      credentials: "omit",
      keepalive: true,
      integrity: GOOD,
      referrerPolicy: "no-referrer",
    });
    const response = await withAuth(recording, new HeaderAuth())(input);
    expect(await response.text()).toBe(BODY);
    expect(seen[0]).toMatchObject({
      cache: "reload",
      mode: "no-cors",
      credentials: "omit",
      keepalive: true,
      integrity: GOOD,
    });
  });
});
