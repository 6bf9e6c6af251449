/**
 * FunctionAuth's contract, driven by hand: the function edits (or replaces)
 * the request once, the flow yields it once, and nothing is retried.
 */
import { describe, expect, it } from "vitest";
import { type AuthFunction, FunctionAuth, InvalidArgumentError, toAuth } from "../../src/index.js";
import { expectFinished, unauthorized, yielded } from "./exchange.js";

const RESOURCE = "https://api.example/items?page=1";

describe("FunctionAuth", () => {
  it("yields the request with what the function set on it", async () => {
    const auth = new FunctionAuth((request) => {
      request.headers.set("x-api-key", "k-123");
    });
    const sent = yielded(await auth.authFlow(new Request(RESOURCE)).next());
    expect(sent.headers.get("x-api-key")).toBe("k-123");
    expect(sent.url).toBe(RESOURCE);
  });

  it("yields the Request the function returns instead, when it returns one", async () => {
    const auth = new FunctionAuth((request) => {
      const url = new URL(request.url);
      url.searchParams.set("api_key", "k-123");
      return new Request(url, request);
    });
    const sent = yielded(await auth.authFlow(new Request(RESOURCE, { headers: { accept: "text/plain" } })).next());
    expect(sent.url).toBe("https://api.example/items?page=1&api_key=k-123");
    expect(sent.headers.get("accept")).toBe("text/plain");
  });

  it("waits for an async function", async () => {
    const auth = new FunctionAuth(async (request) => {
      await Promise.resolve();
      request.headers.set("authorization", "Token abc");
    });
    expect(yielded(await auth.authFlow(new Request(RESOURCE)).next()).headers.get("authorization")).toBe("Token abc");
  });

  it("runs the function once and finishes after one response, a 401 included", async () => {
    let calls = 0;
    const flow = new FunctionAuth(() => {
      calls++;
    }).authFlow(new Request(RESOURCE));
    await flow.next();
    expectFinished(await flow.next(unauthorized('Bearer error="invalid_token"')));
    expect(calls).toBe(1);
  });

  it("fails the request with what the function throws, before anything is yielded", async () => {
    const failure = new Error("no key in the vault");
    const flow = new FunctionAuth(() => {
      throw failure;
    }).authFlow(new Request(RESOURCE));
    await expect(flow.next()).rejects.toBe(failure);
  });

  it("is what a function passed as auth becomes", async () => {
    const apply: AuthFunction = (request) => {
      request.headers.set("x-api-key", "k");
    };
    const auth = toAuth(apply);
    expect(auth).toBeInstanceOf(FunctionAuth);
    expect(yielded(await auth!.authFlow(new Request(RESOURCE)).next()).headers.get("x-api-key")).toBe("k");
  });

  it("refuses something that is not a function, with a coded TypeError", () => {
    expect(() => new FunctionAuth("x-api-key: k" as never)).toThrow(InvalidArgumentError);
    expect(() => new FunctionAuth(null as never)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARG_TYPE" }));
  });
});
