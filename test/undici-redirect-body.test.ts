/**
 * Issue 12, finding 7: undici's redirect handler re-sends a request's body on
 * 307/308, and strips only the headers it knows. A credentialed request's body
 * (it may be the secret: a password change, a token exchange) must not follow
 * to an origin its credentials may not go to, nor to a Location that carries
 * `user:pass@`, nor from https to http — the rule Client and withAuth apply
 * (`redirectVerdict` in src/policy/rules.ts). Every Auth kind, cold (the flow runs)
 * and warm (the fast path), over real sockets.
 */
import { interceptors, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthLike, BasicAuth, UnsafeRedirectError } from "../src/index.js";
import { startTestServer, type TestServer } from "../src/server/index.js";
import { authInterceptor } from "../src/undici/index.js";
import { canaries } from "./helpers/canary.js";
import { type Handler, type Recorder, startRecorder } from "./helpers/recorder.js";
import { selfSignedCertificate } from "./helpers/tls.js";
import { agentWith, authKinds, challenging } from "./helpers/undici.js";

const BODY = `password=${canaries("undici-redirect-body").get("body")}`;

let tokenServer: TestServer;
let tls: { key: string; cert: string };
/** Where a refused redirect points: it must never see a request. */
let elsewhere: Recorder;
let plainOrigin: Recorder;
let secureOrigin: Recorder;
/** Set per test: where `/start` redirects, and with which status. */
let next = { status: 307, location: "/landing" };

/** `/warm` answers 200 (so the next request takes the fast path); `/start` the redirect under test. */
const redirecting: Handler = challenging((request, response) => {
  if (request.url === "/start") response.writeHead(next.status, { location: next.location, "content-length": 0 });
  response.end("landed");
});

beforeAll(async () => {
  tls = selfSignedCertificate();
  tokenServer = await startTestServer();
  elsewhere = await startRecorder();
  plainOrigin = await startRecorder(redirecting);
  secureOrigin = await startRecorder(redirecting, { tls });
});
afterAll(async () => {
  await Promise.all([tokenServer.close(), elsewhere.close(), plainOrigin.close(), secureOrigin.close()]);
});

function redirectingAgent(auth: AuthLike, origins?: string[]) {
  return agentWith(
    { connect: { ca: tls.cert } },
    authInterceptor(auth, origins === undefined ? {} : { origins }),
    interceptors.redirect({ maxRedirections: 5 }),
  );
}

/** POSTs the secret body to `origin/start` (after a warm-up GET when `warm`); resolves to what happened. */
async function post(origin: Recorder, auth: AuthLike, warm: boolean, origins?: string[]): Promise<unknown> {
  const dispatcher = redirectingAgent(auth, origins);
  if (warm) await (await request(`${origin.url}/warm`, { dispatcher })).body.dump();
  try {
    const { statusCode, body } = await request(`${origin.url}/start`, { dispatcher, method: "POST", body: BODY });
    await body.dump();
    return statusCode;
  } catch (error) {
    return error;
  }
}

/** The requests `recorder` got at `/landing` after the first `since`. */
function landed(recorder: Recorder, since: number): unknown[] {
  return recorder.requests.slice(since).filter((seen) => seen.path === "/landing");
}

const TARGETS = [
  ["to another origin", () => plainOrigin, () => `${elsewhere.url}/landing`, () => elsewhere],
  [
    "to a Location with user:pass@",
    () => plainOrigin,
    () => `${plainOrigin.url.replace("://", "://user:pw@")}/landing`,
    () => plainOrigin,
  ],
  ["from https to http", () => secureOrigin, () => `${elsewhere.url}/landing`, () => elsewhere],
] as const;

const KINDS = authKinds("http://127.0.0.1:0/unused").map(([name]) => name);
/** A fresh Auth of the kind called `kind`. */
const authOf = (kind: string) =>
  (authKinds(`${tokenServer.url}/oauth/token`).find(([name]) => name === kind) as [string, () => AuthLike])[1]();

