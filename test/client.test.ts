import { EventEmitter } from "node:events";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveURL } from "../src/front/client.js";
import { NO_HEADERS } from "../src/front/headers.js";
import {
  BasicAuth,
  Client,
  DigestAuth,
  FunctionAuth,
  get,
  InsecureTransportError,
  NetworkError,
  post,
  TimeoutError,
  withAuth,
} from "../src/index.js";
import { startTestServer, type TestServer } from "../src/server/index.js";
import { type Recorder, startRecorder } from "./helpers/recorder.js";

let server: TestServer;

/** How many characters at the start of `text` are C0 controls, spaces or one of `also`. */
function leading(text: string, also = ""): number {
  let index = 0;
  while (index < text.length && (text.charCodeAt(index) <= 0x20 || also.includes(text[index] as string))) index++;
  return index;
}

/** Whether `text` is an absolute URL (not `URL.canParse`: Node 20's optimised fast call of it misanswers). */
function parses(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe("Client", () => {
  it("authenticates with a [user, pass] tuple (Basic)", async () => {
    const client = new Client({ baseURL: server.url, auth: ["my_user", "my_pass123"] });
    const response = await client.get("/basic-auth/my_user/my_pass123");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ authenticated: true, user: "my_user" });
  });

  it("authenticates with BasicAuth, UTF-8 encoded (RFC 7617)", async () => {
    const client = new Client({ baseURL: server.url, auth: new BasicAuth("jürgen", "pässwörd€") });
    const response = await client.get(`/basic-auth/${encodeURIComponent("jürgen")}/${encodeURIComponent("pässwörd€")}`);
    expect(response.status).toBe(200);
    const echoed = await (await client.get("/anything")).json();
    expect(echoed.headers.authorization).toBe(`Basic ${Buffer.from("jürgen:pässwörd€", "utf8").toString("base64")}`);
  });

  it("gets the httpbin 401 with a wrong password, after exactly one request", async () => {
    const before = server.stats().routes["basic-auth"] ?? 0;
    const response = await new Client({ baseURL: server.url, auth: ["u", "wrong"] }).get("/basic-auth/u/p");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Basic realm="Fake Realm"');
    expect((server.stats().routes["basic-auth"] ?? 0) - before).toBe(1);
  });

  it("authenticates with a function and with FunctionAuth", async () => {
    const viaFunction = new Client({ baseURL: server.url, auth: (request) => request.headers.set("x-api-key", "k1") });
    expect((await (await viaFunction.get("/anything")).json()).headers["x-api-key"]).toBe("k1");
    const viaClass = new Client({
      baseURL: server.url,
      auth: new FunctionAuth(async (request) => new Request(request, { headers: { authorization: "Bearer t2" } })),
    });
    expect(await (await viaClass.get("/bearer")).json()).toEqual({ authenticated: true, token: "t2" });
  });

  it("lets a request override the client's auth, and turn it off with auth: null", async () => {
    const client = new Client({ baseURL: server.url, auth: ["a", "b"] });
    expect((await client.get("/basic-auth/c/d", { auth: ["c", "d"] })).status).toBe(200);
    const bare = await (await client.get("/anything", { auth: null })).json();
    expect(bare.headers.authorization).toBeUndefined();
  });

  it("joins baseURL paths like httpx, adds params, sends json", async () => {
    const client = new Client({ baseURL: `${server.url}/anything/api` });
    const echoed = await (
      await client.post("items", { params: { page: 2, tag: ["a", "b"], skip: undefined }, json: { name: "x" } })
    ).json();
    expect(echoed.url).toBe(`${server.url}/anything/api/items?page=2&tag=a&tag=b`);
    expect(echoed.json).toEqual({ name: "x" });
    expect(echoed.headers["content-type"]).toBe("application/json");
  });

  it("resolves a relative URL under baseURL as the URL parser would, whichever way it takes", async () => {
    // Plain paths are joined by concatenation (one parse); the rest by the parser's relative resolution, once
    // every leading slash and backslash is gone: a relative URL is a path under the base, never a host.
    const prefixes = ["http://h/api/", "https://h:8443/a/b/", "http://127.0.0.1:9/", "http://[::1]:9/x%20y/"];
    const piece = fc.constantFrom(..."ab/.?#%:@ \\-_~é;=&+\t", "..", "../", "./", "%2e", "%2E%2e", ".a.", "x:");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }), fc.constantFrom(...prefixes), (pieces, prefix) => {
        const url = pieces.join("");
        // The parser's own clean-up (WHATWG URL §4.4): C0 and space trimmed, tab and newlines dropped.
        let end = url.length;
        while (end > 0 && url.charCodeAt(end - 1) <= 0x20) end--;
        const trimmed = [...url.slice(0, end).slice(leading(url))].filter((c) => !"\t\n\r".includes(c)).join("");
        // Absolute (or an attempt at one, "a:// b"): not resolved under the base.
        if (parses(url) || /^[a-z][a-z0-9+.-]*:/i.test(trimmed)) return;
        // Then the leading slashes, backslashes and blanks dropped.
        const cleaned = trimmed.slice(leading(trimmed, "/\\"));
        // A path that looks like a scheme once its slash is gone ("/h:x") stays a path under the base: "./h:x".
        const relative = /^[a-z][a-z0-9+.-]*:/i.test(cleaned) ? `./${cleaned}` : cleaned;
        const expected = (() => {
          try {
            return new URL(relative, prefix).href;
          } catch {
            return "invalid";
          }
        })();
        let actual: string;
        try {
          actual = resolveURL(url, prefix).href;
        } catch {
          actual = "invalid";
        }
        expect(actual).toBe(expected);
        if (actual !== "invalid") expect(new URL(actual).origin).toBe(new URL(prefix).origin);
      }),
      { numRuns: 3000 },
    );
    const client = new Client({ baseURL: `${server.url}/anything/api` });
    for (const [path, expected] of [
      ["/a/./b/../c", "/anything/api/a/c"],
      ["/mailto:x", "/anything/api/mailto:x"],
      ["x/.y./..", "/anything/api/x/"],
    ]) {
      expect((await (await client.get(path as string)).json()).url).toBe(`${server.url}${expected}`);
    }
  });

  it("sends its credentials through a global fetch that an instrumentation wrapped and that reads the headers late", async () => {
    // The direct path hands fetch a copy of the request's headers: nothing is put back under a wrapper's feet.
    const platformFetch = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return platformFetch(input, init);
    };
    try {
      const client = new Client({ baseURL: server.url, auth: ["u", "p"], headers: { "x-app": "a" } });
      const responses = await Promise.all([
        client.get("/basic-auth/u/p"),
        client.get("/basic-auth/u/p", { headers: { "x-request": "b" } }),
      ]);
      expect(responses.map((response) => response.status)).toEqual([200, 200]);
    } finally {
      globalThis.fetch = platformFetch;
    }
  });

  it("merges default headers under per-request headers", async () => {
    const client = new Client({ baseURL: server.url, headers: { "x-a": "client", "x-b": "client" } });
    const echoed = await (await client.get("/anything", { headers: { "x-b": "request" } })).json();
    expect(echoed.headers["x-a"]).toBe("client");
    expect(echoed.headers["x-b"]).toBe("request");
  });

  it("times out with TimeoutError", async () => {
    const slow: Recorder = await startRecorder((_request, response) => {
      setTimeout(() => response.end("late"), 2_000).unref();
    });
    try {
      const attempt = new Client({ timeout: 100 }).get(`${slow.url}/slow`);
      await expect(attempt).rejects.toBeInstanceOf(TimeoutError);
      await expect(attempt).rejects.toThrow(/within 100 ms/);
    } finally {
      await slow.close();
    }
  });

  it("a dead server is a NetworkError naming the origin and the reason, never the credentials", async () => {
    const gone = await startRecorder();
    const { url } = gone;
    await gone.close(); // nothing listens on that port any more
    const secret = "dead-server-secret-9f2";
    const attempt = new Client({ auth: ["u", secret] }).get(`${url}/x`);
    await expect(attempt).rejects.toBeInstanceOf(NetworkError);
    const error = (await attempt.catch((caught: unknown) => caught)) as NetworkError;
    expect(error.code).toBe("ERR_NETWORK");
    expect(error.origin).toBe(url);
    expect(error.message).toMatch(/^no answer from http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    expect(`${error.message} ${String(error.stack)}`).not.toContain(secret);
    // withAuth is a drop-in fetch: it keeps fetch's own TypeError.
    await expect(withAuth(fetch, ["u", secret])(`${url}/x`)).rejects.toThrow(TypeError);
  });

  it("passes a caller's AbortSignal through", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await expect(get(`${server.url}/anything`, { signal: controller.signal })).rejects.toThrow("stop");
  });

  it.each([
    [
      "Client, default timeout",
      (signal: AbortSignal) => {
        const client = new Client({ auth: ["u", "p"] });
        return (url: string) => client.get(url, { signal });
      },
    ],
    [
      "Client, timeout: false",
      (signal: AbortSignal) => {
        const client = new Client({ auth: ["u", "p"], timeout: false });
        return (url: string) => client.get(url, { signal });
      },
    ],
    [
      "withAuth(fetch)",
      (signal: AbortSignal) => {
        const authedFetch = withAuth(fetch, ["u", "p"]);
        return (url: string) => authedFetch(url, { signal });
      },
    ],
  ])(
    "%s: a long-lived caller signal shared by many requests gathers no listeners, and still aborts a body read",
    async (_name, make) => {
      // fetch alone adds a listener per request, dropped only when its Request is collected; Node 20's
      // fetch slows down as they pile up. authflow hands fetch a signal of the request's own instead.
      const shutdown = new AbortController();
      const send = make(shutdown.signal);
      for (let index = 0; index < 200; index++) {
        await (await send(`${server.url}/basic-auth/u/p`)).arrayBuffer();
      }
      expect(EventEmitter.getEventListeners(shutdown.signal, "abort").length).toBe(0);
      const slowBody = await startRecorder((_request, response) => {
        response.writeHead(200, { "content-type": "text/plain" });
        response.write("first part");
        setTimeout(() => response.end("late"), 2_000).unref();
      });
      try {
        const response = await send(`${slowBody.url}/x`);
        const reading = response.text();
        shutdown.abort(new Error("shutting down"));
        await expect(reading).rejects.toThrow("shutting down");
      } finally {
        await slowBody.close();
      }
    },
  );

  it("module-level helpers send with the default client", async () => {
    expect((await get(`${server.url}/basic-auth/u/p`, { auth: ["u", "p"] })).status).toBe(200);
    const echoed = await (await post(`${server.url}/anything`, { body: "data" })).json();
    expect(echoed.data).toBe("data");
  });
});

