/**
 * What the bench measures: for each scheme, the bounds (undici.request and
 * global fetch with the header set by hand), authflow's three front doors,
 * and the peers that do the same work. Every operation reads the whole body
 * and fails unless the server answered 200.
 */
import { Agent, type Dispatcher, request } from "undici";
import { fetchToken, HandDigest } from "./by-hand.js";
import type { Operation } from "./measure.js";

export type Scheme = "Basic" | "Bearer" | "Digest" | "OAuth 2.0";
export type Role = "bound" | "authflow" | "peer";

export interface Scenario {
  readonly scheme: Scheme;
  readonly name: string;
  readonly role: Role;
  readonly operation: Operation;
}

export const UNDICI = "undici.request (by hand)";
export const FETCH = "fetch (by hand)";
/** fetch with `signal: AbortSignal.timeout(30_000)`: what Client's default timeout is, by hand. */
export const FETCH_TIMEOUT = "fetch + 30 s timeout (by hand)";
export const CLIENT = "authflow Client";
export const CLIENT_NO_TIMEOUT = "authflow Client, timeout: false";
export const WITH_AUTH = "authflow withAuth(fetch)";
/** The interceptor in its default form, `authInterceptor(auth)`: every origin gets credentials. */
export const INTERCEPTOR = "authflow/undici interceptor";
/** The same, configured: `authInterceptor(auth, { origins: [server] })` (issue 17 item 8: both forms cost the same). */
export const INTERCEPTOR_ORIGINS = "authflow/undici interceptor, origins";
/** Global fetch with `dispatcher:` an undici Agent of its own, the header set by hand: the bound of the next. */
export const FETCH_AGENT = "fetch, own undici Agent (by hand)";
/** Global fetch with `dispatcher:` an Agent composed with authInterceptor (what setGlobalDispatcher does for all). */
export const FETCH_INTERCEPTOR = "authflow/undici interceptor under fetch";
/** The bound each authflow front door wraps. */
export const BOUND_OF: Record<string, string> = {
  [INTERCEPTOR]: UNDICI,
  [INTERCEPTOR_ORIGINS]: UNDICI,
  // The same work: Client's default 30 s timeout costs fetch a signal per request, as it does by hand.
  [CLIENT]: FETCH_TIMEOUT,
  [CLIENT_NO_TIMEOUT]: FETCH,
  [WITH_AUTH]: FETCH,
  [FETCH_INTERCEPTOR]: FETCH_AGENT,
};
const TIMEOUT_MS = 30_000;

const USER = "bench";
const PASSWORD = "secret";
const TOKEN = "bench-token-0123456789";
const CLIENT_ID = "basic-client";
const CLIENT_SECRET = "basic-secret";
const PATHS: Record<Scheme, string> = {
  Basic: `/basic-auth/${USER}/${PASSWORD}`,
  Bearer: "/bearer",
  Digest: `/digest-auth/auth/${USER}/${PASSWORD}`,
  "OAuth 2.0": "/oauth/protected",
};

type Constructor = new (...parameters: never[]) => object;
/** `authflow`'s public exports as found at run time (Digest and OAuth may not be there yet). */
export type Core = Record<string, unknown>;

const agents: Agent[] = [];

function accept(status: number): void {
  if (status !== 200) throw new Error(`the server answered ${status}`);
}

function viaUndici(dispatcher: Dispatcher, url: string, header?: ByHand): Operation {
  const send = async (retry: boolean): Promise<void> => {
    const options = header === undefined ? { dispatcher } : { dispatcher, headers: { authorization: header.next() } };
    const { statusCode, headers, body } = await request(url, options);
    await body.text();
    if (statusCode === 401 && retry && header?.renew !== undefined) {
      header.renew(String(headers["www-authenticate"]));
      return send(false);
    }
    accept(statusCode);
  };
  return () => send(true);
}

function viaFetch(send: (url: string) => Promise<Response>, url: string, header?: ByHand): Operation {
  const attempt = async (retry: boolean): Promise<void> => {
    const response = await send(url);
    await response.text();
    if (response.status === 401 && retry && header?.renew !== undefined) {
      header.renew(response.headers.get("www-authenticate") ?? "");
      return attempt(false);
    }
    accept(response.status);
  };
  return () => attempt(true);
}

