// The one scenario every runtime runs (issue 21): plain JavaScript over web standards only, so Node, Deno, Bun,
// workerd and a browser page load this very file. It gets the library as a module namespace (the esbuild bundle
// of src/index.ts) and the test server's URL, and answers one result per case; it never throws.

/** The cases, in order; their names are the matrix's columns and the test names. */
export const CASES = [
  "basic",
  "digest-md5",
  "digest-sha256",
  "digest-post-replay",
  "bearer",
  "client-credentials",
  "client-credentials-rejected",
  "insecure-refused",
  "redirect",
  "network-error",
];

/** A case that has not settled by then failed (a hung fetch must not hang the whole run). */
const DEFAULT_CASE_MS = 4000;

/**
 * Runs every case (or those named in `config.only`) one after the other.
 *
 * @param {Record<string, any>} authflow the library's exports
 * @param {{ baseURL: string, closedURL: string, only?: string[], caseMs?: number }} config
 *   baseURL: where the test server's routes answer (the server itself, or a front on the page's origin);
 *   closedURL: a loopback URL nothing listens on
 * @returns {Promise<Array<{ name: string, ok: boolean, error?: string }>>}
 */
export async function runScenario(authflow, config) {
  const results = [];
  for (const name of CASES) {
    if (config.only !== undefined && !config.only.includes(name)) continue;
    results.push(await runCase(name, () => CASE_BODIES[name](authflow, config), config.caseMs ?? DEFAULT_CASE_MS));
  }
  return results;
}

