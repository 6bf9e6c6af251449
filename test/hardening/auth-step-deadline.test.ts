/**
 * Issue 18, finding 3: `timeout` and `signal` cover the whole request, the
 * auth step included — a token provider that never answers, a custom flow
 * that awaits forever, a body that never ends on replay — and a stuck
 * attempt never keeps the bad-credential guard's slot: the next request with
 * a recovered provider goes out and succeeds.
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Auth, type AuthFlow, BearerAuth, Client, NetrcAuth, TimeoutError, withAuth } from "../../src/index.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";

let server: Recorder;

beforeAll(async () => {
  server = await startRecorder((request, response) => {
    const ok = request.headers.authorization === "Bearer good" || request.headers["x-retry"] === "1";
    response.writeHead(ok ? 200 : 401, { "www-authenticate": 'Bearer realm="r"' });
    response.end(ok ? "welcome" : "no");
  });
});
afterAll(() => server.close());
// One request first: the connection pool and the modules are warm before any deadline runs.
beforeAll(async () => {
  await (await fetch(`${server.url}/warm`)).text();
});

/** A provider that hangs while `stuck` is true, then answers "good". */
function recoveringProvider() {
  const state = { stuck: true, calls: 0 };
  const provider = () => {
    state.calls += 1;
    return state.stuck ? new Promise<string>(() => {}) : Promise.resolve("good");
  };
  return { state, provider };
}

const never = new Promise<never>(() => {});

/** A custom flow that awaits forever before it yields. */
class HangingAuth implements Auth {
  async *authFlow(request: Request): AuthFlow {
    await never;
    yield request;
  }
}

/** A custom flow that answers a 401 by waiting forever for a second credential. */
class HangsAfterChallenge implements Auth {
  async *authFlow(request: Request): AuthFlow {
    const response = yield request;
    if (response.status === 401) {
      await never;
      yield request;
    }
  }
}

/** A front door with a short deadline for the stuck attempts, and a long one for the request after recovery. */
interface Door {
  stuck(options?: { signal?: AbortSignal }): Promise<Response>;
  recovered(): Promise<Response>;
}

const STUCK_MS = 200;

const doors: ReadonlyArray<readonly [string, (auth: Auth, timeout: number) => Door]> = [
  [
    "Client",
    (auth, timeout) => {
      // One client: the recovered request goes through the same guard as the stuck ones.
      const client = new Client({ baseURL: server.url, auth, timeout });
      return {
        stuck: (options = {}) => client.get("/x", options),
        recovered: () => client.get("/x", { timeout: 10_000 }),
      };
    },
  ],
  [
    "withAuth",
    (auth, timeout) => {
      const authed = withAuth(fetch, auth, { timeout });
      const patient = withAuth(fetch, auth, { timeout: 10_000 });
      return {
        stuck: (options = {}) => authed(`${server.url}/x`, options),
        recovered: () => patient(`${server.url}/x`),
      };
    },
  ],
];

describe("the deadline covers the auth step", () => {
  for (const [name, make] of doors) {
    it(`${name}: a provider that never answers → TimeoutError; the next request, provider recovered, succeeds`, async () => {
      const { state, provider } = recoveringProvider();
      const door = make(new BearerAuth(provider), STUCK_MS);
      const before = server.requests.length;
      await expect(door.stuck()).rejects.toBeInstanceOf(TimeoutError);
      expect(server.requests.length - before).toBe(0);
      state.stuck = false;
      // The stuck attempt must not keep anything the next request needs (the guard's slot above all).
      const response = await door.recovered();
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("welcome");
      expect(state.calls).toBe(2);
    });

    it(`${name}: several stuck attempts in a row never block the recovered one`, async () => {
      const { state, provider } = recoveringProvider();
      const door = make(new BearerAuth(provider), STUCK_MS);
      const results = await Promise.allSettled([door.stuck(), door.stuck(), door.stuck()]);
      for (const result of results) {
        expect(result.status).toBe("rejected");
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(TimeoutError);
      }
      state.stuck = false;
      expect((await door.recovered()).status).toBe(200);
    });

    it(`${name}: a custom flow that awaits forever → TimeoutError`, async () => {
      await expect(make(new HangingAuth(), STUCK_MS).stuck()).rejects.toBeInstanceOf(TimeoutError);
    });

    it(`${name}: the caller's signal aborts a flow hung after a challenge, with the signal's reason`, async () => {
      const door = make(new HangsAfterChallenge(), 0);
      const controller = new AbortController();
      const before = server.requests.length;
      const pending = door.stuck({ signal: controller.signal });
      // Abort once the first leg has been answered: the flow is then inside its endless await.
      while (server.requests.length === before) await new Promise((resolve) => setTimeout(resolve, 5));
      const reason = new Error("caller gave up");
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
    });

    it(`${name}: a signal aborted while the provider hangs ends the request, with an AbortError`, async () => {
      const { provider } = recoveringProvider();
      const door = make(new BearerAuth(provider), 0);
      const controller = new AbortController();
      const pending = door.stuck({ signal: controller.signal });
      setTimeout(() => controller.abort(), 20);
      await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    });
  }

  it("a netrc file that is a FIFO no one writes to cannot outlast the timeout", async () => {
    const directory = mkdtempSync(join(tmpdir(), "authflow-fifo-"));
    const fifo = join(directory, "netrc");
    try {
      execFileSync("mkfifo", [fifo]);
      const client = new Client({ baseURL: server.url, auth: new NetrcAuth(fifo), timeout: 150 });
      // Either NetrcAuth refuses a FIFO outright (a typed error) or the deadline ends the wait: never a hang.
      const outcome = await client.get("/x").then(
        (response) => `status ${response.status}`,
        (error: unknown) => (error as Error).name,
      );
      expect(["TimeoutError", "NetrcError"]).toContain(outcome);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
