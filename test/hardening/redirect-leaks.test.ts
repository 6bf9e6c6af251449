// RED-* scenarios (SECURITY.md, "Scenario → test"): no credential reaches an origin it was not meant for.
// Every credential source × header representation × front door × kind of "other origin", asserted on
// what the other server received and on canary secrets.
// Already covered elsewhere (not repeated here): same-origin redirects keep credentials, trustedOrigins,
// 303/307 method and body rules → test/redirects.test.ts; URL userinfo refused → test/client.test.ts;
// credentials over plain HTTP to a non-loopback host (RED-03c, OAUTH-01) → test/client.test.ts.
// RED-07 (CONNECT proxy): authflow has no proxy support; a caller-set Proxy-Authorization is covered
// as RED-06. RED-09 (netrc per hop): NetrcAuth does not exist yet.
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Auth,
  BasicAuth,
  BearerAuth,
  Client,
  ClientCredentialsAuth,
  DigestAuth,
  UnsafeRedirectError,
  withAuth,
} from "../../src/index.js";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { canaries, errorTexts } from "../helpers/canary.js";
import { type Handler, type Recorded, type Recorder, redirectTo, startRecorder } from "../helpers/recorder.js";
import { selfSignedCertificate } from "../helpers/tls.js";

const secrets = canaries("redirect-leaks");
const PASSWORD = secrets.get("password");
const TOKEN = secrets.get("token");
const API_KEY = secrets.get("api-key");
const COOKIE = secrets.get("cookie");
const PROXY = secrets.get("proxy-authorization");
const CLIENT_SECRET = secrets.get("client-secret");
const SENSITIVE = ["authorization", "proxy-authorization", "cookie", "x-api-key"];

let tls: { key: string; cert: string };
let dispatcher: Agent;
let tokenServer: TestServer;
/** Other origins: another host, another port, the same address spelled `localhost`. */
let otherHost: Recorder;
let otherPort: Recorder;
const received: Recorded[] = [];
/** Access tokens the token server issued: they must not reach another origin either. */
const issuedTokens: string[] = [];

const tlsFetch = (request: Request) => fetch(request, { dispatcher } as RequestInit);

beforeAll(async () => {
  tls = selfSignedCertificate();
  dispatcher = new Agent({ connect: { ca: tls.cert } });
  tokenServer = await startTestServer({
    clients: [{ clientId: "leak-client", authMethod: "client_secret_basic", clientSecret: CLIENT_SECRET }],
  });
  const record: Handler = (_request, response, _body, log) => {
    received.push(log[log.length - 1] as Recorded);
    response.end("landed");
  };
  otherHost = await startRecorder(record, { host: "127.0.0.2" });
  otherPort = await startRecorder(record);
});
afterAll(async () => {
  await Promise.all([otherHost.close(), otherPort.close(), tokenServer.close(), dispatcher.close()]);
});

/** A custom flow that sets an API key and a cookie (RED-08). */
const customFlow: Auth = {
  *authFlow(request) {
    request.headers.set("X-Api-Key", API_KEY);
    request.headers.append("Cookie", `flow=${COOKIE}`);
    yield request;
  },
};

interface Source {
  name: string;
  auth?: () => Auth;
  headers?: () => HeadersInit;
  /** The first origin answers a Digest challenge before it redirects. */
  digest?: boolean;
}

const handSet = {
  Authorization: `Bearer ${TOKEN}`,
  "ProXy-AuthoriZation": `Basic ${PROXY}`,
  COOKIE: `s=${COOKIE}`,
  "x-API-key": API_KEY,
};
const sources: Source[] = [
  { name: "BasicAuth", auth: () => new BasicAuth("user", PASSWORD) },
  { name: "DigestAuth (a Digest session)", auth: () => new DigestAuth("user", PASSWORD), digest: true },
  { name: "BearerAuth", auth: () => new BearerAuth(TOKEN) },
  {
    name: "ClientCredentialsAuth",
    auth: () =>
      new ClientCredentialsAuth({
        tokenUrl: `${tokenServer.url}/oauth/token`,
        clientId: "leak-client",
        clientSecret: CLIENT_SECRET,
        onToken: (token) => issuedTokens.push(token.accessToken),
      }),
  },
  { name: "a custom flow (X-Api-Key + Cookie)", auth: () => customFlow },
  { name: "headers by hand, a mixed-case object", headers: () => ({ ...handSet, AuThorization: `Bearer ${TOKEN}` }) },
  { name: "headers by hand, a Headers instance", headers: () => new Headers(handSet) },
  { name: "headers by hand, a [name, value][] array", headers: () => Object.entries(handSet) },
];

