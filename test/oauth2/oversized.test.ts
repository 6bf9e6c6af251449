/**
 * A token endpoint (or metadata URL) that answers with an endless body: the
 * read stops at 1 MiB with TokenEndpointError, not retried, and the
 * connection is closed rather than drained.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientCredentialsAuth, TokenEndpointError } from "../../src/index.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";

let server: Recorder;
let bytesWritten = 0;

beforeAll(async () => {
  server = await startRecorder((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    const chunk = Buffer.alloc(64 * 1024, 0x20); // JSON white space, forever (bounded below)
    let sent = 0;
    const pump = () => {
      // Bounded: 64 MiB at most, so a client that never stops reading cannot keep this test alive.
      while (sent < 1024 && !response.destroyed) {
        sent++;
        bytesWritten += chunk.length;
        if (!response.write(chunk)) {
          response.once("drain", pump);
          return;
        }
      }
      response.end();
    };
    response.on("close", () => response.removeAllListeners("drain"));
    pump();
  });
});

afterAll(() => server.close());

describe("an endless answer from the authorization server", () => {
  it("from the token endpoint: TokenEndpointError after 1 MiB, one request, no retry", async () => {
    const auth = new ClientCredentialsAuth({
      tokenUrl: `${server.url}/token`,
      clientId: "c",
      clientSecret: "endless-secret-41",
    });
    const before = server.requests.length;
    const error = (await auth.getToken().catch((caught: unknown) => caught)) as TokenEndpointError;
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(error.message).toMatch(/more than 1024 KiB/);
    expect(error.message).not.toContain("endless-secret-41");
    expect(server.requests.length - before).toBe(1);
    expect(bytesWritten).toBeLessThan(64 * 1024 * 1024);
  });

  it("from discovery: TokenEndpointError after 1 MiB", async () => {
    const auth = new ClientCredentialsAuth({ issuer: server.url, clientId: "c", clientSecret: "s" });
    await expect(auth.getToken()).rejects.toThrow(/metadata at .* more than 1024 KiB/);
  });
});
