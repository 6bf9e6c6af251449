import { Agent, type Dispatcher, interceptors, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Auth, BasicAuth, DigestAuth, UnsafeRedirectError } from "../src/index.js";
import { startTestServer, type TestServer } from "../src/server/index.js";
import { type AuthInterceptorOptions, authInterceptor } from "../src/undici/index.js";
import { type Handler, type Recorder, startRecorder } from "./helpers/recorder.js";
import { selfSignedCertificate } from "./helpers/tls.js";

const SECRET = `CANARY-${crypto.randomUUID()}`;
const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "cookie", "x-api-key"];
/** What the caller sets by hand besides the scheme's own header. */
const CALLER_HEADERS = { cookie: `session=${SECRET}`, "proxy-authorization": `Basic ${SECRET}` };

/** Basic credentials, plus an API key header from the same custom flow. */
const basicAndApiKey: Auth = {
  *authFlow(request) {
    request.headers.set("authorization", `Basic ${Buffer.from(`user:${SECRET}`).toString("base64")}`);
    request.headers.set("x-api-key", SECRET);
    yield request;
  },
};

const agents: Agent[] = [];
const recorders: Recorder[] = [];
let tls: { key: string; cert: string };

beforeAll(() => {
  tls = selfSignedCertificate();
});
afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.close()));
  await Promise.all(recorders.map((recorder) => recorder.close()));
});

/** The credential headers each request to `recorder` carried, in order. */
function credentialsSeen(recorder: Recorder): string[][] {
  return recorder.requests.map((seen) => CREDENTIAL_HEADERS.filter((name) => seen.headers[name] !== undefined));
}

async function recorder(handler?: Handler, secure = false): Promise<Recorder> {
  const started = await startRecorder(handler, secure ? { tls } : {});
  recorders.push(started);
  return started;
}

/** Answers `/start` with a redirect to `to()`, anything else with "landed". */
function redirecting(to: () => string, status = 302): Handler {
  return (request, response) => {
    if (request.url === "/start") response.writeHead(status, { location: to(), "content-length": 0 }).end();
    else response.end("landed");
  };
}

/** The right order: the redirect interceptor composed last, so it runs outside and every hop passes the auth interceptor. */
function redirectingAgent(auth: Auth, options: AuthInterceptorOptions = {}): Dispatcher {
  const agent = new Agent({ connect: { ca: tls.cert } });
  agents.push(agent);
  return agent.compose(authInterceptor(auth, options), interceptors.redirect({ maxRedirections: 5 }));
}

async function get(dispatcher: Dispatcher, url: string): Promise<string> {
  const { body } = await request(url, { dispatcher, headers: CALLER_HEADERS });
  return body.text();
}