type Door = (source: Source, url: string, transport: (request: Request) => Promise<Response>) => Promise<Response>;
const doors: Array<[string, Door]> = [
  [
    "Client",
    (source, url, transport) =>
      new Client({ fetch: transport }).get(url, {
        ...(source.auth ? { auth: source.auth() } : {}),
        ...(source.headers ? { headers: source.headers() } : {}),
      }),
  ],
  [
    "withAuth",
    (source, url, transport) =>
      withAuth(transport, source.auth?.() ?? null)(url, source.headers ? { headers: source.headers() } : {}),
  ],
];

/** The first origin: redirects to `location` (after a Digest challenge for Digest sources). */
function firstOrigin(location: string, source: Source, status = 302, options: { tls?: boolean } = {}) {
  const redirect = redirectTo(location, status);
  return startRecorder(
    (request, response, body, log) => {
      if (source.digest && request.headers.authorization === undefined) {
        response.writeHead(401, { "www-authenticate": 'Digest realm="r", nonce="abc", qop="auth", algorithm=SHA-256' });
        response.end();
      } else redirect(request, response, body, log);
    },
    options.tls ? { tls } : {},
  );
}

function assertNoLeak(requests: readonly Recorded[], { reached = true } = {}): void {
  if (reached) expect(requests.length).toBeGreaterThan(0);
  for (const request of requests) for (const name of SENSITIVE) expect(request.headers[name]).toBeUndefined();
  const text = JSON.stringify(requests);
  for (const secret of [...secrets.all(), ...issuedTokens]) expect(text).not.toContain(secret);
}

function assertCarried(first: Recorder): void {
  const sent = first.requests.some((request) => SENSITIVE.some((name) => request.headers[name] !== undefined));
  expect(sent).toBe(true);
}

const destinations: Array<[id: string, what: string, target: () => Recorder, rewrite?: (url: string) => string]> = [
  ["RED-01", "another host (127.0.0.2)", () => otherHost],
  ["RED-02", "the same host, another port", () => otherPort],
  ["RED-05", "the same address spelled localhost", () => otherPort, (url) => url.replace("127.0.0.1", "localhost")],
];

describe("redirect credential leaks (curl CVE-2018-1000007, CVE-2022-27776; node-fetch CVE-2022-0235; undici CVE-2023-45143)", () => {
  for (const [doorName, door] of doors) {
    for (const source of sources) {
      for (const [id, what, target, rewrite] of destinations) {
        it(`${id}: ${source.name} via ${doorName}: nothing reaches ${what}`, async () => {
          const other = target();
          const before = received.length;
          const location = `${rewrite ? rewrite(other.url) : other.url}/landing`;
          const first = await firstOrigin(location, source);
          try {
            const response = await door(source, `${first.url}/start`, (request) => fetch(request));
            expect(await response.text()).toBe("landed");
            assertCarried(first);
            assertNoLeak(received.slice(before));
          } finally {
            await first.close();
          }
        });
      }

      it(`RED-03: ${source.name} via ${doorName}: https → http never carries credentials (requests CVE-2018-18074)`, async () => {
        const before = received.length;
        const first = await firstOrigin(`${otherPort.url}/plain`, source, 302, { tls: true });
        try {
          const response = await door(source, `${first.url}/start`, tlsFetch);
          expect(response.status).toBe(200);
          assertCarried(first);
          assertNoLeak(received.slice(before));
        } finally {
          await first.close();
        }
      });
    }
  }

  for (const status of [301, 302, 303, 307, 308]) {
    it(`RED-06: a caller-set Proxy-Authorization does not follow a ${status} elsewhere (undici CVE-2024-24758, urllib3 CVE-2024-37891)`, async () => {
      const before = received.length;
      const first = await startRecorder(redirectTo(`${otherHost.url}/landing`, status));
      try {
        await withAuth(fetch, null)(`${first.url}/start`, { headers: [["PROXY-AUTHORIZATION", `Basic ${PROXY}`]] });
        expect(first.requests[0]?.headers["proxy-authorization"]).toBe(`Basic ${PROXY}`);
        assertNoLeak(received.slice(before));
      } finally {
        await first.close();
      }
    });
  }

  it("RED-06: sensitiveHeaders adds a header name to the stripped set (follow-redirects CVE-2026-40895 class)", async () => {
    const before = received.length;
    const first = await startRecorder(redirectTo(`${otherHost.url}/landing`));
    try {
      await new Client({ sensitiveHeaders: ["X-Tenant-Secret"] }).get(`${first.url}/start`, {
        headers: { "x-tenant-SECRET": API_KEY, "x-auth-token": TOKEN, "Api-Key": API_KEY },
      });
      assertNoLeak(received.slice(before));
    } finally {
      await first.close();
    }
  });
});

