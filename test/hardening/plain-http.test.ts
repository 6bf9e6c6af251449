/**
 * Issue 12, findings 5 and 8: the plain-HTTP rule. A name counts as loopback
 * only where the connection is pinned to a loopback address (RFC 6761 §6.3):
 * literal 127/8, ::1, ::ffff:127/104 and `localhost` itself — not
 * `svc.localhost`, which Node resolves through DNS. And every header treated
 * as a credential on a redirect (Cookie, X-Api-Key, X-Auth-Token,
 * `sensitiveHeaders`) is a credential for the plain-HTTP rule too.
 *
 * The "resolver" is an undici Agent whose lookup sends every name to a
 * loopback recorder, as a hostile or careless DNS would: what would have
 * gone over the network is what the recorder sees.
 */
import { Agent, type Dispatcher, getGlobalDispatcher, setGlobalDispatcher } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, get, InsecureTransportError, withAuth } from "../../src/index.js";
import { canaries } from "../helpers/canary.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";

const secrets = canaries("plain-http");
const PASSWORD = secrets.get("password");
const TOKEN = secrets.get("token");

let recorder: Recorder;
let resolver: Agent;

/** Every name resolves to 127.0.0.1: the recorder stands for whatever host DNS would have named. */
function everyNameToLoopback(
  _host: string,
  options: { all?: boolean },
  callback: (
    error: Error | null,
    address: string | Array<{ address: string; family: number }>,
    family?: number,
  ) => void,
): void {
  if (options.all === true) callback(null, [{ address: "127.0.0.1", family: 4 }]);
  else callback(null, "127.0.0.1", 4);
}

beforeAll(async () => {
  recorder = await startRecorder();
  resolver = new Agent({ connect: { lookup: everyNameToLoopback as never } });
});
afterAll(async () => {
  await resolver.close();
  await recorder.close();
});

const viaResolver = (request: Request, init?: RequestInit) =>
  fetch(request, { ...init, dispatcher: resolver } as RequestInit);

type Door = (url: string, headers?: Record<string, string>, auth?: readonly [string, string]) => Promise<Response>;

const DOORS: ReadonlyArray<readonly [string, Door]> = [
  [
    "Client",
    (url, headers, auth) =>
      new Client({ fetch: viaResolver, ...(auth ? { auth } : {}) }).get(url, headers ? { headers } : {}),
  ],
  [
    "Client (default headers)",
    (url, headers, auth) => new Client({ fetch: viaResolver, headers: headers ?? {}, auth: auth ?? null }).get(url),
  ],
  ["withAuth", (url, headers, auth) => withAuth(viaResolver, auth ?? null)(url, headers ? { headers } : {})],
  [
    "get",
    (url, headers, auth) =>
      withGlobalResolver(() => get(url, { ...(headers ? { headers } : {}), ...(auth ? { auth } : {}) })),
  ],
];

async function withGlobalResolver<T>(call: () => Promise<T>): Promise<T> {
  const previous: Dispatcher = getGlobalDispatcher();
  setGlobalDispatcher(resolver);
  try {
    return await call();
  } finally {
    setGlobalDispatcher(previous);
  }
}

/** Names the resolver decides: none of them is pinned to loopback. */
const RESOLVED_NAMES = [
  "svc.localhost",
  "SVC.LOCALHOST",
  "a.b.localhost",
  "localhost.",
  "127.0.0.1.nip.io",
  "api.authflow.test",
];

