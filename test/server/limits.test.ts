/**
 * Issue 18, finding 7: the test server reads a body only on routes that use
 * it, within a per-route cap, and holds at most `limits.totalBodyBytes` of
 * bodies across every request in flight; stalled uploads are cut off. What
 * the server holds is measured by its own counter (`stats().bodyBytesBuffered`
 * and its peak), not by heap timing.
 */
import { type ClientRequest, request as httpRequest, type IncomingMessage } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DigestAuth, withAuth } from "../../src/index.js";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { useTestServer } from "../helpers/server.js";

const MIB = 1024 * 1024;
const server = useTestServer({ faults: true });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until it holds (the test's own timeout bounds the wait). */
async function eventually(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(20);
}

/** An upload that sends `sent` bytes of a body and then stops, never ending it. */
interface PausedUpload {
  readonly request: ClientRequest;
  status: number | undefined;
  closed: boolean;
}

function pausedUpload(url: string, sent: number, declared: number | undefined): PausedUpload {
  const headers: Record<string, string> = declared === undefined ? {} : { "content-length": String(declared) };
  const request = httpRequest(`${url}/anything`, { method: "POST", headers, agent: false });
  const upload: PausedUpload = { request, status: undefined, closed: false };
  request.on("response", (response: IncomingMessage) => {
    upload.status = response.statusCode;
    response.resume();
  });
  request.on("error", () => {});
  request.on("close", () => {
    upload.closed = true;
  });
  request.write(Buffer.alloc(sent, 0x61));
  return upload;
}

async function post(path: string, body: Uint8Array<ArrayBuffer> | string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, { method: "POST", body, headers });
  return { status: response.status, text: await response.text() };
}

describe("the test server's request bodies (issue 18, finding 7)", () => {
  it("a body over /anything's 1 MiB cap gets 413, declared or chunked, and the server holds at most the cap", async () => {
    server.reset();
    expect((await post("/anything", new Uint8Array(5 * MIB))).status).toBe(413);
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= 5 * MIB) return controller.close();
        pulled += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const chunked = await fetch(`${server.url}/anything`, {
      method: "POST",
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
    await chunked.arrayBuffer();
    const stats = server.stats();
    expect(stats.bodiesRefused).toBe(2);
    expect(stats.bodyBytesBufferedPeak).toBeLessThanOrEqual(MIB);
    await eventually(() => server.stats().bodyBytesBuffered === 0);
    // A body of exactly the cap is still echoed whole.
    const exact = JSON.parse((await post("/anything", new Uint8Array(MIB))).text);
    expect(exact.bodyLength).toBe(MIB);
  });

  it("routes that do not use bodies discard them unread: Basic, Bearer, status, 404, Digest without auth-int", async () => {
    server.reset();
    const big = new Uint8Array(3 * MIB);
    expect((await post("/basic-auth/u/p", big)).status).toBe(401);
    expect((await post("/bearer", big, { authorization: "Bearer t" })).status).toBe(200);
    expect((await post("/status/204", big)).status).toBe(204);
    expect((await post("/nowhere", big)).status).toBe(404);
    expect((await post("/_stats", big)).status).toBe(200);
    expect((await post("/digest-auth/auth/u/p", big)).status).toBe(401);
    expect(server.stats().bodyBytesBufferedPeak).toBe(0);
    expect(server.stats().bodiesRefused).toBe(0);
  });

  it("Digest auth-int still hashes the body it reads (RFC 7616 §3.4.3), and refuses one over the cap", async () => {
    server.reset();
    const digest = withAuth(fetch, new DigestAuth("u", "p"));
    const body = "x".repeat(64 * 1024);
    const ok = await digest(`${server.url}/digest-auth/auth-int/u/p`, { method: "POST", body });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    expect((await post("/digest-auth/auth-int/u/p", new Uint8Array(2 * MIB))).status).toBe(413);
  });

  it("the token endpoint reads at most 16 KiB and the fault route 4 KiB", async () => {
    const form = new URLSearchParams({ grant_type: "client_credentials", padding: "p".repeat(20 * 1024) });
    expect(
      (await post("/oauth/token", form.toString(), { "content-type": "application/x-www-form-urlencoded" })).status,
    ).toBe(413);
    expect((await post("/oauth/_faults", JSON.stringify({ next: 0, pad: "p".repeat(5000) }))).status).toBe(413);
  });

  it("12 paused uploads of ~1 MiB: the server holds at most 8 MiB, answers 503 beyond, and frees them when clients go", async () => {
    server.reset();
    const sent = MIB - 1024;
    // Half declare their length, half are chunked: both the up-front check and the per-chunk one are exercised.
    const uploads = Array.from({ length: 12 }, (_, index) =>
      pausedUpload(server.url, sent, index % 2 === 0 ? MIB : undefined),
    );
    const refused = () => uploads.filter((upload) => upload.status !== undefined).length;
    // Settled: every upload is either fully held (all its bytes arrived) or has its 503.
    await eventually(() => server.stats().bodyBytesBuffered === (12 - refused()) * sent);
    const stats = server.stats();
    console.info(
      `12 paused uploads of ${sent} bytes: ${stats.bodyBytesBuffered} bytes held (peak ${stats.bodyBytesBufferedPeak}), ${refused()} refused`,
    );
    expect(stats.bodyBytesBufferedPeak).toBeLessThanOrEqual(8 * MIB);
    expect(refused()).toBeGreaterThanOrEqual(4);
    expect(new Set(uploads.flatMap((upload) => (upload.status === undefined ? [] : [upload.status])))).toEqual(
      new Set([503]),
    );
    for (const upload of uploads) upload.request.destroy();
    await eventually(() => server.stats().bodyBytesBuffered === 0);
    // And the server is whole again.
    expect((await post("/anything", "after")).status).toBe(200);
  });
});

describe("stalled requests are cut off (limits.requestTimeoutMs)", () => {
  let quick: TestServer;
  beforeAll(async () => {
    quick = await startTestServer({ limits: { requestTimeoutMs: 300 } });
  });
  afterAll(() => quick.close());

  it("a paused upload gets 408 and its bytes are released; a request whose headers never end is closed", async () => {
    const upload = pausedUpload(quick.url, 64 * 1024, 128 * 1024);
    await eventually(() => quick.stats().bodyBytesBuffered === 64 * 1024 || upload.closed);
    const socket = connect(Number(new URL(quick.url).port), "127.0.0.1");
    let socketClosed = false;
    socket.on("error", () => {});
    // Flowing, so the server's close is seen.
    socket.resume();
    socket.on("close", () => {
      socketClosed = true;
    });
    socket.write("POST /anything HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    await eventually(() => upload.closed && socketClosed);
    expect(upload.status === undefined || upload.status === 408).toBe(true);
    expect(quick.stats().bodyBytesBuffered).toBe(0);
  });
});
