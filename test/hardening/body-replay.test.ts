// BODY-* scenarios (SECURITY.md, "Scenario → test").
// Already covered elsewhere: strings/bytes/Blob/URLSearchParams/streams replayed byte-identically after a 401 and a
// stream beyond maxReplayBytes refused before a second send → test/flow.test.ts; a body factory → test/flow.test.ts;
// auth-int over the exact bytes → test/schemes/digest.test.ts; BODY-03 303 drop, 307 replay, cross-origin 307 with
// credentials refused → test/redirects.test.ts.
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { BodyNotReplayableError, Client, DigestAuth } from "../../src/index.js";
import { canaries } from "../helpers/canary.js";
import { type Recorder, sha256, startRecorder } from "../helpers/recorder.js";

const secrets = canaries("body-replay");
const PASSWORD = secrets.get("password");
const servers: Recorder[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function digestServer(): Promise<Recorder> {
  const server = await startRecorder((request, response) => {
    if (request.headers.authorization === undefined) {
      response.writeHead(401, { "www-authenticate": 'Digest realm="r", nonce="n", qop="auth", algorithm=SHA-256' });
      response.end();
    } else response.end("stored");
  });
  servers.push(server);
  return server;
}

const payload = new TextEncoder().encode("BODY-01 payload ".repeat(4096)); // 64 KiB
function* chunks() {
  for (let offset = 0; offset < payload.length; offset += 1000) yield payload.slice(offset, offset + 1000);
}

/** ReadableStream.from (Node 20.6+), which the DOM typings do not declare yet. */
function streamFrom(iterable: Iterable<Uint8Array>): ReadableStream<Uint8Array> {
  return (ReadableStream as unknown as { from(source: Iterable<Uint8Array>): ReadableStream<Uint8Array> }).from(
    iterable,
  );
}

describe("BODY-01: a body after a Digest 401 is never re-sent truncated or empty (requests: V3)", () => {
  const sources: Array<[string, () => unknown]> = [
    ["a ReadableStream", () => streamFrom(chunks())],
    ["a Node Readable, as a web stream", () => Readable.toWeb(Readable.from(chunks()))],
    ["a Buffer", () => Buffer.from(payload)],
    ["a Blob", () => new Blob([payload])],
    ["a factory", () => () => streamFrom(chunks())],
  ];
  for (const [name, make] of sources) {
    it(`BODY-01: PUT with ${name}: the authenticated attempt carries the same ${payload.length} bytes`, async () => {
      const server = await digestServer();
      const response = await new Client().put(`${server.url}/file`, {
        body: make() as never,
        auth: new DigestAuth("u", PASSWORD),
      });
      expect(await response.text()).toBe("stored");
      const authenticated = server.requests.filter((request) => request.headers.authorization !== undefined);
      expect(authenticated).toHaveLength(1);
      expect(authenticated[0]?.bodyLength).toBe(payload.length);
      expect(authenticated[0]?.bodySha256).toBe(sha256(payload));
      for (const request of server.requests) expect([0, payload.length]).toContain(request.bodyLength);
    });
  }

  it("BODY-01: a one-shot stream larger than maxReplayBytes: BodyNotReplayableError, never a short or empty second send", async () => {
    const server = await digestServer();
    const error = await new Client({ maxReplayBytes: 10_000 })
      .put(`${server.url}/file`, { body: streamFrom(chunks()), auth: new DigestAuth("u", PASSWORD) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyNotReplayableError);
    expect(server.requests.filter((request) => request.headers.authorization !== undefined)).toHaveLength(0);
  });
});