describe("RED-04: once stripped, credentials stay stripped for the whole chain (Go CVE-2024-45336)", () => {
  it("RED-04: A → B/1 → B/2: nothing at B/1 nor at B/2", async () => {
    const before = received.length;
    const middle = await startRecorder(
      (request, response) => {
        if (request.url === "/1") {
          response.writeHead(302, { location: "/2" });
          response.end();
        } else redirectTo(`${otherHost.url}/3`)(request, response, Buffer.alloc(0), []);
      },
      { host: "127.0.0.2" },
    );
    const first = await startRecorder(redirectTo(`${middle.url}/1`));
    try {
      for (const [doorName, door] of doors) {
        for (const source of sources.filter((candidate) => !candidate.digest)) {
          const response = await door(source, `${first.url}/start`, (request) => fetch(request));
          expect(response.status, `${doorName} ${source.name}`).toBe(200);
        }
      }
      assertNoLeak(middle.requests);
      assertNoLeak(received.slice(before));
      assertCarried(first);
    } finally {
      await first.close();
      await middle.close();
    }
  });
  // A → B → A/back: see test/redirects.test.ts "keeps credentials stripped for the rest of the chain …".
});

describe("RED-10: redirect targets that are not HTTP, or carry userinfo", () => {
  it("RED-10: unix:, file:, ftp:, data: and userinfo Locations are refused without echoing secrets; //host is another origin", async () => {
    for (const location of [
      "unix:/var/run/x.sock:/",
      "file:///etc/passwd",
      "ftp://127.0.0.2/",
      "data:,x",
      `http://evil:${PASSWORD}@127.0.0.2:1/`,
    ]) {
      const first = await startRecorder(redirectTo(location));
      try {
        const error = await new Client()
          .get(`${first.url}/start`, { auth: new BearerAuth(TOKEN) })
          .catch((e: unknown) => e);
        expect(error, location).toBeInstanceOf(UnsafeRedirectError);
        const texts = await errorTexts(error);
        for (const secret of secrets.all()) expect(texts).not.toContain(secret);
      } finally {
        await first.close();
      }
    }
    const before = received.length;
    const first = await startRecorder(redirectTo(`//127.0.0.2:${otherHost.port}/landing`));
    try {
      await new Client().get(`${first.url}/start`, { auth: new BearerAuth(TOKEN) });
      assertNoLeak(received.slice(before));
      expect(received.slice(before).every((request) => request.headers.referer === undefined)).toBe(true);
    } finally {
      await first.close();
    }
  });
});

describe("RED-11: a client's credentials are bound to its baseURL (axios CVE-2025-27152)", () => {
  const forms = (port: number) => [
    `http://127.0.0.2:${port}/x`,
    `//127.0.0.2:${port}/x`,
    `\\\\127.0.0.2:${port}/x`,
    `/\\127.0.0.2:${port}/x`,
    `\\/127.0.0.2:${port}/x`,
    `http:127.0.0.2:${port}/x`,
    new URL(`http://127.0.0.2:${port}/x`),
  ];

  for (const [name, make] of [
    ["auth option", () => ({ auth: new BearerAuth(TOKEN) })],
    [
      "default headers",
      () => ({ headers: { "X-Api-Key": API_KEY, Cookie: `s=${COOKIE}`, Authorization: `Bearer ${TOKEN}` } }),
    ],
    ["a custom flow", () => ({ auth: customFlow })],
  ] as const) {
    it(`RED-11: ${name}: absolute, protocol-relative and backslash URLs to another origin go out without credentials`, async () => {
      const home = await startRecorder();
      try {
        const client = new Client({ baseURL: `${home.url}/api/`, ...make() });
        for (const url of forms(otherHost.port)) {
          const before = received.length;
          const beforeHome = home.requests.length;
          const response = await client.get(url);
          expect(response.status).toBe(200);
          // Wherever the URL resolved, only the home origin may see credentials.
          assertNoLeak(received.slice(before), { reached: false });
          if (home.requests.length > beforeHome) assertCarried(home);
        }
        await client.get("users");
        expect(home.requests.at(-1)?.path).toBe("/api/users");
        assertCarried(home);
      } finally {
        await home.close();
      }
    });
  }
});
