import { Readable } from "node:stream";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Auth, BasicAuth, BodyNotReplayableError } from "../src/index.js";
import { authInterceptor } from "../src/undici/index.js";
import { type Recorder, sha256, startRecorder } from "./helpers/recorder.js";
import { authAgent, challengeThenEcho, retryAfter401, StaleThenGood } from "./helpers/undici.js";

describe("authInterceptor: request bodies", () => {
  let echo: Recorder;
  beforeAll(async () => {
    echo = await startRecorder(challengeThenEcho());
  });
  afterAll(() => echo.close());
  afterEach(() => {
    echo.requests.length = 0;
  });

  it("re-sends a string body after a 401, byte for byte", async () => {
    const dispatcher = authAgent(authInterceptor(retryAfter401));
    const text = "héllo, wörld ".repeat(100);
    const { body } = await request(`${echo.url}/upload`, { dispatcher, method: "POST", body: text });
    expect(await body.json()).toEqual({ length: Buffer.byteLength(text), sha256: sha256(text) });
    expect(echo.requests.map((seen) => seen.bodySha256)).toEqual([sha256(text), sha256(text)]);
    // No content-type the caller did not set.
    expect(echo.requests.map((seen) => seen.headers["content-type"])).toEqual([undefined, undefined]);
  });

  it("re-sends a Buffer body after the fast path's 401, in two requests in all", async () => {
    const dispatcher = authAgent(authInterceptor(new StaleThenGood()));
    const bytes = Buffer.from([0, 1, 2, 255, 254]);
    const { body } = await request(`${echo.url}/upload`, { dispatcher, method: "PUT", body: bytes });
    expect(await body.json()).toEqual({ length: 5, sha256: sha256(bytes) });
    expect(echo.requests.map((seen) => [seen.headers.authorization, seen.bodySha256])).toEqual([
      ["Bearer stale", sha256(bytes)],
      ["Bearer good", sha256(bytes)],
    ]);
  });

  it("re-sends a small stream after the fast path's 401", async () => {
    const dispatcher = authAgent(authInterceptor(new StaleThenGood()));
    const { body } = await request(`${echo.url}/upload`, {
      dispatcher,
      method: "POST",
      body: Readable.from(["ab", "cd"]),
      headers: { "content-length": "4" },
    });
    expect(await body.json()).toEqual({ length: 4, sha256: sha256("abcd") });
    expect(echo.requests.map((seen) => seen.body)).toEqual(["abcd", "abcd"]);
  });

  it("fails a large stream's resend after the fast path's 401, but returns a 401 that needs no resend", async () => {
    const dispatcher = authAgent(authInterceptor(new StaleThenGood(), { maxReplayBytes: 1024 }));
    const large = () => Readable.from([Buffer.alloc(4096, "a")]);
    const upload = request(`${echo.url}/upload`, { dispatcher, method: "POST", body: large() });
    await expect(upload).rejects.toBeInstanceOf(BodyNotReplayableError);
    expect(echo.requests.length).toBe(1);
    const basic = authAgent(authInterceptor(new BasicAuth("u", "p"), { maxReplayBytes: 1024, rejectionGuard: false }));
    const { statusCode, body } = await request(`${echo.url}/upload`, {
      dispatcher: basic,
      method: "POST",
      body: large(),
    });
    expect(statusCode).toBe(401);
    await body.dump();
  });

  it("records a small stream body and re-sends it", async () => {
    const dispatcher = authAgent(authInterceptor(retryAfter401));
    const chunks = [Buffer.alloc(3000, "a"), Buffer.alloc(3000, "b")];
    const { body } = await request(`${echo.url}/upload`, { dispatcher, method: "POST", body: Readable.from(chunks) });
    expect(await body.json()).toEqual({ length: 6000, sha256: sha256(Buffer.concat(chunks)) });
  });

  it("refuses to re-send a stream larger than maxReplayBytes: BodyNotReplayableError, nothing re-sent", async () => {
    const dispatcher = authAgent(authInterceptor(retryAfter401, { maxReplayBytes: 1024 }));
    const stream = Readable.from([Buffer.alloc(4096, "a"), Buffer.alloc(4096, "b")]);
    await expect(request(`${echo.url}/upload`, { dispatcher, method: "POST", body: stream })).rejects.toBeInstanceOf(
      BodyNotReplayableError,
    );
    expect(echo.requests.length).toBe(1);
    expect(echo.requests[0]?.bodyLength).toBe(8192);
  });

  it("streams a large final response to the caller whole", async () => {
    const large = await startRecorder(challengeThenEcho(3 * 1024 * 1024));
    try {
      const dispatcher = authAgent(authInterceptor(retryAfter401));
      const { statusCode, body } = await request(`${large.url}/big`, { dispatcher });
      expect(statusCode).toBe(200);
      const bytes = Buffer.from(await body.arrayBuffer());
      expect(bytes.length).toBe(3 * 1024 * 1024);
      expect(sha256(bytes)).toBe(sha256(Buffer.alloc(3 * 1024 * 1024, "x")));
    } finally {
      await large.close();
    }
  });

  it("still delivers the final body when the flow read a clone of it", async () => {
    const peeking: Auth = {
      async *authFlow(request) {
        request.headers.set("authorization", "Bearer good");
        const response: Response = yield request;
        expect((await response.clone().json()).length).toBe(0);
      },
    };
    const dispatcher = authAgent(authInterceptor(peeking));
    const { body } = await request(`${echo.url}/peek`, { dispatcher });
    expect(await body.json()).toEqual({ length: 0, sha256: sha256("") });
  });

  it("aborts a flow that is still running when the caller's signal fires", async () => {
    let release: () => void = () => {};
    const slow: Auth = {
      async *authFlow(request) {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        yield request;
      },
    };
    const dispatcher = authAgent(authInterceptor(slow));
    const controller = new AbortController();
    const pending = request(`${echo.url}/slow`, { dispatcher, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(new Error("caller gave up"));
    release();
    await expect(pending).rejects.toThrow("caller gave up");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(echo.requests.length).toBe(0);
  });
});
