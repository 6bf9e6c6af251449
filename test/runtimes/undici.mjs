// authflow/undici on a given undici (7 or 8, issue 21), run by Node:
//   node undici.mjs <bundle file URL> <undici's index.js file URL> <server URL>
// The bundle holds src/index.ts and src/undici/index.ts; the interceptor is composed onto that undici's Agent.
// Prints one line, `RESULTS <JSON>`, like run.mjs.
import { Readable } from "node:stream";
import { describeError } from "./scenario.mjs";

const [bundle, undiciURL, baseURL] = process.argv.slice(2);
const authflow = await import(bundle);
const undici = await import(undiciURL);
const undiciVersion = (await import(new URL("package.json", undiciURL).href, { with: { type: "json" } })).default
  .version;

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function stats() {
  return (await fetch(`${baseURL}/_stats`)).json();
}

/** One request through an Agent carrying `auth`; answers the status and the parsed body. */
async function send(auth, path, options = {}, ...more) {
  const agent = new undici.Agent().compose(authflow.authInterceptor(auth), ...more);
  try {
    const response = await undici.request(`${options.origin ?? baseURL}${path}`, { ...options, dispatcher: agent });
    const text = await response.body.text();
    return { status: response.statusCode, body: text === "" ? null : JSON.parse(text), agent };
  } finally {
    await agent.close();
  }
}

const CASES = {
  async basic() {
    const { status } = await send(["user", "pass"], "/basic-auth/user/pass");
    check(status === 200, `expected 200, got ${status}`);
  },
  async "digest-preemptive"() {
    const auth = new authflow.DigestAuth("user", "pass");
    const agent = new undici.Agent().compose(authflow.authInterceptor(auth));
    const url = `${baseURL}/digest-auth/auth/user/pass/SHA-256`;
    const before = await stats();
    const first = await undici.request(url, { dispatcher: agent });
    await first.body.dump();
    const between = await stats();
    const second = await undici.request(url, { dispatcher: agent });
    await second.body.dump();
    const after = await stats();
    await agent.close();
    check(first.statusCode === 200 && second.statusCode === 200, `got ${first.statusCode}, ${second.statusCode}`);
    const count = (after.routes["digest-auth"] ?? 0) - (between.routes["digest-auth"] ?? 0);
    check((between.routes["digest-auth"] ?? 0) - (before.routes["digest-auth"] ?? 0) === 2, "first: not 2 requests");
    check(count === 1, `second request: expected 1 request (preemptive), the server saw ${count}`);
  },
  async "digest-stream-replay"() {
    const body = Readable.from([Buffer.from("streamed "), Buffer.from("body")]);
    const auth = new authflow.DigestAuth("user", "pass");
    const { status } = await send(auth, "/digest-auth/auth-int/user/pass/SHA-256", { method: "POST", body });
    check(status === 200, `expected 200, got ${status}`);
  },
  async bearer() {
    const { status, body } = await send(new authflow.BearerAuth("undici-token"), "/bearer");
    check(status === 200 && body.token === "undici-token", `expected 200 with the token, got ${status}`);
  },
  async "client-credentials"() {
    const auth = new authflow.ClientCredentialsAuth({
      tokenUrl: `${baseURL}/oauth/token`,
      clientId: "basic-client",
      clientSecret: "basic-secret",
    });
    const { status } = await send(auth, "/oauth/protected");
    check(status === 200, `expected 200, got ${status}`);
  },
  async "insecure-refused"() {
    let outcome = "resolved";
    try {
      await send(["user", "pass"], "/basic-auth/user/pass", { origin: "http://example.invalid" });
    } catch (error) {
      if (error?.code === "ERR_INSECURE_TRANSPORT") return;
      outcome = describeError(error);
    }
    throw new Error(`expected InsecureTransportError, ${outcome}`);
  },
  async redirect() {
    const path = "/redirect-to?url=/basic-auth/user/pass";
    const { status } = await send(["user", "pass"], path, {}, undici.interceptors.redirect({ maxRedirections: 3 }));
    check(status === 200, `expected 200 after the redirect, got ${status}`);
  },
  async "fetch-dispatcher"() {
    const agent = new undici.Agent().compose(authflow.authInterceptor(new authflow.DigestAuth("user", "pass")));
    const response = await undici.fetch(`${baseURL}/digest-auth/auth/user/pass/MD5`, { dispatcher: agent });
    await response.arrayBuffer();
    await agent.close();
    check(response.status === 200, `expected 200, got ${response.status}`);
  },
};

const results = [];
for (const [name, body] of Object.entries(CASES)) {
  try {
    await body();
    results.push({ name, ok: true });
  } catch (error) {
    results.push({ name, ok: false, error: describeError(error) });
  }
}
console.log(`RESULTS ${JSON.stringify({ version: `${process.versions.node}, undici ${undiciVersion}`, results })}`);
