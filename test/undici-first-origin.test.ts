/**
 * An interceptor without `origins` is bound to the first origin it serves.
 * Global fetch (and `fetch(url, { dispatcher })`) follows redirects itself,
 * each hop a new dispatch the interceptor cannot tell from a new request:
 * unbound, a redirect to another origin got the credentials again.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, type Dispatcher, fetch as undiciFetch } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { BasicAuth, BearerAuth, NetrcAuth } from "../src/index.js";
import { authInterceptor } from "../src/undici/index.js";
import { type Handler, type Recorder, startRecorder } from "./helpers/recorder.js";

const SECRET = `CANARY-${crypto.randomUUID()}`;
const agents: Agent[] = [];
const recorders: Recorder[] = [];
const directory = mkdtempSync(join(tmpdir(), "authflow-first-origin-"));

afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.close()));
  await Promise.all(recorders.map((recorder) => recorder.close()));
  rmSync(directory, { recursive: true, force: true });
});

async function recorder(handler?: Handler): Promise<Recorder> {
  const started = await startRecorder(handler);
  recorders.push(started);
  return started;
}

function intercepted(...args: Parameters<typeof authInterceptor>): Dispatcher {
  const agent = new Agent();
  agents.push(agent);
  return agent.compose(authInterceptor(...args));
}

/** Whether any request `recorder` saw carried the secret, as it is or in Basic's base64, in any header. */
function sawSecret(recorder: Recorder): boolean {
  const forms = [SECRET, Buffer.from(`user:${SECRET}`).toString("base64")];
  return recorder.requests.some((seen) => forms.some((form) => JSON.stringify(seen.headers).includes(form)));
}

describe("authInterceptor without origins", () => {
  it("gives a cross-origin redirect followed by fetch no credentials (Basic and Bearer)", async () => {
    for (const auth of [new BasicAuth("user", SECRET), new BearerAuth(SECRET)]) {
      const attacker = await recorder();
      const api = await recorder((request, response) => {
        if (request.url === "/start") response.writeHead(302, { location: `${attacker.url}/steal` }).end();
        else response.end("ok");
      });
      const dispatcher = intercepted(auth);
      const response = await undiciFetch(`${api.url}/start`, { dispatcher });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      expect(sawSecret(api)).toBe(true);
      expect(attacker.requests.map((seen) => seen.path)).toEqual(["/steal"]);
      expect(sawSecret(attacker)).toBe(false);
    }
  });

  it("serves only the first origin it saw; a later origin passes untouched", async () => {
    const first = await recorder();
    const second = await recorder();
    const dispatcher = intercepted(new BasicAuth("user", SECRET));
    for (const target of [first, second, first]) {
      await (await undiciFetch(`${target.url}/x`, { dispatcher })).arrayBuffer();
    }
    expect(first.requests.map((seen) => sawSecret({ ...first, requests: [seen] }))).toEqual([true, true]);
    expect(second.requests).toHaveLength(1);
    expect(sawSecret(second)).toBe(false);
  });

  it("with origins, serves each origin listed and no other", async () => {
    const first = await recorder();
    const second = await recorder();
    const third = await recorder();
    const dispatcher = intercepted(new BearerAuth(SECRET), { origins: [first.url, second.url] });
    for (const target of [third, first, second]) {
      await (await undiciFetch(`${target.url}/x`, { dispatcher })).arrayBuffer();
    }
    expect([sawSecret(first), sawSecret(second), sawSecret(third)]).toEqual([true, true, false]);
  });

  it("NetrcAuth knows its hosts: it serves every origin its file names, and no other", async () => {
    const first = await recorder();
    const second = await recorder();
    const other = await recorder();
    const path = join(directory, "netrc");
    // Both recorders listen on 127.0.0.1 (netrc names hosts, not ports); `localhost` has no entry.
    writeFileSync(path, `machine 127.0.0.1 login user password ${SECRET}\n`, { mode: 0o600 });
    const dispatcher = intercepted(new NetrcAuth(path));
    for (const target of [first, second]) {
      await (await undiciFetch(`${target.url}/x`, { dispatcher })).arrayBuffer();
    }
    await (await undiciFetch(`http://localhost:${other.port}/x`, { dispatcher })).arrayBuffer();
    expect([sawSecret(first), sawSecret(second), sawSecret(other)]).toEqual([true, true, false]);
  });
});
