/**
 * Issue 12, finding 3, the class beyond Auth objects: credential headers set
 * by hand (no `auth`) are credentials too. A wrong API key or password sent by
 * hand, request after request, is throttled like a wrong password given as
 * `auth`: 3 attempts reach the server, then AuthRejectedError without a
 * request. The same headers from another client share the count; other
 * values do not.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthRejectedError, Client, withAuth } from "../../src/index.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";

let recorder: Recorder;

beforeAll(async () => {
  recorder = await startRecorder((request, response) => {
    const good = request.headers["x-api-key"] === "good-key" || request.headers.authorization === "Basic Z29vZDpnb29k";
    response.writeHead(good ? 200 : 401, good ? {} : { "www-authenticate": 'Basic realm="hand"' });
    response.end(good ? "ok" : "no");
  });
});
afterAll(() => recorder.close());

async function outcomes(send: () => Promise<Response>, count: number): Promise<string[]> {
  const seen: string[] = [];
  for (let index = 0; index < count; index++) {
    try {
      const response = await send();
      await response.arrayBuffer();
      seen.push(String(response.status));
    } catch (error) {
      seen.push(error instanceof AuthRejectedError ? "rejected" : String(error));
    }
  }
  return seen;
}

describe("credential headers set by hand go through the bad-credential guard", () => {
  it.each([
    ["X-Api-Key", { "x-api-key": "wrong-key-1" }],
    ["Authorization", { authorization: "Basic d3Jvbmc6d3Jvbmc=" }],
    ["Cookie", { cookie: "session=expired-1" }],
  ])("a wrong %s sent 10 times through Client reaches the server 3 times", async (_name, headers) => {
    const before = recorder.requests.length;
    const client = new Client({ baseURL: recorder.url });
    const seen = await outcomes(() => client.get("/x", { headers }), 10);
    expect(recorder.requests.length - before).toBe(3);
    expect(seen).toEqual(["401", "401", "401", ...Array(7).fill("rejected")]);
  });

  it("the count follows the header values across clients and withAuth", async () => {
    const before = recorder.requests.length;
    const headers = { "x-api-key": "wrong-key-shared" };
    await outcomes(() => new Client().get(`${recorder.url}/a`, { headers }), 2);
    await outcomes(() => withAuth(fetch, null)(`${recorder.url}/b`, { headers }), 3);
    expect(recorder.requests.length - before).toBe(3);
  });

  it("right values are not held back by wrong ones", async () => {
    const client = new Client({ baseURL: recorder.url });
    await outcomes(() => client.get("/x", { headers: { "x-api-key": "wrong-key-2" } }), 5);
    const seen = await outcomes(() => client.get("/x", { headers: { "x-api-key": "good-key" } }), 5);
    expect(seen).toEqual(Array(5).fill("200"));
  });

  it("rejectionGuard: false lets every request through", async () => {
    const before = recorder.requests.length;
    const client = new Client({ baseURL: recorder.url, rejectionGuard: false });
    await outcomes(() => client.get("/x", { headers: { "x-api-key": "wrong-key-3" } }), 5);
    expect(recorder.requests.length - before).toBe(5);
  });
});

describe("NetrcAuth made per request is counted by the entry's credentials", () => {
  it("a wrong netrc password sent 10 times through new NetrcAuth objects reaches the server 3 times", async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const { NetrcAuth } = await import("../../src/index.js");
    const directory = mkdtempSync(join(tmpdir(), "authflow-netrc-guard-"));
    const path = join(directory, "netrc");
    writeFileSync(path, "machine 127.0.0.1 login wrong password wrong-netrc\n", { mode: 0o600 });
    try {
      const before = recorder.requests.length;
      const client = new Client({ baseURL: recorder.url });
      const seen = await outcomes(() => client.get("/x", { auth: new NetrcAuth(path) }), 10);
      expect(recorder.requests.length - before).toBe(3);
      expect(seen.filter((outcome) => outcome === "rejected")).toHaveLength(7);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
