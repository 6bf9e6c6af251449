import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  BearerAuth,
  Client,
  InvalidArgumentError,
  InvalidCredentialsError,
  MissingCredentialsError,
} from "../../src/index.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";
import { useTestServer } from "../helpers/server.js";

const server = useTestServer();

describe("BearerAuth", () => {
  it("sends a static token", async () => {
    const client = new Client({ baseURL: server.url, auth: new BearerAuth("abc123yourapitoken456def") });
    expect(await (await client.get("/bearer")).json()).toEqual({
      authenticated: true,
      token: "abc123yourapitoken456def",
    });
  });

  it("gets the httpbin 401 without a token", async () => {
    const response = await new Client({ baseURL: server.url }).get("/bearer");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
  });

  it("reads an environment variable at request time, not construction time", async () => {
    const name = `AUTHFLOW_TEST_TOKEN_${process.pid}`;
    delete process.env[name];
    const client = new Client({ baseURL: server.url, auth: BearerAuth.fromEnv(name) });
    const missing = client.get("/bearer");
    await expect(missing).rejects.toBeInstanceOf(MissingCredentialsError);
    await expect(missing).rejects.toThrow(name);
    process.env[name] = "from-env";
    try {
      expect(await (await client.get("/bearer")).json()).toEqual({ authenticated: true, token: "from-env" });
    } finally {
      delete process.env[name];
    }
  });

  it("asks a provider again once after a 401 and retries with a rotated token", async () => {
    const rotating: Recorder = await startRecorder((request, response) => {
      response.writeHead(request.headers.authorization === "Bearer new" ? 200 : 401);
      response.end();
    });
    try {
      const tokens = ["old", "new", "newer"];
      let asked = 0;
      const auth = new BearerAuth(() => tokens[asked++] ?? "none");
      const response = await new Client({ auth }).get(`${rotating.url}/x`);
      expect(response.status).toBe(200);
      expect(asked).toBe(2);
      expect(rotating.requests.map((request) => request.headers.authorization)).toEqual(["Bearer old", "Bearer new"]);
    } finally {
      await rotating.close();
    }
  });

  it("does not resend when the provider returns the same token (no hammering)", async () => {
    const refusing: Recorder = await startRecorder((_request, response) => {
      response.writeHead(401);
      response.end();
    });
    try {
      const response = await new Client({ auth: new BearerAuth(async () => "same") }).get(`${refusing.url}/x`);
      expect(response.status).toBe(401);
      expect(refusing.requests).toHaveLength(1);
    } finally {
      await refusing.close();
    }
  });

  it("refuses CR/LF in a token without echoing it (Node's own error would)", async () => {
    const secret = "CANARY-bearer\r\nX-Injected: 1";
    expect(() => new BearerAuth(secret)).toThrow(InvalidCredentialsError);
    try {
      new BearerAuth(secret);
    } catch (error) {
      expect((error as Error).message).not.toContain("CANARY");
    }
    const fromProvider = new Client({ baseURL: server.url, auth: new BearerAuth(() => secret) }).get("/bearer");
    await expect(fromProvider).rejects.toBeInstanceOf(InvalidCredentialsError);
    await expect(fromProvider).rejects.not.toThrow("CANARY");
  });

  it("hides the token from String, JSON and inspect", () => {
    const auth = new BearerAuth("CANARY-token-value");
    for (const shown of [String(auth), JSON.stringify(auth), inspect(auth, { showHidden: true })]) {
      expect(shown).not.toContain("CANARY-token-value");
    }
  });

  it("checks its arguments with coded errors", () => {
    const attempts: Array<[() => unknown, string, string]> = [
      [() => new BearerAuth(undefined as never), "BearerAuth.token", "ERR_INVALID_ARG_TYPE"],
      [() => new BearerAuth(42 as never), "BearerAuth.token", "ERR_INVALID_ARG_TYPE"],
      [() => new BearerAuth("t", 7 as never), "BearerAuth.source", "ERR_INVALID_ARG_TYPE"],
      [() => BearerAuth.fromEnv(""), "BearerAuth.fromEnv name", "ERR_INVALID_ARG_VALUE"],
      [() => BearerAuth.fromEnv(undefined as never), "BearerAuth.fromEnv name", "ERR_INVALID_ARG_TYPE"],
    ];
    for (const [attempt, option, code] of attempts) {
      expect(attempt).toThrow(InvalidArgumentError);
      expect(attempt).toThrow(expect.objectContaining({ option, code }));
    }
    expect(() => new BearerAuth("")).toThrow(MissingCredentialsError);
  });
});
