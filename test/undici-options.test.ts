/**
 * Every option of `authInterceptor` is checked when the interceptor is made,
 * not at the first request: a coded InvalidArgumentError (a TypeError) that
 * names the option and what it accepts, and never repeats a string value.
 */
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BasicAuth, FlowError, InvalidArgumentError } from "../src/index.js";
import { type AuthInterceptorOptions, authInterceptor } from "../src/undici/index.js";
import { type Recorder, startRecorder } from "./helpers/recorder.js";
import { authAgent, challengeThenEcho, retryAfter401 } from "./helpers/undici.js";

const auth = new BasicAuth("user", "pass");

function refusal(make: () => unknown): InvalidArgumentError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toBeInstanceOf(TypeError);
    return error as InvalidArgumentError;
  }
  throw new Error("expected an InvalidArgumentError");
}

const BAD_OPTIONS: ReadonlyArray<readonly [string, unknown, string]> = [
  ["origins", "https://api.example.com", "ERR_INVALID_ARG_TYPE"],
  ["origins", ["not a url"], "ERR_INVALID_ARG_VALUE"],
  ["origins", ["ftp://files.example.com"], "ERR_INVALID_ARG_VALUE"],
  ["origins", [42], "ERR_INVALID_ARG_TYPE"],
  ["allowInsecureAuth", "yes", "ERR_INVALID_ARG_TYPE"],
  ["maxFlowSteps", 0, "ERR_INVALID_ARG_VALUE"],
  ["maxFlowSteps", Number.NaN, "ERR_INVALID_ARG_VALUE"],
  ["maxFlowSteps", 2.5, "ERR_INVALID_ARG_VALUE"],
  ["maxFlowSteps", "8", "ERR_INVALID_ARG_TYPE"],
  ["maxReplayBytes", -1, "ERR_INVALID_ARG_VALUE"],
  ["maxReplayBytes", Number.POSITIVE_INFINITY, "ERR_INVALID_ARG_VALUE"],
  ["sensitiveHeaders", "x-session", "ERR_INVALID_ARG_TYPE"],
  ["sensitiveHeaders", ["x session"], "ERR_INVALID_ARG_VALUE"],
  ["rejectionGuard", true, "ERR_INVALID_ARG_TYPE"],
  ["rejectionGuard", { maxFailures: 0 }, "ERR_INVALID_ARG_VALUE"],
  ["rejectionGuard", { cooldownMs: -5 }, "ERR_INVALID_ARG_VALUE"],
];

describe("authInterceptor options are validated at construction", () => {
  for (const [option, value, code] of BAD_OPTIONS) {
    it(`${option}: ${JSON.stringify(value) ?? String(value)} → ${code}`, () => {
      const error = refusal(() => authInterceptor(auth, { [option]: value } as AuthInterceptorOptions));
      expect(error.code).toBe(code);
      expect(error.option.startsWith(option)).toBe(true);
      expect(error.message).toContain(option);
    });
  }

  it("refuses an option it does not have, such as Client's `trustedOrigins`, rather than ignore the scope", () => {
    const error = refusal(() =>
      authInterceptor(auth, { trustedOrigins: ["https://a.example"] } as AuthInterceptorOptions),
    );
    expect([error.code, error.option]).toEqual(["ERR_INVALID_ARG_VALUE", "trustedOrigins"]);
    expect(error.message).toContain("origins");
  });

  it("refuses options that are not an object", () => {
    expect(refusal(() => authInterceptor(auth, "origins" as never)).code).toBe("ERR_INVALID_ARG_TYPE");
  });

  it("refuses an auth that is none of Auth, [user, pass] or a function, without echoing it", () => {
    for (const bad of [null, undefined, 42, "user:pass", ["user"], ["us:er", "pass"], { token: "x" }]) {
      const error = refusal(() => authInterceptor(bad as never));
      expect(error.option).toBe("auth");
      expect(error.message).not.toContain("user:pass");
    }
  });

  it("never repeats a string value (it may be a secret)", () => {
    const error = refusal(() => authInterceptor(auth, { origins: ["https://user:hunter2@[bad"] }));
    expect(error.message).not.toContain("hunter2");
  });

  it("accepts every option at a valid value", () => {
    const options: Required<AuthInterceptorOptions> = {
      origins: ["https://api.example.com/any/path"],
      allowInsecureAuth: false,
      maxFlowSteps: 3,
      maxReplayBytes: 0,
      sensitiveHeaders: ["X-Session"],
      rejectionGuard: { maxFailures: 5, cooldownMs: 1_000 },
    };
    expect(typeof authInterceptor(["user", "pass"], options)).toBe("function");
    expect(typeof authInterceptor(auth, { rejectionGuard: false })).toBe("function");
  });
});

describe("the validated options apply", () => {
  let server: Recorder;
  beforeAll(async () => {
    server = await startRecorder(challengeThenEcho());
  });
  afterAll(() => server.close());

  it("maxFlowSteps: 1 stops a flow that needs two requests with FlowError", async () => {
    const dispatcher = authAgent(authInterceptor(retryAfter401, { maxFlowSteps: 1 }));
    await expect(request(`${server.url}/x`, { dispatcher })).rejects.toBeInstanceOf(FlowError);
    const { statusCode, body } = await request(`${server.url}/x`, {
      dispatcher: authAgent(authInterceptor(retryAfter401, { maxFlowSteps: 2 })),
    });
    await body.dump();
    expect(statusCode).toBe(200);
  });
});