describe("withAuth", () => {
  it("requests without headers share one empty Headers, which nothing writes to", async () => {
    // Digest challenges, 303s and Basic in parallel, none with headers of its own: no header may cross over.
    const digest = withAuth(fetch, new DigestAuth("d", "pw"));
    const basic = withAuth(fetch, ["u", "p"]);
    const bare = withAuth(fetch, null);
    const to = (path: string) => encodeURIComponent(`${server.url}${path}`);
    const sent = await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        index % 3 === 0
          ? digest(`${server.url}/digest-auth/auth/d/pw`)
          : index % 3 === 1
            ? basic(`${server.url}/redirect-to?url=${to("/anything/after")}&status_code=303`, {
                method: "POST",
                body: "x",
              })
            : bare(`${server.url}/anything/bare`),
      ),
    );
    for (const [index, response] of sent.entries()) {
      expect(response.status).toBe(200);
      const echoed = await response.json();
      if (index % 3 === 2) expect(echoed.headers.authorization).toBeUndefined();
      if (index % 3 === 1) expect(echoed.headers.authorization).toBe(`Basic ${btoa("u:p")}`);
    }
    expect((await (await bare(`${server.url}/anything/last`)).json()).headers.authorization).toBeUndefined();
    expect(() => NO_HEADERS.set("authorization", "x")).toThrow(/read-only/);
    expect(() => NO_HEADERS.append("x-a", "x")).toThrow(/read-only/);
    expect(() => NO_HEADERS.delete("x-a")).toThrow(/read-only/);
    expect([...NO_HEADERS]).toEqual([]);
  });

  it("wraps global fetch with a tuple", async () => {
    const authedFetch = withAuth(fetch, ["u", "p"]);
    const response = await authedFetch(`${server.url}/basic-auth/u/p`);
    expect(response.status).toBe(200);
  });

  it("takes a Request as input, keeps its method, headers and body", async () => {
    const authedFetch = withAuth(fetch, ["u", "p"]);
    const request = new Request(`${server.url}/anything`, { method: "PUT", body: "payload", headers: { "x-y": "z" } });
    const echoed = await (await authedFetch(request)).json();
    expect(echoed.method).toBe("PUT");
    expect(echoed.data).toBe("payload");
    expect(echoed.headers["x-y"]).toBe("z");
    expect(echoed.headers.authorization).toBe("Basic dTpw");
  });

  it("honours redirect: 'manual'", async () => {
    const authedFetch = withAuth(fetch, ["u", "p"]);
    const response = await authedFetch(`${server.url}/redirect-to?url=/anything`, { redirect: "manual" });
    expect(response.status).toBe(302);
  });
});

