import { afterAll, beforeAll } from "vitest";
import { startTestServer, type TestServer, type TestServerOptions } from "../../src/server/index.js";

/**
 * The embedded test server for one test file: started before its tests, stopped after them. What it
 * returns stands for the running server (`server.url`, `server.stats()`, `server.reset()`…) once the
 * file's tests run; reading it at module load, before the server started, throws.
 *
 * @example
 * ```ts
 * const server = useTestServer({ faults: true });
 * it("answers", async () => expect((await fetch(`${server.url}/status/200`)).status).toBe(200));
 * ```
 */
export function useTestServer(options?: TestServerOptions): TestServer {
  let running: TestServer | undefined;
  beforeAll(async () => {
    running = await startTestServer(options);
  });
  afterAll(async () => {
    await running?.close();
    running = undefined;
  });
  return new Proxy({} as TestServer, {
    get(_target, property) {
      if (running === undefined) throw new Error("the test server is used before beforeAll started it");
      const value = Reflect.get(running, property, running);
      return typeof value === "function" ? value.bind(running) : value;
    },
  });
}

/**
 * Runs `body` against a test server of its own, started with `options` and stopped afterwards, whatever
 * `body` does: for the tests that need a server configured differently from their file's.
 *
 * @example
 * ```ts
 * await withServer({ dpop: { requireNonce: true } }, async (on) => expect((await fetch(on.url)).ok).toBe(true));
 * ```
 */
export async function withServer(
  options: TestServerOptions | undefined,
  body: (server: TestServer) => Promise<void>,
): Promise<void> {
  const server = await startTestServer(options);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}