function agent(...interceptors: Dispatcher.DispatcherComposeInterceptor[]): Dispatcher {
  const created = new Agent();
  agents.push(created);
  return interceptors.length === 0 ? created : created.compose(...interceptors);
}

/** fetch's `dispatcher` option (an undici extension Node's fetch takes), typed for the npm undici's Agent. */
function dispatching(dispatcher: Dispatcher): RequestInit {
  return { dispatcher } as RequestInit;
}

export async function closeAgents(): Promise<void> {
  await Promise.all(agents.map((created) => created.close()));
}

/** The schemes present in `core`, each with a factory for a fresh Auth. */
export function availableSchemes(core: Core, serverUrl: string): Map<Scheme, () => object> {
  const make =
    (name: string, ...parameters: unknown[]) =>
    () =>
      new (core[name] as Constructor)(...(parameters as never[]));
  const schemes = new Map<Scheme, () => object>([
    ["Basic", make("BasicAuth", USER, PASSWORD)],
    ["Bearer", make("BearerAuth", TOKEN)],
  ]);
  if (typeof core.DigestAuth === "function") schemes.set("Digest", make("DigestAuth", USER, PASSWORD));
  if (typeof core.ClientCredentialsAuth === "function") {
    const options = { tokenUrl: `${serverUrl}/oauth/token`, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };
    schemes.set("OAuth 2.0", make("ClientCredentialsAuth", options));
  }
  return schemes;
}

/** The header a program sets by hand, per request; Digest also takes a new challenge when its nonce went stale. */
interface ByHand {
  next(): string;
  renew?(challenge: string): void;
}

async function byHand(scheme: Scheme, serverUrl: string): Promise<ByHand> {
  if (scheme === "Basic") {
    const header = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
    return { next: () => header };
  }
  if (scheme === "Bearer") return { next: () => `Bearer ${TOKEN}` };
  if (scheme === "Digest") {
    const digest = await HandDigest.prime(`${serverUrl}${PATHS.Digest}`, USER, PASSWORD);
    return { next: () => digest.header("GET", PATHS.Digest), renew: (challenge) => digest.renew(challenge) };
  }
  const header = `Bearer ${await fetchToken(serverUrl, CLIENT_ID, CLIENT_SECRET)}`;
  return { next: () => header };
}

type WithAuth = (fetchFunction: typeof fetch, auth: object) => typeof fetch;
type ClientClass = new (options: object) => { get(url: string): Promise<Response> };

// The bench measures the build users run (dist/, from `npm run build`), not the sources through tsx.
const UNDICI_BUILD = "../dist/undici/index.js";