describe("the insecure-transport rule", () => {
  it("refuses credentials over plain HTTP to a host that is not loopback, before any connection", async () => {
    let calls = 0;
    const counting = (request: Request) => {
      calls += 1;
      return fetch(request);
    };
    const client = new Client({ fetch: counting, auth: ["u", "p"] });
    const attempt = client.get("http://api.authflow.test/x");
    await expect(attempt).rejects.toBeInstanceOf(InsecureTransportError);
    await expect(attempt).rejects.toThrow(/http:\/\/api\.authflow\.test/);
    const byHeader = new Client({ fetch: counting }).get("http://api.authflow.test/x", {
      headers: { authorization: "Bearer secret-token" },
    });
    await expect(byHeader).rejects.toBeInstanceOf(InsecureTransportError);
    await expect(withAuth(counting, ["u", "p"])("http://10.0.0.1/x")).rejects.toBeInstanceOf(InsecureTransportError);
    expect(calls).toBe(0);
  });

  it("allows loopback in every literal spelling and localhost, and lets allowInsecureAuth opt out", async () => {
    let seen = "";
    const capture = async (request: Request) => {
      seen = request.url;
      return new Response("ok");
    };
    const client = new Client({ fetch: capture, auth: ["u", "p"] });
    for (const url of ["http://127.0.0.1/", "http://127.1.2.3/", "http://localhost/", "http://[::1]/"]) {
      expect((await client.get(url)).status).toBe(200);
      expect(seen).toBe(url);
    }
    const optedOut = new Client({ fetch: capture, auth: ["u", "p"], allowInsecureAuth: true });
    expect((await optedOut.get("http://api.authflow.test/x")).status).toBe(200);
  });

  it("sends no credentials, and so raises nothing, when there are none", async () => {
    const capture = async () => new Response("ok");
    expect((await new Client({ fetch: capture }).get("http://api.authflow.test/x")).status).toBe(200);
  });
});

describe("credentials in the URL", () => {
  it("are refused with an error that does not repeat them (Node's own error would)", async () => {
    const attempt = get(`http://user:CANARY-url-secret@127.0.0.1:1/x`);
    await expect(attempt).rejects.toThrow(/embeds credentials/);
    await expect(attempt).rejects.not.toThrow("CANARY-url-secret");
  });
});

describe("bad input", () => {
  it("is a rejected promise, never a synchronous throw, as with fetch", async () => {
    const client = new Client({ auth: ["u", "p"] });
    const authedFetch = withAuth(fetch, ["u", "p"]);
    const calls: Array<() => Promise<Response>> = [
      () => client.get("not a url"),
      () => client.get(`${server.url}/x`, { headers: { "x-bad": "a\r\nb" } }),
      () => authedFetch("not a url"),
      () => authedFetch(`${server.url}/x`, { headers: { "x-bad": "a\r\nb" } }),
      () => authedFetch(`http://u:p@127.0.0.1:1/x`),
    ];
    for (const call of calls) {
      let pending: Promise<Response> | undefined;
      expect(() => {
        pending = call();
      }).not.toThrow();
      await expect(pending).rejects.toThrow();
    }
  });
});
