/**
 * Issue 12, finding 11 (front doors): a mistyped URL carrying `user:pass@`
 * or a secret in its query is authflow's own InvalidURLError — userinfo and
 * query redacted in its message and properties, no cause that carries them —
 * through `get`, `Client` (request URL and `baseURL`), `withAuth` and
 * `trustedOrigins`. A well-formed URL with `user:pass@` is
 * InvalidCredentialsError, which does not repeat the password either.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Client,
  get,
  InvalidArgumentError,
  InvalidCredentialsError,
  InvalidURLError,
  post,
  withAuth,
} from "../../src/index.js";
import { canaries, errorTexts } from "../helpers/canary.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";

const secrets = canaries("url-secrets");
const PASSWORD = secrets.get("password");
const TOKEN = secrets.get("query-token");

let recorder: Recorder;
beforeAll(async () => {
  recorder = await startRecorder();
});
afterAll(() => recorder.close());

/** Malformed URLs, each carrying both secrets. */
function malformed(): string[] {
  const port = recorder.port;
  return [
    `http://user:${PASSWORD}@exa mple.com/?token=${TOKEN}`,
    `http://user:${PASSWORD}@127.0.0.1:${port}:99/?access_token=${TOKEN}`,
    `https://user:${PASSWORD}@[::1/x?sig=${TOKEN}`,
    `http://user:${PASSWORD}@127.0.0.1:99999/?api_key=${TOKEN}`,
    `http://user:${PASSWORD}@%zz/#${TOKEN}`,
    `https:\\\\user:${PASSWORD}@ho<st/?t=${TOKEN}`,
    `user:${PASSWORD}@example.com/?token=${TOKEN}`,
    `//user:${PASSWORD}@example.com/?token=${TOKEN}`,
  ];
}

async function expectRedacted(
  attempt: () => unknown,
  kind: abstract new (...args: never[]) => Error = InvalidURLError,
) {
  let caught: unknown;
  try {
    await attempt();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(kind);
  const texts = await errorTexts(caught);
  expect(texts).not.toContain(PASSWORD);
  expect(texts).not.toContain(TOKEN);
  expect((caught as { input?: unknown }).input).toBeUndefined();
  expect((caught as { cause?: unknown }).cause).toBeUndefined();
  return caught as Error & { code?: string };
}

describe("a malformed URL never surfaces its secrets", () => {
  it("get / post (the default client)", async () => {
    for (const url of malformed()) {
      const error = await expectRedacted(() => get(url, { auth: ["u", "p"] }));
      expect(error.code).toBe("ERR_INVALID_URL");
      await expectRedacted(() => post(url, { body: "x" }));
    }
    expect(recorder.requests).toEqual([]);
  });

  it("Client: the request URL, without and with a baseURL", async () => {
    const plain = new Client();
    const based = new Client({ baseURL: recorder.url });
    for (const url of malformed()) {
      await expectRedacted(() => plain.get(url));
      if (/^[a-z]+:/i.test(url)) await expectRedacted(() => based.get(url));
    }
    expect(recorder.requests).toEqual([]);
  });

  it("Client: a malformed baseURL throws at construction, redacted", async () => {
    for (const url of malformed()) await expectRedacted(() => new Client({ baseURL: url }));
  });

  it("withAuth: a string, a URL-like object, with and without auth", async () => {
    const authed = withAuth(fetch, ["u", "p"]);
    const bare = withAuth(fetch, null);
    for (const url of malformed()) {
      await expectRedacted(() => authed(url));
      await expectRedacted(() => bare(url, { method: "POST", body: "x" }));
      await expectRedacted(() => authed({ toString: () => url } as unknown as string));
    }
    expect(recorder.requests).toEqual([]);
  });

  it("trustedOrigins: a malformed entry is InvalidArgumentError, redacted", async () => {
    for (const url of malformed()) {
      await expectRedacted(() => new Client({ trustedOrigins: [url] }), InvalidArgumentError);
      await expectRedacted(() => withAuth(fetch, null, { trustedOrigins: [url] }), InvalidArgumentError);
    }
  });

  it("the message still says what went wrong and shows the rest of the URL", async () => {
    const error = await expectRedacted(() => get(`http://user:${PASSWORD}@exa mple.com/path?token=${TOKEN}`));
    expect(error.message).toMatch(/not a valid URL/);
    expect(error.message).toContain("exa mple.com/path");
    expect((error as InvalidURLError).url).toContain("[redacted]");
  });
});

describe("a well-formed URL with user:pass@ is refused without repeating the password", () => {
  it("through get, Client (URL and baseURL) and withAuth", async () => {
    const url = `http://user:${PASSWORD}@127.0.0.1:${recorder.port}/x?token=${TOKEN}`;
    for (const attempt of [
      () => get(url),
      () => new Client().get(url),
      () => new Client({ baseURL: `http://user:${PASSWORD}@127.0.0.1:${recorder.port}/` }),
      () => withAuth(fetch, ["u", "p"])(url),
      () => withAuth(fetch, null)(new URL(url)),
    ]) {
      const error = await expectRedacted(attempt, InvalidCredentialsError);
      expect(error.code).toBe("ERR_INVALID_CREDENTIALS");
      expect(error.message).toMatch(/embeds credentials/);
    }
    expect(recorder.requests).toEqual([]);
  });
});