describe.each(KINDS)("%s", (kind) => {
  const make = () => authOf(kind);
  for (const status of [307, 308]) {
    for (const [what, origin, location, target] of TARGETS) {
      for (const warm of [false, true]) {
        it(`refuses a ${status} ${what} with UnsafeRedirectError (${warm ? "warm: fast path" : "cold: the flow"})`, async () => {
          next = { status, location: location() };
          const seenBefore = target().requests.length;
          const outcome = await post(origin(), make(), warm);
          expect(outcome).toBeInstanceOf(UnsafeRedirectError);
          expect((outcome as UnsafeRedirectError).code).toBe("ERR_UNSAFE_REDIRECT");
          expect(landed(target(), seenBefore)).toEqual([]);
        });
      }
    }
  }
});

describe.each(KINDS)("%s, interceptors.redirect composed before authInterceptor", (kind) => {
  it("refuses the 307 (authflow cannot judge a hop it does not see), and nothing reaches the other origin", async () => {
    const dispatcher = agentWith({}, interceptors.redirect({ maxRedirections: 5 }), authInterceptor(authOf(kind)));
    next = { status: 307, location: `${elsewhere.url}/landing` };
    const seenBefore = elsewhere.requests.length;
    const pending = request(`${plainOrigin.url}/start`, { dispatcher, method: "POST", body: BODY });
    await expect(pending).rejects.toBeInstanceOf(UnsafeRedirectError);
    expect(elsewhere.requests.length).toBe(seenBefore);
  });
});

describe("what the rule still lets through", () => {
  it("re-sends the body, with credentials, on a same-origin 307", async () => {
    next = { status: 307, location: "/landing" };
    expect(await post(plainOrigin, new BasicAuth("user", "pass"), false)).toBe(200);
    const landing = plainOrigin.requests.filter((seen) => seen.path === "/landing").at(-1);
    expect(landing?.body).toBe(BODY);
    expect(landing?.headers.authorization).toBeDefined();
  });

  it("re-sends the body to an origin listed in `origins`", async () => {
    next = { status: 308, location: `${elsewhere.url}/landing` };
    expect(await post(plainOrigin, new BasicAuth("user", "pass"), false, [plainOrigin.url, elsewhere.url])).toBe(200);
    expect(elsewhere.requests.at(-1)?.body).toBe(BODY);
  });

  it("follows a 303 to another origin as a GET, without the body or credentials", async () => {
    next = { status: 303, location: `${elsewhere.url}/landing` };
    expect(await post(plainOrigin, new BasicAuth("user", "pass"), false)).toBe(200);
    const landing = elsewhere.requests.at(-1);
    expect([landing?.method, landing?.bodyLength, landing?.headers.authorization]).toEqual(["GET", 0, undefined]);
  });

  it("hands a 307 to the caller when no redirect interceptor follows it", async () => {
    next = { status: 307, location: `${elsewhere.url}/landing` };
    const dispatcher = agentWith({}, authInterceptor(new BasicAuth("user", "pass")));
    const { statusCode, body } = await request(`${plainOrigin.url}/start`, { dispatcher, method: "POST", body: BODY });
    await body.dump();
    expect(statusCode).toBe(307);
  });
});

describe("a hop already stripped of credentials", () => {
  it("still refuses a Location with user:pass@ further down the chain", async () => {
    const third = await startRecorder();
    const middle = await startRecorder((_request, response) => {
      response.writeHead(307, { location: `${third.url.replace("://", "://user:pw@")}/landing`, "content-length": 0 });
      response.end();
    });
    try {
      next = { status: 302, location: `${middle.url}/bounce` };
      const outcome = await post(plainOrigin, new BasicAuth("user", "pass"), false);
      expect(outcome).toBeInstanceOf(UnsafeRedirectError);
      expect(middle.requests.map((seen) => seen.headers.authorization)).toEqual([undefined]);
      expect(third.requests).toEqual([]);
    } finally {
      await Promise.all([third.close(), middle.close()]);
    }
  });
});