async function schemeScenarios(core: Core, serverUrl: string, scheme: Scheme, auth: () => object): Promise<Scenario[]> {
  const { authInterceptor } = (await import(UNDICI_BUILD)) as typeof import("../src/undici/index.js");
  const url = `${serverUrl}${PATHS[scheme]}`;
  const undiciHeader = await byHand(scheme, serverUrl);
  const fetchHeader = scheme === "Digest" ? await byHand(scheme, serverUrl) : undiciHeader;
  const client = new (core.Client as ClientClass)({ baseURL: serverUrl, auth: auth() });
  const untimed = new (core.Client as ClientClass)({ baseURL: serverUrl, auth: auth(), timeout: false });
  const timedHeader = scheme === "Digest" ? await byHand(scheme, serverUrl) : undiciHeader;
  const authedFetch = (core.withAuth as WithAuth)(fetch, auth());
  const agentHeader = scheme === "Digest" ? await byHand(scheme, serverUrl) : undiciHeader;
  const plainAgent = agent();
  const authAgent = agent(authInterceptor(auth() as Parameters<typeof authInterceptor>[0]));
  const rows: Scenario[] = [
    { scheme, name: UNDICI, role: "bound", operation: viaUndici(agent(), url, undiciHeader) },
    {
      scheme,
      name: FETCH,
      role: "bound",
      operation: viaFetch(
        (target) => fetch(target, { headers: { authorization: fetchHeader.next() } }),
        url,
        fetchHeader,
      ),
    },
    {
      scheme,
      name: FETCH_TIMEOUT,
      role: "bound",
      operation: viaFetch(
        (target) =>
          fetch(target, {
            headers: { authorization: timedHeader.next() },
            signal: AbortSignal.timeout(TIMEOUT_MS),
          }),
        url,
        timedHeader,
      ),
    },
    { scheme, name: CLIENT, role: "authflow", operation: viaFetch(() => client.get(PATHS[scheme]), url) },
    {
      scheme,
      name: CLIENT_NO_TIMEOUT,
      role: "authflow",
      operation: viaFetch(() => untimed.get(PATHS[scheme]), url),
    },
    { scheme, name: WITH_AUTH, role: "authflow", operation: viaFetch(authedFetch, url) },
    {
      scheme,
      name: INTERCEPTOR,
      role: "authflow",
      operation: viaUndici(agent(authInterceptor(auth() as Parameters<typeof authInterceptor>[0])), url),
    },
    {
      scheme,
      name: INTERCEPTOR_ORIGINS,
      role: "authflow",
      // accept() fails unless 200: an `origins` that missed the server would show as errors, not as speed.
      operation: viaUndici(
        agent(authInterceptor(auth() as Parameters<typeof authInterceptor>[0], { origins: [serverUrl] })),
        url,
      ),
    },
    {
      scheme,
      name: FETCH_AGENT,
      role: "bound",
      operation: viaFetch(
        (target) => fetch(target, { headers: { authorization: agentHeader.next() }, ...dispatching(plainAgent) }),
        url,
        agentHeader,
      ),
    },
    {
      scheme,
      name: FETCH_INTERCEPTOR,
      role: "authflow",
      operation: viaFetch((target) => fetch(target, dispatching(authAgent)), url),
    },
  ];
  return [...rows, ...(await peers(scheme, serverUrl, url))];
}

/** The peers on the same work, where they do it. */
async function peers(scheme: Scheme, serverUrl: string, url: string): Promise<Scenario[]> {
  const rows: Scenario[] = [];
  const peer = (name: string, operation: Operation) => rows.push({ scheme, name, role: "peer", operation });
  if (scheme === "Basic" || scheme === "Bearer") {
    const { default: axios } = await import("axios");
    const { default: got } = await import("got");
    const basic = scheme === "Basic";
    const bearer = { authorization: `Bearer ${TOKEN}` };
    const viaAxios = axios.create({
      responseType: "text",
      ...(basic ? { auth: { username: USER, password: PASSWORD } } : { headers: bearer }),
    });
    peer("axios", async () => accept((await viaAxios.get(url)).status));
    const viaGot = got.extend({
      retry: { limit: 0 },
      ...(basic ? { username: USER, password: PASSWORD } : { headers: bearer }),
    });
    peer("got", async () => accept((await viaGot.get(url)).statusCode));
  } else if (scheme === "Digest") {
    const { default: DigestClient } = await import("digest-fetch");
    const digest = new DigestClient(USER, PASSWORD);
    peer(
      "digest-fetch",
      viaFetch((target) => digest.fetch(target), url),
    );
  } else {
    const { OAuth2Client, OAuth2Fetch } = await import("@badgateway/oauth2-client");
    const client = new OAuth2Client({
      server: serverUrl,
      tokenEndpoint: "/oauth/token",
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      authenticationMethod: "client_secret_basic",
    });
    const wrapper = new OAuth2Fetch({ client, getNewToken: () => client.clientCredentials(), scheduleRefresh: false });
    peer(
      "@badgateway/oauth2-client",
      viaFetch((target) => wrapper.fetch(target), url),
    );
  }
  return rows;
}

/** Every scenario of every available scheme, each run once (Digest challenges and tokens get cached). */
export async function buildScenarios(core: Core, serverUrl: string): Promise<Scenario[]> {
  const scenarios: Scenario[] = [];
  for (const [scheme, auth] of availableSchemes(core, serverUrl)) {
    scenarios.push(...(await schemeScenarios(core, serverUrl, scheme, auth)));
  }
  for (const scenario of scenarios) await scenario.operation();
  return scenarios;
}
