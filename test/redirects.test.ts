import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Auth, BearerAuth, Client, TooManyRedirectsError, UnsafeRedirectError, withAuth } from "../src/index.js";
import { type Recorder, redirectTo, sha256, startRecorder } from "./helpers/recorder.js";
import { selfSignedCertificate } from "./helpers/tls.js";

const SECRET = `CANARY-${crypto.randomUUID()}`;
const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "cookie", "x-api-key"];

/** A custom flow that sets an API key header: it must not follow a redirect elsewhere either. */
const apiKeyAuth: Auth = {
  *authFlow(request) {
    request.headers.set("x-api-key", SECRET);
    yield request;
  },
};

let target: Recorder; // where every redirect lands; records what it received
let tls: { key: string; cert: string };

beforeAll(async () => {
  tls = selfSignedCertificate();
});

async function hop(from: { host?: string; tls?: boolean }, to: string, status = 302): Promise<Recorder> {
  return startRecorder(redirectTo(to, status), {
    ...(from.host ? { host: from.host } : {}),
    ...(from.tls ? { tls } : {}),
  });
}

function leaked(recorder: Recorder): string[] {
  return recorder.requests.flatMap((request) =>
    CREDENTIAL_HEADERS.filter((name) => request.headers[name] !== undefined).map((name) => name),
  );
}

const tlsFetch = (() => {
  let dispatcher: Agent | undefined;
  return (request: Request) => {
    dispatcher ??= new Agent({ connect: { ca: tls.cert } });
    // Global fetch with a dispatcher that trusts this run's certificate authority.
    return fetch(request, { dispatcher } as RequestInit);
  };
})();

const credentialCases: Array<[string, (client: Client) => (url: string) => Promise<Response>]> = [
  ["a Basic tuple", (client) => (url) => client.get(url, { auth: ["user", SECRET] })],
  ["BearerAuth", (client) => (url) => client.get(url, { auth: new BearerAuth(SECRET) })],
  ["a custom flow's X-Api-Key", (client) => (url) => client.get(url, { auth: apiKeyAuth })],
  [
    "a hand-set Authorization header",
    (client) => (url) => client.get(url, { headers: { Authorization: `Bearer ${SECRET}` } }),
  ],
  [
    "Proxy-Authorization",
    (client) => (url) => client.get(url, { headers: { "Proxy-Authorization": `Basic ${SECRET}` } }),
  ],
  ["Cookie", (client) => (url) => client.get(url, { headers: { Cookie: `session=${SECRET}` } })],
];

describe("redirects: which credentials reach which server", () => {
  beforeAll(async () => {
    target = await startRecorder();
  });
  afterAll(() => target.close());

  for (const [kind, send] of credentialCases) {
    it(`${kind}: kept on a same-origin redirect`, async () => {
      const origin = await startRecorder((request, response, _body, log) => {
        if (request.url === "/start") redirectTo("/landing")(request, response, Buffer.alloc(0), log);
        else response.end("landed");
      });
      try {
        const response = await send(new Client({ fetch: tlsFetch }))(`${origin.url}/start`);
        expect(await response.text()).toBe("landed");
        expect(leaked(origin).length).toBe(2);
      } finally {
        await origin.close();
      }
    });

    for (const [where, make] of [
      ["another port", () => target.url],
      ["another host name for the same address (localhost)", () => target.url.replace("127.0.0.1", "localhost")],
      ["another host (127.0.0.2)", () => null],
    ] as const) {
      it(`${kind}: stripped on a redirect to ${where}`, async () => {
        const other = make() === null ? await startRecorder(undefined, { host: "127.0.0.2" }) : target;
        const before = other.requests.length;
        const origin = await hop({}, `${make() ?? other.url}/landing`);
        try {
          const response = await send(new Client())(`${origin.url}/start`);
          expect(response.status).toBe(200);
          const received = { ...other, requests: other.requests.slice(before) };
          expect(received.requests).toHaveLength(1);
          expect(leaked(received)).toEqual([]);
          expect(JSON.stringify(received.requests)).not.toContain(SECRET);
        } finally {
          await origin.close();
          if (other !== target) await other.close();
        }
      });
    }

    it(`${kind}: never sent over https → http`, async () => {
      const before = target.requests.length;
      const origin = await hop({ tls: true }, `${target.url}/plain`);
      try {
        const response = await send(new Client({ fetch: tlsFetch }))(`${origin.url}/start`);
        expect(response.status).toBe(200);
        expect(leaked(origin)).not.toEqual([]); // the TLS origin did get them
        const received = target.requests.slice(before);
        expect(JSON.stringify(received)).not.toContain(SECRET);
      } finally {
        await origin.close();
      }
    });
  }

  it("keeps credentials stripped for the rest of the chain, even back at the first origin (Go CVE-2024-45336)", async () => {
    const first = await startRecorder((request, response) => {
      if (request.url === "/start") {
        response.writeHead(302, { location: `${middle.url}/bounce` });
        response.end();
      } else response.end("back");
    });
    const middle: Recorder = await startRecorder((_request, response) => {
      response.writeHead(302, { location: `${first.url}/back` });
      response.end();
    });
    try {
      const response = await new Client().get(`${first.url}/start`, { auth: new BearerAuth(SECRET) });
      expect(await response.text()).toBe("back");
      expect(first.requests.map((request) => request.headers.authorization)).toEqual([`Bearer ${SECRET}`, undefined]);
      expect(leaked(middle)).toEqual([]);
    } finally {
      await first.close();
      await middle.close();
    }
  });

  it("sends credentials to trustedOrigins", async () => {
    const before = target.requests.length;
    const origin = await hop({}, `${target.url}/trusted`);
    try {
      const client = new Client({ trustedOrigins: [target.url] });
      await client.get(`${origin.url}/start`, { auth: new BearerAuth(SECRET) });
      expect(target.requests[before]?.headers.authorization).toBe(`Bearer ${SECRET}`);
    } finally {
      await origin.close();
    }
  });

  it("binds a client's credentials to its baseURL: an absolute URL elsewhere gets none (axios CVE-2025-27152)", async () => {
    const home = await startRecorder();
    try {
      const client = new Client({ baseURL: home.url, auth: ["user", SECRET], headers: { cookie: `s=${SECRET}` } });
      const before = target.requests.length;
      await client.get(`${target.url}/elsewhere`);
      expect(leaked({ ...target, requests: target.requests.slice(before) })).toEqual([]);
      await client.get("/home");
      expect(home.requests[0]?.headers.authorization).toBeDefined();
      expect(home.requests[0]?.headers.cookie).toBe(`s=${SECRET}`);
    } finally {
      await home.close();
    }
  });

  it("withAuth applies the same rules around global fetch", async () => {
    const before = target.requests.length;
    const origin = await hop({}, `${target.url}/landing`, 307);
    try {
      const response = await withAuth(fetch, apiKeyAuth)(`${origin.url}/start`);
      expect(response.status).toBe(200);
      expect(origin.requests[0]?.headers["x-api-key"]).toBe(SECRET);
      expect(target.requests[before]?.headers["x-api-key"]).toBeUndefined();
    } finally {
      await origin.close();
    }
  });
});

