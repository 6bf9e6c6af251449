/**
 * Issue 12, "Also" (and issue 17's one options type): every option of
 * Client, withAuth and each request is validated — at construction, or when
 * the request is made (a rejected promise) — with a coded
 * InvalidArgumentError (a TypeError) naming the option and what it accepts.
 * `timeout: NaN` or `-1` is no longer "no timeout", `maxRedirects: -1` no
 * longer "more than -1 redirects".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, InvalidArgumentError, InvalidURLError, TooManyRedirectsError, withAuth } from "../../src/index.js";
import { DEFAULT_OPTIONS, resolveCommonOptions } from "../../src/policy/options.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";

let server: Recorder;
beforeAll(async () => {
  server = await startRecorder((request, response) => {
    if (request.url === "/loop") {
      response.writeHead(302, { location: "/loop" });
      response.end();
      return;
    }
    response.end("ok");
  });
});
afterAll(() => server.close());

/** Options shared by Client and withAuth, and values each must refuse. */
const SHARED_BAD: ReadonlyArray<readonly [string, unknown]> = [
  ["timeout", Number.NaN],
  ["timeout", -1],
  ["timeout", Number.POSITIVE_INFINITY],
  ["timeout", "1000"],
  ["timeout", true],
  ["timeout", null],
  ["maxRedirects", -1],
  ["maxRedirects", 1.5],
  ["maxRedirects", Number.NaN],
  ["maxRedirects", "3"],
  ["maxRedirects", Number.POSITIVE_INFINITY],
  ["maxFlowSteps", 0],
  ["maxFlowSteps", -1],
  ["maxFlowSteps", 2.5],
  ["maxFlowSteps", Number.NaN],
  ["maxReplayBytes", -1],
  ["maxReplayBytes", Number.NaN],
  ["maxReplayBytes", 0.5],
  ["maxReplayBytes", "1mb"],
  ["allowInsecureAuth", "yes"],
  ["allowInsecureAuth", 1],
  ["trustedOrigins", "https://a.example"],
  ["trustedOrigins", [1]],
  ["trustedOrigins", ["ftp://a.example"]],
  ["trustedOrigins", ["not a url"]],
  ["sensitiveHeaders", "x-session"],
  ["sensitiveHeaders", ["bad header"]],
  ["sensitiveHeaders", ["x-ok", 7]],
  ["rejectionGuard", true],
  ["rejectionGuard", null],
  ["rejectionGuard", { maxFailures: 0 }],
  ["rejectionGuard", { cooldownMs: -1 }],
];

const CLIENT_BAD: ReadonlyArray<readonly [string, unknown]> = [
  ...SHARED_BAD,
  ["followRedirects", "no"],
  ["fetch", "fetch"],
  ["fetch", {}],
  ["auth", 42],
  ["auth", "user:pass"],
  ["auth", ["user"]],
  ["auth", ["user", "pass", "extra"]],
  ["auth", [1, 2]],
  ["auth", ["us:er", "pass"]],
  ["auth", {}],
  ["baseURL", 42],
  ["headers", { "x-bad": "a\r\nb" }],
];

function expectInvalid(attempt: () => unknown, option: string): void {
  let caught: unknown;
  try {
    attempt();
  } catch (error) {
    caught = error;
  }
  expect(caught, option).toBeInstanceOf(InvalidArgumentError);
  expect(caught).toBeInstanceOf(TypeError);
  const error = caught as InvalidArgumentError;
  expect(["ERR_INVALID_ARG_TYPE", "ERR_INVALID_ARG_VALUE"]).toContain(error.code);
  expect(error.option.split(".")[0]).toBe(option);
  expect(error.message).toContain(option);
}

