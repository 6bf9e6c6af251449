// Issue 18.1: a discovery answer that never finishes must not hang requests for that issuer — discovery is
// bounded by retryBudgetMs and by the caller's signal, and a failed, timed-out or abandoned one is not kept.
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Client, ClientCredentialsAuth, TokenEndpointError, withAuth } from "../../src/index.js";
import { startTestServer, type TestServer } from "../../src/server/index.js";

/** An issuer whose metadata answer starts and never ends while `hanging`, and is whole otherwise. */
async function startIssuer(tokenServer: TestServer) {
  const open = new Set<ServerResponse>();
  let hanging = true;
  let requests = 0;
  const server = createServer((request, response) => {
    requests += 1;
    if (!request.url?.startsWith("/.well-known/")) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/json" });
    if (hanging) {
      open.add(response);
      response.on("close", () => open.delete(response));
      response.write('{"issuer":'); // …and nothing more, ever
      return;
    }
    response.end(JSON.stringify({ issuer: url, token_endpoint: `${tokenServer.url}/oauth/token` }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    /** Answers still held open: a released discovery closes its connection. */
    open: () => open.size,
    requests: () => requests,
    recover() {
      hanging = false;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let tokenServer: TestServer;
let issuer: Awaited<ReturnType<typeof startIssuer>>;
beforeAll(async () => {
  tokenServer = await startTestServer();
});
afterAll(() => tokenServer.close());
afterEach(() => issuer.close());

const auth = (options: { retryBudgetMs?: number } = {}) =>
  new ClientCredentialsAuth({ issuer: issuer.url, clientId: "basic-client", clientSecret: "basic-secret", ...options });

describe("discovery against a server that never finishes its answer (18.1)", () => {
  it("retryBudgetMs bounds it, a timed-out discovery is not kept, and once the server recovers a new instance gets a token", async () => {
    issuer = await startIssuer(tokenServer);
    const stuck = auth({ retryBudgetMs: 300 });
    const error = await stuck.getToken().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect((error as Error).message).toMatch(/retryBudgetMs/);
    await expect(withAuth(fetch, stuck)(`${tokenServer.url}/oauth/protected`)).rejects.toBeInstanceOf(
      TokenEndpointError,
    );
    issuer.recover();
    // Not kept: a new instance gets a token at once (the same instance does too: see the next test).
    expect((await auth().getToken()).tokenType).toBe("Bearer");
  });

  it("the caller's signal and timeout release it at once, the abandoned discovery is cancelled, and a new instance is not held by it", async () => {
    issuer = await startIssuer(tokenServer);
    const stuck = auth(); // the default budget: 30 s
    const reasons = await Promise.all([
      stuck.getToken({ signal: AbortSignal.timeout(200) }).catch((caught: unknown) => caught),
      withAuth(fetch, stuck)(`${tokenServer.url}/oauth/protected`, { signal: AbortSignal.timeout(200) }).catch(
        (caught: unknown) => caught,
      ),
      new Client({ auth: stuck, timeout: 200 })
        .get(`${tokenServer.url}/oauth/protected`)
        .catch((caught: unknown) => caught),
    ]);
    for (const reason of reasons) expect(reason).toMatchObject({ name: "TimeoutError" });
    // Nobody waits for it any more: the connection is closed, not left to the 30 s budget.
    await waitFor(() => issuer.open() === 0);
    issuer.recover();
    expect((await auth().getToken()).tokenType).toBe("Bearer");
    expect((await stuck.getToken()).tokenType).toBe("Bearer");
  });

  it("concurrent callers still share one discovery", async () => {
    issuer = await startIssuer(tokenServer);
    issuer.recover();
    const instance = auth();
    await Promise.all(Array.from({ length: 20 }, () => instance.getToken()));
    expect(issuer.requests()).toBe(1);
  });
});

describe("the token request is bounded the same way (18.1, every request made on the caller's behalf)", () => {
  it("a token endpoint that never finishes its answer, and a fetch that ignores its signal, end within retryBudgetMs", async () => {
    issuer = await startIssuer(tokenServer); // its answers never finish while hanging: used as the token endpoint
    const neverEnds = new ClientCredentialsAuth({
      tokenUrl: `${issuer.url}/.well-known/token`,
      clientId: "c",
      clientSecret: "s",
      retryBudgetMs: 300,
    });
    await expect(neverEnds.getToken()).rejects.toThrow(/retryBudgetMs/);
    const deaf = new ClientCredentialsAuth({
      tokenUrl: `${tokenServer.url}/oauth/token`,
      clientId: "basic-client",
      clientSecret: "basic-secret",
      retryBudgetMs: 300,
      fetch: () => new Promise<Response>(() => {}),
    });
    await expect(deaf.getToken()).rejects.toThrow(/retryBudgetMs/);
    await expect(deaf.getToken({ signal: AbortSignal.timeout(50) })).rejects.toMatchObject({ name: "TimeoutError" });
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 500 && !condition(); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(condition()).toBe(true);
}