describe("redirects: methods and bodies", () => {
  let landing: Recorder;
  beforeAll(async () => {
    landing = await startRecorder();
  });
  afterAll(() => landing.close());

  function sameOrigin(status: number) {
    return startRecorder((request, response) => {
      if (request.url === "/start") {
        response.writeHead(status, { location: "/landing" });
        response.end();
      } else response.end("landed");
    });
  }

  it("303 turns a POST into a GET without body or body headers", async () => {
    const origin = await sameOrigin(303);
    try {
      await new Client().post(`${origin.url}/start`, { json: { secret: SECRET } });
      const [first, second] = origin.requests;
      expect(first?.method).toBe("POST");
      expect(second?.method).toBe("GET");
      expect(second?.bodyLength).toBe(0);
      expect(second?.headers["content-type"]).toBeUndefined();
    } finally {
      await origin.close();
    }
  });

  it("307 keeps the method and replays the body, byte-identical", async () => {
    const origin = await sameOrigin(307);
    try {
      const body = new TextEncoder().encode("replay me ".repeat(100));
      await new Client().post(`${origin.url}/start`, { body, auth: ["u", "p"] });
      const [first, second] = origin.requests;
      expect(second?.method).toBe("POST");
      expect(second?.bodySha256).toBe(sha256(body));
      expect(first?.bodySha256).toBe(sha256(body));
      expect(second?.headers.authorization).toBe("Basic dTpw");
    } finally {
      await origin.close();
    }
  });

  it("refuses a cross-origin 307 that would carry a credentialed request's body", async () => {
    const before = landing.requests.length;
    const origin = await hop({}, `${landing.url}/steal`, 307);
    try {
      const attempt = new Client().post(`${origin.url}/token`, {
        body: new URLSearchParams({ client_secret: SECRET }),
        auth: ["client", SECRET],
      });
      await expect(attempt).rejects.toBeInstanceOf(UnsafeRedirectError);
      await expect(attempt).rejects.not.toThrow(SECRET);
      expect(landing.requests.length).toBe(before);
    } finally {
      await origin.close();
    }
  });

  it("follows a cross-origin 307 with its body when no credentials are involved", async () => {
    const before = landing.requests.length;
    const origin = await hop({}, `${landing.url}/upload`, 307);
    try {
      await new Client().post(`${origin.url}/upload`, { body: "public data" });
      expect(landing.requests[before]?.body).toBe("public data");
    } finally {
      await origin.close();
    }
  });

  it("refuses redirects to other schemes and to URLs with embedded credentials", async () => {
    for (const location of ["file:///etc/passwd", "javascript:alert(1)", `http://user:${SECRET}@127.0.0.1:1/`]) {
      const origin = await hop({}, location);
      try {
        const attempt = new Client().get(`${origin.url}/start`);
        await expect(attempt).rejects.toBeInstanceOf(UnsafeRedirectError);
        await expect(attempt).rejects.not.toThrow(SECRET);
      } finally {
        await origin.close();
      }
    }
  });

  it("stops after maxRedirects with TooManyRedirectsError", async () => {
    const loop = await startRecorder((_request, response) => {
      response.writeHead(302, { location: "/again" });
      response.end();
    });
    try {
      await expect(new Client({ maxRedirects: 3 }).get(`${loop.url}/start`)).rejects.toBeInstanceOf(
        TooManyRedirectsError,
      );
      expect(loop.requests).toHaveLength(4);
    } finally {
      await loop.close();
    }
  });

  it("returns the redirect itself when followRedirects is false", async () => {
    const origin = await hop({}, `${landing.url}/x`);
    try {
      const response = await new Client({ followRedirects: false }).get(`${origin.url}/start`);
      expect(response.status).toBe(302);
    } finally {
      await origin.close();
    }
  });
});