describe("construction-time validation", () => {
  it.each(CLIENT_BAD)("new Client({ %s: %o }) throws InvalidArgumentError naming it", (option, value) => {
    expectInvalid(() => new Client({ [option]: value } as never), option);
  });

  it.each(SHARED_BAD)("withAuth(fetch, auth, { %s: %o }) throws InvalidArgumentError naming it", (option, value) => {
    expectInvalid(() => withAuth(fetch, ["u", "p"], { [option]: value } as never), option);
  });

  it("withAuth refuses a missing fetch and a bad auth", () => {
    expectInvalid(() => withAuth(undefined as never, null), "fetch");
    expectInvalid(() => withAuth("fetch" as never, null), "fetch");
    expectInvalid(() => withAuth(fetch, 42 as never), "auth");
    expectInvalid(() => withAuth(fetch, ["u"] as never), "auth");
  });

  it("a baseURL that is not http(s) is InvalidURLError; options that are not an object are refused", () => {
    expect(() => new Client({ baseURL: "ftp://files.example/" })).toThrow(InvalidURLError);
    expect(() => new Client({ baseURL: "https://a.example/v1?key=1" })).toThrow(InvalidArgumentError);
    expectInvalid(() => new Client("https://a.example" as never), "options");
    expectInvalid(() => withAuth(fetch, null, 5 as never), "options");
  });

  it("the boundaries are accepted: timeout 0 and false, maxRedirects 0, maxReplayBytes 0, maxFlowSteps 1", async () => {
    for (const options of [
      { timeout: 0 },
      { timeout: false as const },
      { maxRedirects: 0 },
      { maxReplayBytes: 0 },
      { maxFlowSteps: 1 },
      { rejectionGuard: false as const },
      { rejectionGuard: { maxFailures: 1, cooldownMs: 0 } },
      { sensitiveHeaders: ["X-Session", "x_custom.v2"] },
      { trustedOrigins: ["https://a.example/path", "http://127.0.0.1:8080"] },
    ]) {
      const client = new Client({ baseURL: server.url, ...options });
      expect((await client.get("/ok", { timeout: 10_000 })).status).toBe(200);
      expect((await withAuth(fetch, null, options)(`${server.url}/ok`)).status).toBe(200);
    }
  });

  it("maxRedirects: 0 means no redirect is followed (not 'more than -1')", async () => {
    const client = new Client({ baseURL: server.url, maxRedirects: 0 });
    await expect(client.get("/loop")).rejects.toBeInstanceOf(TooManyRedirectsError);
  });
});

describe("per-request validation: a rejected promise, never a throw, and nothing sent", () => {
  const REQUEST_BAD: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
    ["timeout", { timeout: Number.NaN }],
    ["timeout", { timeout: -1 }],
    ["timeout", { timeout: "5" }],
    ["maxRedirects", { maxRedirects: -1 }],
    ["maxRedirects", { maxRedirects: 0.5 }],
    ["followRedirects", { followRedirects: "yes" }],
    ["signal", { signal: "abort" }],
    ["signal", { signal: {} }],
    ["params", { params: "a=1" }],
    ["json", { json: { a: 1 }, body: "b" }],
    ["auth", { auth: 42 }],
    ["auth", { auth: ["u"] }],
  ];

  it.each(REQUEST_BAD)("client.get(url, %s bad) rejects with InvalidArgumentError", async (option, options) => {
    const client = new Client({ baseURL: server.url });
    const before = server.requests.length;
    let pending: Promise<Response> | undefined;
    expect(() => {
      pending = client.get("/x", options as never);
    }).not.toThrow();
    const error = await (pending as Promise<Response>).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).option).toBe(option);
    expect(server.requests.length).toBe(before);
  });
});

describe("the defaults, written once", () => {
  it("8 flow steps, 20 redirects, 1 MiB, 30 s for Client and none for withAuth", () => {
    expect(DEFAULT_OPTIONS).toMatchObject({
      maxFlowSteps: 8,
      maxRedirects: 20,
      maxReplayBytes: 1024 * 1024,
      timeout: 30_000,
      fetchTimeout: 0,
    });
    const resolved = resolveCommonOptions({});
    expect(resolved).toMatchObject({ maxFlowSteps: 8, maxReplayBytes: 1024 * 1024, allowInsecureAuth: false });
    expect(resolved.credentialHeaders.has("authorization")).toBe(true);
  });
});
