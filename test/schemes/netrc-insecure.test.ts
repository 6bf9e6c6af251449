/**
 * NetrcAuth and the insecure-transport rule: plain HTTP to a host that is not
 * loopback is refused only when netrc has credentials for that host. The
 * host is `api.authflow.test`, routed to a loopback recorder (a transport
 * that rewrites the URL for Client and withAuth; a DNS lookup override for
 * undici), so every request crosses a real socket.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, InsecureTransportError, NetrcAuth, withAuth } from "../../src/index.js";
import { authInterceptor } from "../../src/undici/index.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";

const HOST = "api.authflow.test";
let recorder: Recorder;
let directory: string;
let noEntry: string;
let withEntry: string;

beforeAll(async () => {
  recorder = await startRecorder();
  directory = mkdtempSync(join(tmpdir(), "authflow-netrc-insecure-"));
  noEntry = join(directory, "no-entry");
  withEntry = join(directory, "with-entry");
  writeFileSync(noEntry, "machine elsewhere.example login u password elsewhere-secret\n", { mode: 0o600 });
  writeFileSync(withEntry, `machine ${HOST} login u password netrc-secret-77\n`, { mode: 0o600 });
});

afterAll(async () => {
  await recorder.close();
  rmSync(directory, { recursive: true, force: true });
});

/** A transport that sends to the loopback recorder whatever was meant for HOST. */
const routed = (request: Request) => fetch(new Request(request.url.replace(`http://${HOST}`, recorder.url), request));

function viaUndici(path: string) {
  const agent = new Agent({
    connect: { lookup: (_host, _options, callback) => callback(null, [{ address: "127.0.0.1", family: 4 }]) },
  }).compose(authInterceptor(new NetrcAuth(path)));
  return request(`http://${HOST}:${recorder.port}/x`, { dispatcher: agent }).finally(() => agent.close());
}

describe("NetrcAuth over plain HTTP to a host that is not loopback", () => {
  it("no netrc entry for the host: the request goes out, without credentials (Client, withAuth, undici)", async () => {
    recorder.requests.length = 0;
    const client = new Client({ auth: new NetrcAuth(noEntry), fetch: routed });
    expect((await client.get(`http://${HOST}/x`)).status).toBe(200);
    expect((await withAuth(routed, new NetrcAuth(noEntry))(`http://${HOST}/y`)).status).toBe(200);
    const { statusCode, body } = await viaUndici(noEntry);
    await body.dump();
    expect(statusCode).toBe(200);
    expect(recorder.requests).toHaveLength(3);
    expect(recorder.requests.map((each) => each.headers.authorization)).toEqual([undefined, undefined, undefined]);
  });

  it("an entry for the host: InsecureTransportError, no connection, no secret in the message", async () => {
    recorder.requests.length = 0;
    const client = new Client({ auth: new NetrcAuth(withEntry), fetch: routed });
    const error = await client.get(`http://${HOST}/x`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InsecureTransportError);
    expect(String(error)).not.toContain("netrc-secret-77");
    await expect(viaUndici(withEntry)).rejects.toBeInstanceOf(InsecureTransportError);
    expect(recorder.requests).toHaveLength(0);
  });

  it("no entry, but an Authorization set by hand: still refused", async () => {
    recorder.requests.length = 0;
    const client = new Client({ auth: new NetrcAuth(noEntry), fetch: routed });
    await expect(
      client.get(`http://${HOST}/x`, { headers: { authorization: "Bearer by-hand" } }),
    ).rejects.toBeInstanceOf(InsecureTransportError);
    expect(recorder.requests).toHaveLength(0);
  });
});