describe("authInterceptor + interceptors.redirect (redirect composed after): which headers reach which server", () => {
  it("keeps every credential on a same-origin redirect", async () => {
    const origin = await recorder(redirecting(() => "/landing"));
    expect(await get(redirectingAgent(basicAndApiKey), `${origin.url}/start`)).toBe("landed");
    expect(credentialsSeen(origin)).toEqual([CREDENTIAL_HEADERS, CREDENTIAL_HEADERS]);
  });

  it("strips every credential on a redirect to another origin", async () => {
    const elsewhere = await recorder();
    const origin = await recorder(redirecting(() => `${elsewhere.url}/landing`));
    await get(redirectingAgent(basicAndApiKey), `${origin.url}/start`);
    expect(credentialsSeen(origin)).toEqual([CREDENTIAL_HEADERS]);
    expect(credentialsSeen(elsewhere)).toEqual([[]]);
    expect(JSON.stringify(elsewhere.requests)).not.toContain(SECRET);
  });

  it("binds credentials to the chain's first origin: stripped for the rest of the chain (Go CVE-2024-45336)", async () => {
    const first: Recorder = await recorder((request, response) => {
      if (request.url === "/start") response.writeHead(302, { location: `${middle.url}/bounce` }).end();
      else response.end("back");
    });
    const middle = await recorder((_request, response) => {
      response.writeHead(302, { location: `${first.url}/back`, "content-length": 0 }).end();
    });
    const response = await request(`${first.url}/start`, { dispatcher: redirectingAgent(basicAndApiKey) });
    expect(await response.body.text()).toBe("back");
    expect(credentialsSeen(first)).toEqual([["authorization", "x-api-key"], []]);
    expect(credentialsSeen(middle)).toEqual([[]]);
  });

  it("sends credentials to an origin listed in `origins`", async () => {
    const trusted = await recorder();
    const origin = await recorder(redirecting(() => `${trusted.url}/landing`));
    const dispatcher = redirectingAgent(new BasicAuth("user", SECRET), { origins: [origin.url, trusted.url] });
    await get(dispatcher, `${origin.url}/start`);
    // The scheme's header is added again; the caller's own cookie was dropped by undici at the change of origin.
    expect(credentialsSeen(trusted)).toEqual([["authorization"]]);
  });

  it("never sends credentials from https to http, even to a listed origin", async () => {
    const plain = await recorder();
    const secure = await recorder(
      redirecting(() => `${plain.url}/landing`),
      true,
    );
    const dispatcher = redirectingAgent(new BasicAuth("user", SECRET), { origins: [secure.url, plain.url] });
    await get(dispatcher, `${secure.url}/start`);
    expect(credentialsSeen(secure)[0]).toContain("authorization");
    expect(credentialsSeen(plain)).toEqual([[]]);
  });

  it("answers Digest on the redirect's target: challenge, cached nonce, stale nonce", async () => {
    const server: TestServer = await startTestServer();
    try {
      // The nonce goes stale after one use: every later request takes the fast path, gets 401 stale=true, recovers.
      const target = `${server.url}/digest-auth/auth/user/passwd/MD5/1`;
      const dispatcher = redirectingAgent(new DigestAuth("user", "passwd"));
      for (let index = 0; index < 3; index++) {
        const { statusCode, body } = await request(`${server.url}/redirect-to?url=${encodeURIComponent(target)}`, {
          dispatcher,
        });
        await body.dump();
        expect(statusCode).toBe(200);
      }
      // Per request: the redirect, then the fast attempt's stale 401 (none the first time: a plain challenge), then the answer.
      expect(server.stats().routes).toMatchObject({ "redirect-to": 3, "digest-auth": 6 });
    } finally {
      await server.close();
    }
  });
});

describe("the other order (auth interceptor outside the redirect interceptor)", () => {
  function wrongOrder(auth: Auth, options: AuthInterceptorOptions = {}): Dispatcher {
    const agent = new Agent();
    agents.push(agent);
    return agent.compose(interceptors.redirect({ maxRedirections: 5 }), authInterceptor(auth, options));
  }

  it("refuses every redirect of an authenticated request: authflow cannot see where the hop goes", async () => {
    const elsewhere = await recorder();
    const origin = await recorder(redirecting(() => `${elsewhere.url}/landing`));
    const same = await recorder(redirecting(() => "/landing"));
    for (const start of [origin, same]) {
      // One dispatcher each: without `origins`, an interceptor is bound to the first origin it serves.
      const dispatcher = wrongOrder(basicAndApiKey);
      const failure = await get(dispatcher, `${start.url}/start`).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(UnsafeRedirectError);
      expect((failure as Error).message).toContain("interceptors.redirect");
      expect(credentialsSeen(start)).toEqual([CREDENTIAL_HEADERS]);
    }
    // Before this refusal, undici stripped Authorization, Cookie and Proxy-Authorization here, and X-Api-Key followed.
    expect(elsewhere.requests).toEqual([]);
  });

  it("still follows redirects of requests it leaves alone (origins outside `origins`)", async () => {
    const origin = await recorder(redirecting(() => "/landing"));
    const dispatcher = wrongOrder(basicAndApiKey, { origins: ["https://api.example.com"] });
    expect(await get(dispatcher, `${origin.url}/start`)).toBe("landed");
  });
});
