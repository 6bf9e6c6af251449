import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Auth, type AuthFlow, BodyNotReplayableError, Client, FlowError, withAuth } from "../src/index.js";
import { type Recorder, sha256, startRecorder } from "./helpers/recorder.js";

/** Answers 401 (with a 60 KiB body: more than the transport buffers, less than the drain limit) unless the request carries `x-retry`, like a challenge. */
let challenger: Recorder;

beforeAll(async () => {
  challenger = await startRecorder((request, response) => {
    if (request.headers["x-retry"] === undefined) {
      response.writeHead(401, { "www-authenticate": 'Custom realm="test"', "content-type": "text/plain" });
      response.end("x".repeat(60 * 1024));
      return;
    }
    response.writeHead(200, { "content-type": "text/plain" });
    response.end("welcome");
  });
});
afterAll(() => challenger.close());

/** A custom flow that answers a 401 by resending with a header, as a challenge-response scheme would. */
class RetryOn401 implements Auth {
  *authFlow(request: Request): AuthFlow {
    const response = yield request;
    if (response.status === 401) {
      request.headers.set("x-retry", "1");
      yield request;
    }
  }
}

class AsyncRetryOn401 implements Auth {
  async *authFlow(request: Request): AuthFlow {
    await Promise.resolve();
    const response = yield request;
    if (response.status === 401) {
      request.headers.set("x-retry", "1");
      yield request;
    }
  }
}

function streamOf(bytes: Uint8Array, chunkSize = 16 * 1024): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

const payload = new TextEncoder().encode("the quick brown fox ".repeat(500));

describe("the auth-flow driver", () => {
  const bodies: Array<[string, () => BodyInit, string | null]> = [
    ["a string", () => "hello, world", sha256("hello, world")],
    ["bytes", () => payload, sha256(payload)],
    ["URLSearchParams", () => new URLSearchParams({ a: "1", b: "two words" }), sha256("a=1&b=two+words")],
    ["a Blob", () => new Blob([payload]), sha256(payload)],
    ["a ReadableStream under maxReplayBytes", () => streamOf(payload), sha256(payload)],
    [
      "FormData",
      () => {
        const form = new FormData();
        form.set("field", "value");
        return form;
      },
      null,
    ],
  ];

  for (const auth of [new RetryOn401(), new AsyncRetryOn401()]) {
    for (const [kind, make, expected] of bodies) {
      it(`resends ${kind} byte-identically after a 401 (${auth.constructor.name})`, async () => {
        const before = challenger.requests.length;
        const client = new Client({ auth });
        const response = await client.post(`${challenger.url}/upload`, { body: make() });
        expect(response.status).toBe(200);
        expect(await response.text()).toBe("welcome");
        const attempts = challenger.requests.slice(before);
        expect(attempts).toHaveLength(2);
        const [first, second] = attempts as [(typeof attempts)[0], (typeof attempts)[0]];
        expect(first.bodyLength).toBeGreaterThan(0);
        if (expected !== null) expect(first.bodySha256).toBe(expected);
        if (expected !== null) expect(second.bodySha256).toBe(expected);
        else expect(second.body.replace(/-+\S+/g, "")).toBe(first.body.replace(/-+\S+/g, ""));
        expect(second.headers["content-length"]).toBe(String(second.bodyLength));
      });
    }
  }

  it("refuses to resend a stream that outgrew maxReplayBytes, before sending anything twice", async () => {
    const before = challenger.requests.length;
    const big = new Uint8Array(256 * 1024).fill(7);
    const client = new Client({ auth: new RetryOn401(), maxReplayBytes: 64 * 1024 });
    const attempt = client.post(`${challenger.url}/upload`, { body: streamOf(big) });
    await expect(attempt).rejects.toBeInstanceOf(BodyNotReplayableError);
    await expect(attempt).rejects.toThrow(/maxReplayBytes/);
    const attempts = challenger.requests.slice(before);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]?.bodySha256).toBe(sha256(big));
  });

  it("replays a body factory by calling it again", async () => {
    const before = challenger.requests.length;
    let calls = 0;
    const client = new Client({ auth: new RetryOn401() });
    const response = await client.put(`${challenger.url}/upload`, {
      body: () => {
        calls += 1;
        return streamOf(payload);
      },
    });
    expect(response.status).toBe(200);
    expect(calls).toBe(2);
    expect(challenger.requests.slice(before).map((request) => request.bodySha256)).toEqual([
      sha256(payload),
      sha256(payload),
    ]);
  });

  it("drains intermediate responses: 1,000 challenge round trips reuse a bounded set of sockets", async () => {
    const before = challenger.connections();
    const client = new Client({ auth: new RetryOn401() });
    for (let index = 0; index < 1000; index++) {
      const response = await client.get(`${challenger.url}/resource`);
      expect(response.status).toBe(200);
      await response.text();
    }
    // Undrained 401 bodies would pin one socket each: 1,000 connections.
    expect(challenger.connections() - before).toBeLessThanOrEqual(4);
  });

  it("stops a flow that loops with FlowError", async () => {
    const looping: Auth = {
      *authFlow(request) {
        for (;;) yield request;
      },
    };
    const before = challenger.requests.length;
    const attempt = new Client({ auth: looping, maxFlowSteps: 5 }).get(`${challenger.url}/loop`);
    await expect(attempt).rejects.toBeInstanceOf(FlowError);
    expect(challenger.requests.length - before).toBe(5);
  });

  it("rejects a flow that yields something other than a Request", async () => {
    const wrong = {
      *authFlow() {
        yield "nope" as unknown as Request;
      },
    } satisfies Auth;
    await expect(new Client({ auth: wrong }).get(`${challenger.url}/x`)).rejects.toThrow(/must yield Request objects/);
  });

  it("rejects a flow that yields nothing", async () => {
    const silent = { *authFlow() {} } satisfies Auth;
    await expect(new Client({ auth: silent }).get(`${challenger.url}/x`)).rejects.toBeInstanceOf(FlowError);
  });

  it("closes the flow (runs its finally) when sending fails", async () => {
    let closed = false;
    const auth: Auth = {
      *authFlow(request) {
        try {
          yield request;
        } finally {
          closed = true;
        }
      },
    };
    const dead = await startRecorder();
    const url = dead.url;
    await dead.close();
    await expect(new Client({ auth }).get(`${url}/x`)).rejects.toThrow();
    expect(closed).toBe(true);
  });

  it("returns a final 401 instead of throwing (fetch semantics)", async () => {
    const once: Auth = {
      *authFlow(request) {
        yield request;
      },
    };
    const response = await withAuth(fetch, once)(`${challenger.url}/x`);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain("Custom");
  });

  it("never mutates the caller's Request or headers", async () => {
    const headers = new Headers({ "x-caller": "1" });
    const original = new Request(`${challenger.url}/x`, { headers });
    const response = await withAuth(fetch, new RetryOn401())(original);
    expect(response.status).toBe(200);
    expect(original.headers.has("x-retry")).toBe(false);
    expect(headers.has("x-retry")).toBe(false);
  });
});
