/**
 * The contenders of the DPoP bench (bench/dpop.ts): the same GET of a
 * protected resource with a cached token, Bearer and DPoP, through each of
 * authflow's front doors, and through oauth4webapi's DPoP (its documented
 * usage: a DPoP handle, `protectedResourceRequest`, one retry on a nonce
 * error). Each `setup` gets its token first, so the measured phase is
 * steady state. DPoP requests cannot take a front door's synchronous fast
 * path (a proof is an async signature in a second header), so each DPoP row
 * is compared with a Bearer row that takes the flow too: the difference is
 * the proof's cost per request.
 */
import * as oauth from "oauth4webapi";
import { Agent, type Dispatcher, request } from "undici";
import { type AuthFunction, Client, ClientCredentialsAuth, withAuth } from "../src/index.js";
import { authInterceptor } from "../src/undici/index.js";
import type { Operation } from "./measure.js";

/** The resource paths a run requests: a route that checks the token (and the proof), or one that checks nothing. */
export interface Paths {
  readonly bearer: string;
  readonly dpop: string;
}

/** The test server's checking routes: the DPoP one verifies every proof (a jose signature check per request). */
export const CHECKING: Paths = { bearer: "/oauth/protected", dpop: "/oauth/dpop-protected" };
/** httpbin's echo for both: the server's work is the same for every row, so differences are the client's. */
export const ECHO: Paths = { bearer: "/anything", dpop: "/anything" };

export interface Contender {
  readonly name: string;
  /** The row it is compared with (the same front door with a Bearer token), if any. */
  readonly baseline?: string;
  readonly setup: (url: string, paths: Paths) => Promise<{ operation: Operation; close: () => Promise<void> }>;
}

function credentials(url: string, dpop: boolean): ClientCredentialsAuth {
  return new ClientCredentialsAuth({
    tokenUrl: `${url}/oauth/token`,
    clientId: "basic-client",
    clientSecret: "basic-secret",
    ...(dpop ? { dpop: true } : {}),
  });
}

async function accepted(response: Response): Promise<void> {
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`status ${response.status}`);
}

const nothing = async () => {};

/**
 * The cached Bearer token as a function auth: no fast path, so every request
 * takes the flow (a web Request per request), as DPoP requests must. The DPoP
 * row's cost over this one is the proof's alone.
 */
async function bearerThroughFlow(url: string): Promise<AuthFunction> {
  const header = `Bearer ${(await credentials(url, false).getToken()).accessToken}`;
  return (request) => {
    request.headers.set("authorization", header);
  };
}

function viaClient(dpop: boolean, flow = false): Contender["setup"] {
  return async (url, paths) => {
    const auth = flow ? await bearerThroughFlow(url) : credentials(url, dpop);
    const client = new Client({ baseURL: url, auth });
    const path = dpop ? paths.dpop : paths.bearer;
    const operation = async () => accepted(await client.get(path));
    await operation();
    return { operation, close: nothing };
  };
}

function viaWithAuth(dpop: boolean, flow = false): Contender["setup"] {
  return async (url, paths) => {
    const api = withAuth(fetch, flow ? await bearerThroughFlow(url) : credentials(url, dpop));
    const target = `${url}${dpop ? paths.dpop : paths.bearer}`;
    const operation = async () => accepted(await api(target));
    await operation();
    return { operation, close: nothing };
  };
}

function viaInterceptor(dpop: boolean, flow = false): Contender["setup"] {
  return async (url, paths) => {
    const agent = new Agent();
    const auth = flow ? await bearerThroughFlow(url) : credentials(url, dpop);
    const dispatcher: Dispatcher = agent.compose(authInterceptor(auth));
    const target = `${url}${dpop ? paths.dpop : paths.bearer}`;
    const operation = async () => {
      const { statusCode, body } = await request(target, { dispatcher });
      await body.dump();
      if (statusCode !== 200) throw new Error(`status ${statusCode}`);
    };
    await operation();
    return { operation, close: () => agent.close() };
  };
}

/** oauth4webapi as its documentation shows it: a token from the client credentials grant, then protectedResourceRequest. */
function viaOauth4webapi(dpop: boolean): Contender["setup"] {
  return async (url, paths) => {
    const as: oauth.AuthorizationServer = { issuer: url, token_endpoint: `${url}/oauth/token` };
    const client: oauth.Client = { client_id: "basic-client" };
    const insecure = { [oauth.allowInsecureRequests]: true };
    const handle = dpop ? oauth.DPoP(client, await oauth.generateKeyPair("ES256")) : undefined;
    const options = handle === undefined ? insecure : { ...insecure, DPoP: handle };
    const grant = () =>
      oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic("basic-secret"), {}, options);
    const token = await retryOnNonce(async () => oauth.processClientCredentialsResponse(as, client, await grant()));
    const target = new URL(`${url}${dpop ? paths.dpop : paths.bearer}`);
    const operation = async () =>
      accepted(
        await retryOnNonce(() =>
          oauth.protectedResourceRequest(token.access_token, "GET", target, undefined, undefined, options),
        ),
      );
    await operation();
    return { operation, close: nothing };
  };
}

/** oauth4webapi's documented nonce handling: the handle has cached the nonce; retry once. */
async function retryOnNonce<T>(attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error;
    return attempt();
  }
}

/** Every row: Bearer and DPoP per front door, then oauth4webapi. */
export const CONTENDERS: readonly Contender[] = [
  { name: "Client · Bearer", setup: viaClient(false) },
  { name: "Client · Bearer (flow path)", setup: viaClient(false, true) },
  { name: "Client · DPoP", baseline: "Client · Bearer (flow path)", setup: viaClient(true) },
  { name: "withAuth(fetch) · Bearer", setup: viaWithAuth(false) },
  { name: "withAuth(fetch) · Bearer (flow path)", setup: viaWithAuth(false, true) },
  { name: "withAuth(fetch) · DPoP", baseline: "withAuth(fetch) · Bearer (flow path)", setup: viaWithAuth(true) },
  { name: "authInterceptor · Bearer", setup: viaInterceptor(false) },
  { name: "authInterceptor · Bearer (flow path)", setup: viaInterceptor(false, true) },
  { name: "authInterceptor · DPoP", baseline: "authInterceptor · Bearer (flow path)", setup: viaInterceptor(true) },
  { name: "oauth4webapi · Bearer", setup: viaOauth4webapi(false) },
  { name: "oauth4webapi · DPoP", baseline: "oauth4webapi · Bearer", setup: viaOauth4webapi(true) },
];

/** The rows of the one-time-nonce run: DPoP only. */
export const NONCE_CONTENDERS: readonly Contender[] = CONTENDERS.filter((contender) => contender.name.endsWith("DPoP"));