async function runCase(name, body, caseMs) {
  let timer;
  const watchdog = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`did not settle within ${caseMs} ms (a fetch that never answers)`)),
      caseMs,
    );
  });
  try {
    await Promise.race([body(), watchdog]);
    return { name, ok: true };
  } catch (error) {
    return { name, ok: false, error: describeError(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** `Name [code]: message` (and the cause's), for a report a person can act on. */
export function describeError(error) {
  if (!(error instanceof Error)) return String(error);
  const code = typeof error.code === "string" ? ` [${error.code}]` : "";
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.name}: ${error.cause.message})` : "";
  return `${error.name}${code}: ${error.message}${cause}`;
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function expectStatus(response, status, what) {
  const text = await response.text();
  check(response.status === status, `${what}: expected HTTP ${status}, got ${response.status} ${text.slice(0, 200)}`);
  return text === "" ? null : JSON.parse(text);
}

/** The server's counters (`/_stats`), read without auth. */
async function stats(config) {
  const response = await fetch(`${config.baseURL}/_stats`);
  return expectStatus(response, 200, "GET /_stats");
}

/** Requests a route saw between two readings of the counters. */
function seen(before, after, route) {
  return (after.routes[route] ?? 0) - (before.routes[route] ?? 0);
}

async function expectRejection(promise, name, code) {
  let outcome;
  try {
    const value = await promise;
    outcome = value instanceof Response ? `resolved with HTTP ${value.status}` : "resolved";
  } catch (error) {
    if (error?.name === name && error?.code === code) return;
    outcome = `rejected with ${describeError(error)}`;
  }
  throw new Error(`expected ${name} [${code}], ${outcome}`);
}

/** Digest: the challenge costs one round trip, the second request goes out preemptively (one request). */
async function digest(authflow, config, algorithm) {
  const client = new authflow.Client({ baseURL: config.baseURL, auth: new authflow.DigestAuth("user", "pass") });
  const path = `/digest-auth/auth/user/pass/${algorithm}`;
  const before = await stats(config);
  await expectStatus(await client.get(path), 200, `GET ${path}`);
  const between = await stats(config);
  check(seen(before, between, "digest-auth") === 2, `first request: expected 2 requests (challenge, answer)`);
  await expectStatus(await client.get(path), 200, `second GET ${path}`);
  const after = await stats(config);
  const second = seen(between, after, "digest-auth");
  check(second === 1, `second request: expected 1 request (preemptive), the server saw ${second}`);
}

/** Client credentials: one token request serves several calls; a refresh costs one more, then serves. */
async function clientCredentials(authflow, config) {
  const auth = new authflow.ClientCredentialsAuth({
    tokenUrl: `${config.baseURL}/oauth/token`,
    clientId: "basic-client",
    clientSecret: "basic-secret",
  });
  const client = new authflow.Client({ baseURL: config.baseURL, auth });
  const before = await stats(config);
  for (let call = 1; call <= 3; call++) {
    await expectStatus(await client.get("/oauth/protected"), 200, `call ${call}`);
  }
  const between = await stats(config);
  const tokens = between.tokenRequests - before.tokenRequests;
  check(tokens === 1, `three calls: expected 1 token request, the server saw ${tokens}`);
  const old = await auth.getToken();
  const renewed = await auth.getToken({ forceRefresh: true });
  check(renewed.accessToken !== old.accessToken, "the refresh returned the same token");
  await expectStatus(await client.get("/oauth/protected"), 200, "call after the refresh");
  const after = await stats(config);
  const refreshes = after.tokenRequests - between.tokenRequests;
  check(refreshes === 1, `a refresh and a call: expected 1 token request, the server saw ${refreshes}`);
}

const CASE_BODIES = {
  async basic(authflow, config) {
    const client = new authflow.Client({ baseURL: config.baseURL, auth: ["user", "pass"] });
    const body = await expectStatus(await client.get("/basic-auth/user/pass"), 200, "GET /basic-auth/user/pass");
    check(body?.authenticated === true, "the server did not say authenticated");
  },
  "digest-md5": (authflow, config) => digest(authflow, config, "MD5"),
  "digest-sha256": (authflow, config) => digest(authflow, config, "SHA-256"),
  async "digest-post-replay"(authflow, config) {
    // auth-int hashes the body into the answer: a 200 proves the replayed body arrived byte for byte.
    const client = new authflow.Client({ baseURL: config.baseURL, auth: new authflow.DigestAuth("user", "pass") });
    const path = "/digest-auth/auth-int/user/pass/SHA-256";
    const before = await stats(config);
    const response = await client.post(path, { body: "a body sent twice: once to the challenge, once answered" });
    await expectStatus(response, 200, `POST ${path}`);
    const after = await stats(config);
    check(seen(before, after, "digest-auth") === 2, "expected 2 requests (challenge, answer with the body again)");
  },
  async bearer(authflow, config) {
    const client = new authflow.Client({ baseURL: config.baseURL, auth: new authflow.BearerAuth("scenario-token") });
    const body = await expectStatus(await client.get("/bearer"), 200, "GET /bearer");
    check(body?.token === "scenario-token", "the server saw another token");
  },
  "client-credentials": clientCredentials,
  async "client-credentials-rejected"(authflow, config) {
    // RFC 6749 §5.2: a wrong secret sent with Basic gets a 401 with a Basic challenge; it must reach authflow.
    const auth = new authflow.ClientCredentialsAuth({
      tokenUrl: `${config.baseURL}/oauth/token`,
      clientId: "basic-client",
      clientSecret: "not-the-secret",
    });
    await expectRejection(auth.getToken(), "OAuthError", "ERR_OAUTH");
  },
  async "insecure-refused"(authflow) {
    // A reserved name (RFC 6761 .invalid): nothing may be looked up or connected to.
    const client = new authflow.Client({ auth: ["user", "pass"] });
    await expectRejection(
      client.get("http://example.invalid/basic-auth/user/pass"),
      "InsecureTransportError",
      "ERR_INSECURE_TRANSPORT",
    );
  },
  async redirect(authflow, config) {
    // A same-origin hop keeps the credentials: the target answers 200 only with them.
    const client = new authflow.Client({ baseURL: config.baseURL, auth: ["user", "pass"] });
    const response = await client.get("/redirect-to?url=/basic-auth/user/pass");
    const body = await expectStatus(response, 200, "GET /redirect-to → /basic-auth/user/pass");
    check(body?.authenticated === true, "the redirect target did not see the credentials");
  },
  async "network-error"(authflow, config) {
    const plain = new authflow.Client();
    await expectRejection(plain.get(`${config.closedURL}/anything`), "NetworkError", "ERR_NETWORK");
    const authenticated = new authflow.Client({ auth: ["user", "pass"] });
    await expectRejection(authenticated.get(`${config.closedURL}/basic-auth/user/pass`), "NetworkError", "ERR_NETWORK");
  },
};

/**
 * One request on a long-lived client: what a Worker's fetch handler does with a
 * module-level Client (issue 21 (B)). `scheme` picks the auth.
 *
 * @param {Record<string, any>} authflow
 * @param {string} baseURL
 * @param {"basic" | "digest" | "client-credentials"} scheme
 */
export function sharedClient(authflow, baseURL, scheme) {
  const auth =
    scheme === "basic"
      ? new authflow.BasicAuth("user", "pass")
      : scheme === "digest"
        ? new authflow.DigestAuth("user", "pass")
        : new authflow.ClientCredentialsAuth({
            tokenUrl: `${baseURL}/oauth/token`,
            clientId: "basic-client",
            clientSecret: "basic-secret",
          });
  return new authflow.Client({ baseURL, auth });
}

/** The path {@link sharedClient}'s scheme answers 200 on. */
export const SHARED_PATHS = {
  basic: "/basic-auth/user/pass",
  digest: "/digest-auth/auth/user/pass/SHA-256",
  "client-credentials": "/oauth/protected",
};