describe("12.5: *.localhost and other resolved names are not loopback", () => {
  for (const [door, send] of DOORS) {
    for (const name of RESOLVED_NAMES) {
      it(`${door}: Basic credentials to http://${name} are refused before any byte is sent`, async () => {
        const before = recorder.requests.length;
        const url = `http://${name}:${recorder.port}/x`;
        await expect(send(url, undefined, ["user", PASSWORD])).rejects.toBeInstanceOf(InsecureTransportError);
        expect(recorder.requests.length - before).toBe(0);
      });
    }
  }

  it("the resolver really reaches the recorder: without credentials, svc.localhost gets there", async () => {
    const before = recorder.requests.length;
    const response = await new Client({ fetch: viaResolver }).get(`http://svc.localhost:${recorder.port}/reached`);
    expect(response.status).toBe(200);
    expect(recorder.requests.slice(before).map((request) => request.path)).toEqual(["/reached"]);
  });

  for (const host of ["localhost", "127.1", "0x7f000001", "[::ffff:127.0.0.1]"]) {
    it(`loopback pinned by the name itself (http://${host}) still gets its credentials`, async () => {
      const before = recorder.requests.length;
      const response = await new Client({ fetch: viaResolver, auth: ["user", PASSWORD] }).get(
        `http://${host}:${recorder.port}/pinned`,
      );
      expect(response.status).toBe(200);
      const [received] = recorder.requests.slice(before);
      expect(received?.headers.authorization).toBe(`Basic ${btoa(`user:${PASSWORD}`)}`);
    });
  }
});

describe("12.8: every credential header is a credential for the plain-HTTP rule", () => {
  const HEADERS: ReadonlyArray<readonly [string, string]> = [
    ["Authorization", `Bearer ${TOKEN}`],
    ["Proxy-Authorization", `Basic ${TOKEN}`],
    ["Cookie", `session=${TOKEN}`],
    ["X-Api-Key", TOKEN],
    ["Api-Key", TOKEN],
    ["X-Auth-Token", TOKEN],
  ];
  for (const [door, send] of DOORS) {
    for (const [name, value] of HEADERS) {
      it(`${door}: ${name} set by hand is refused over http:// to a non-loopback host`, async () => {
        const before = recorder.requests.length;
        await expect(send(`http://api.authflow.test:${recorder.port}/x`, { [name]: value })).rejects.toBeInstanceOf(
          InsecureTransportError,
        );
        expect(recorder.requests.length - before).toBe(0);
      });
    }
  }

  it("a header named in sensitiveHeaders is a credential too, on Client and withAuth", async () => {
    const before = recorder.requests.length;
    const url = `http://api.authflow.test:${recorder.port}/x`;
    const client = new Client({ fetch: viaResolver, sensitiveHeaders: ["X-Session"] });
    await expect(client.get(url, { headers: { "x-session": TOKEN } })).rejects.toBeInstanceOf(InsecureTransportError);
    const authed = withAuth(viaResolver, null, { sensitiveHeaders: ["X-Session"] });
    await expect(authed(url, { headers: { "X-SESSION": TOKEN } })).rejects.toBeInstanceOf(InsecureTransportError);
    expect(recorder.requests.length - before).toBe(0);
  });

  it("other headers pass, and allowInsecureAuth lets the caller opt in", async () => {
    const before = recorder.requests.length;
    const url = `http://api.authflow.test:${recorder.port}/x`;
    expect((await new Client({ fetch: viaResolver }).get(url, { headers: { "x-request-id": "1" } })).status).toBe(200);
    const optedIn = new Client({ fetch: viaResolver, allowInsecureAuth: true });
    expect((await optedIn.get(url, { headers: { cookie: `session=${TOKEN}` } })).status).toBe(200);
    const received = recorder.requests.slice(before);
    expect(received).toHaveLength(2);
    expect(received[1]?.headers.cookie).toBe(`session=${TOKEN}`);
  });

  it("the error names the origin, never the credential", async () => {
    const error = await new Client({ fetch: viaResolver })
      .get(`http://api.authflow.test:${recorder.port}/x`, { headers: { "x-api-key": TOKEN } })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InsecureTransportError);
    expect((error as Error).message).toContain(`http://api.authflow.test:${recorder.port}`);
    expect(JSON.stringify(error) + String(error)).not.toContain(TOKEN);
  });
});
