/**
 * BearerAuth's contract (RFC 6750), driven by hand: a static token is sent
 * once; a provider is asked per request, and asked again once after a 401.
 */
import { afterEach, describe, expect, it } from "vitest";
import { BearerAuth, InvalidCredentialsError, MissingCredentialsError } from "../../src/index.js";
import { authorizationOf, expectFinished, ok, unauthorized } from "./exchange.js";

const RESOURCE = "https://api.example/bearer";
const invalidToken = () => unauthorized('Bearer realm="api", error="invalid_token"');

/** A provider answering the tokens in turn (the last one from then on), counting the calls. */
function provider(...tokens: string[]) {
  const calls = { count: 0 };
  const read = () => tokens[Math.min(calls.count++, tokens.length - 1)] as string;
  return { calls, read };
}

describe("BearerAuth with a static token", () => {
  it("sends `Bearer <token>` on the first request", async () => {
    const step = await new BearerAuth("mF_9.B5f-4.1JqM").authFlow(new Request(RESOURCE)).next();
    expect(authorizationOf(step)).toBe("Bearer mF_9.B5f-4.1JqM");
  });

  it("finishes after one response, a 401 included: the token cannot change", async () => {
    const flow = new BearerAuth("abc").authFlow(new Request(RESOURCE));
    await flow.next();
    expectFinished(await flow.next(invalidToken()));
  });

  it("refuses an empty token, or one with control characters or surrounding space, at construction", () => {
    expect(() => new BearerAuth("")).toThrow(MissingCredentialsError);
    for (const token of ["abc\r\nX-Injected: 1", " abc", "abc\t", "a\u0000b"]) {
      expect(() => new BearerAuth(token), JSON.stringify(token)).toThrow(InvalidCredentialsError);
    }
  });

  it("refuses a token that is neither a string nor a function, with a coded TypeError", () => {
    expect(() => new BearerAuth(42 as never)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARG_TYPE" }));
  });
});

describe("BearerAuth with a provider", () => {
  it("asks the provider for each request", async () => {
    const { calls, read } = provider("one", "two");
    const auth = new BearerAuth(read);
    expect(authorizationOf(await auth.authFlow(new Request(RESOURCE)).next())).toBe("Bearer one");
    expect(authorizationOf(await auth.authFlow(new Request(RESOURCE)).next())).toBe("Bearer two");
    expect(calls.count).toBe(2);
  });

  it("waits for an async provider", async () => {
    const auth = new BearerAuth(async () => "from-the-vault");
    expect(authorizationOf(await auth.authFlow(new Request(RESOURCE)).next())).toBe("Bearer from-the-vault");
  });

  it("finishes after an answer that is not a 401, without asking again", async () => {
    const { calls, read } = provider("one");
    const flow = new BearerAuth(read).authFlow(new Request(RESOURCE));
    await flow.next();
    expectFinished(await flow.next(ok()));
    expect(calls.count).toBe(1);
  });

  it("after a 401, asks again and resends once with a rotated token", async () => {
    const { read } = provider("old", "rotated");
    const flow = new BearerAuth(read).authFlow(new Request(RESOURCE));
    await flow.next();
    expect(authorizationOf(await flow.next(invalidToken()))).toBe("Bearer rotated");
    expectFinished(await flow.next(ok()));
  });

  it("after a 401, finishes when the provider still has the same token: resending it would fail alike", async () => {
    const { calls, read } = provider("same");
    const flow = new BearerAuth(read).authFlow(new Request(RESOURCE));
    await flow.next();
    expectFinished(await flow.next(unauthorized("Bearer")));
    expect(calls.count).toBe(2);
  });

  it("resends at most once: a second 401 goes back to the caller", async () => {
    const { calls, read } = provider("a", "b", "c");
    const flow = new BearerAuth(read).authFlow(new Request(RESOURCE));
    await flow.next();
    await flow.next(invalidToken());
    expectFinished(await flow.next(invalidToken()));
    expect(calls.count).toBe(2);
  });

  it("fails the request with MissingCredentialsError when the provider returns no token", async () => {
    for (const nothing of ["", undefined, null, 42]) {
      const flow = new BearerAuth(() => nothing as never).authFlow(new Request(RESOURCE));
      await expect(flow.next(), String(nothing)).rejects.toBeInstanceOf(MissingCredentialsError);
    }
  });

  it("fails the request with InvalidCredentialsError for a provided token with a line break", async () => {
    const flow = new BearerAuth(() => "abc\r\nX-Injected: 1").authFlow(new Request(RESOURCE));
    await expect(flow.next()).rejects.toBeInstanceOf(InvalidCredentialsError);
  });

  it("passes on what the provider throws", async () => {
    const failure = new Error("vault sealed");
    const flow = new BearerAuth(() => Promise.reject(failure)).authFlow(new Request(RESOURCE));
    await expect(flow.next()).rejects.toBe(failure);
  });
});

describe("BearerAuth.fromEnv", () => {
  const NAME = "AUTHFLOW_SPEC_BEARER_TOKEN";
  afterEach(() => {
    delete process.env[NAME];
  });

  it("reads the variable at request time, not at construction", async () => {
    const auth = BearerAuth.fromEnv(NAME);
    process.env[NAME] = "env-token";
    expect(authorizationOf(await auth.authFlow(new Request(RESOURCE)).next())).toBe("Bearer env-token");
    expect(auth.source).toBe(`env:${NAME}`);
  });

  it("fails the request with MissingCredentialsError naming an unset or empty variable", async () => {
    const auth = BearerAuth.fromEnv(NAME);
    await expect(auth.authFlow(new Request(RESOURCE)).next()).rejects.toThrow(
      expect.objectContaining({ code: "ERR_MISSING_CREDENTIALS", message: expect.stringContaining(NAME) }),
    );
    process.env[NAME] = "";
    await expect(auth.authFlow(new Request(RESOURCE)).next()).rejects.toBeInstanceOf(MissingCredentialsError);
  });

  it("after a 401, reads the variable again and resends once when it changed", async () => {
    process.env[NAME] = "before";
    const flow = BearerAuth.fromEnv(NAME).authFlow(new Request(RESOURCE));
    await flow.next();
    process.env[NAME] = "after";
    expect(authorizationOf(await flow.next(invalidToken()))).toBe("Bearer after");
  });
});
