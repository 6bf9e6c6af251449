// Issue 12.3 / 13.1: the guard's memory is bounded, and unrelated traffic — other credentials,
// succeeding or failing, through the same process — cannot push a credential's failures out of it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RejectionGuard } from "../../src/guard/guard.js";
import { ORDINARY_ENTRIES, PROTECTED_ENTRIES, storeSize } from "../../src/guard/store.js";
import { BasicAuth, Client } from "../../src/index.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";

let refusing: Recorder;
let accepting: Recorder;
beforeAll(async () => {
  refusing = await startRecorder((_request, response) => {
    response.writeHead(401, { "www-authenticate": 'Basic realm="locks accounts"' });
    response.end("no");
  });
  accepting = await startRecorder();
});
afterAll(async () => {
  await Promise.all([refusing.close(), accepting.close()]);
});

const client = new Client();
const status = (url: string, auth: [string, string]) =>
  client.get(url, { auth }).then(
    async (response) => {
      await response.arrayBuffer();
      return response.status;
    },
    (error: Error) => error.name,
  );
const sentWith = (recorder: Recorder, username: string) =>
  recorder.requests.filter((request) => request.headers.authorization === `Basic ${btoa(`${username}`)}`).length;

const accepted = new Response(null, { status: 200 });
const refused = new Response(null, { status: 401, headers: { "www-authenticate": 'Basic realm="x"' } });

/** One request's passage through the guard, as the send path has it: admitted, then its answer recorded. */
function record(guard: RejectionGuard, auth: BasicAuth, url: string, answer: Response): void {
  const origin = new URL(url).origin;
  const ticket = guard.enter(auth, origin);
  if (typeof ticket !== "boolean") throw new Error("a first attempt never waits");
  guard.record(auth, origin, answer, ticket);
}

/** Runs `count` calls `width` at a time. */
async function spread(count: number, width: number, call: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await call(next++);
    }),
  );
}

describe("the guard's state survives unrelated traffic", () => {
  // 10,000 other credentials: 2,000 over real sockets through a Client (1,000 that work elsewhere, 1,000 that
  // fail at the same server), 8,000 more recorded the way the send path records them (the suite's time).
  it("a tripped credential stays blocked after 10,000 other credentials went through the process", async () => {
    const victim: [string, string] = ["victim", "wrong"];
    for (let call = 0; call < 3; call++) expect(await status(`${refusing.url}/x`, victim)).toBe(401);
    await spread(1_000, 16, async (index) => expect(await status(`${accepting.url}/x`, [`ok${index}`, "p"])).toBe(200));
    await spread(1_000, 16, async (index) => expect(await status(`${refusing.url}/x`, [`bad${index}`, "p"])).toBe(401));
    const guard = new RejectionGuard();
    for (let index = 1_000; index < 5_000; index++) {
      record(guard, new BasicAuth(`ok${index}`, "p"), accepting.url, accepted);
      record(guard, new BasicAuth(`bad${index}`, "p"), refusing.url, refused);
    }
    expect(await status(`${refusing.url}/x`, victim)).toBe("AuthRejectedError");
    expect(sentWith(refusing, "victim:wrong")).toBe(3);
    const { ordinary, protected: held } = storeSize();
    expect(ordinary).toBeLessThanOrEqual(ORDINARY_ENTRIES);
    expect(held).toBeLessThanOrEqual(PROTECTED_ENTRIES);
  });

  it("a full store of failing credentials neither resets a tripped nor a half-counted credential, and stays bounded", async () => {
    const tripped: [string, string] = ["tripped", "wrong"];
    const halfway: [string, string] = ["halfway", "wrong"];
    for (let call = 0; call < 3; call++) await status(`${refusing.url}/y`, tripped);
    for (let call = 0; call < 2; call++) await status(`${refusing.url}/y`, halfway);
    // More failing credentials than the store protects, recorded as the send path records them.
    const guard = new RejectionGuard();
    for (let index = 0; index < PROTECTED_ENTRIES + 5_000; index++) {
      record(guard, new BasicAuth(`flood${index}`, "p"), refusing.url, refused);
    }
    const { ordinary, protected: held } = storeSize();
    expect(ordinary).toBeLessThanOrEqual(ORDINARY_ENTRIES);
    expect(held).toBe(PROTECTED_ENTRIES);
    expect(await status(`${refusing.url}/y`, tripped)).toBe("AuthRejectedError");
    expect(await status(`${refusing.url}/y`, halfway)).toBe(401);
    expect(await status(`${refusing.url}/y`, halfway)).toBe("AuthRejectedError");
    expect(sentWith(refusing, "tripped:wrong")).toBe(3);
    expect(sentWith(refusing, "halfway:wrong")).toBe(3);
  });
});
