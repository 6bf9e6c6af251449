/**
 * BasicAuth's contract (RFC 7617), driven by hand: one request, credentials
 * on it from the start, no answer to any challenge.
 */
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { BasicAuth, InvalidArgumentError, InvalidCredentialsError, toAuth } from "../../src/index.js";
import { authorizationOf, expectFinished, ok, unauthorized, yielded } from "./exchange.js";

const RESOURCE = "https://api.example/basic";

/** The Basic value for `user:pass`, computed with Node's Buffer: independent of the library's base64. */
function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}

describe("BasicAuth", () => {
  it("sends the credentials on the first request: Basic is preemptive", async () => {
    const flow = new BasicAuth("Aladdin", "open sesame").authFlow(new Request(RESOURCE));
    const step = await flow.next();
    // RFC 7617 §2's example.
    expect(authorizationOf(step)).toBe("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  });

  it("encodes user and password as UTF-8 (RFC 7617 §2.1)", async () => {
    const step = await new BasicAuth("test", "123\u00a3").authFlow(new Request(RESOURCE)).next();
    expect(authorizationOf(step)).toBe("Basic dGVzdDoxMjPCow=="); // RFC 7617 §2.1's example
    const other = await new BasicAuth("J\u00e4s\u00f8n", "p\u20acss \u{1f511}").authFlow(new Request(RESOURCE)).next();
    expect(authorizationOf(other)).toBe(basic("J\u00e4s\u00f8n", "p\u20acss \u{1f511}"));
  });

  it("sends empty parts as they are", async () => {
    expect(authorizationOf(await new BasicAuth("user", "").authFlow(new Request(RESOURCE)).next())).toBe(
      basic("user", ""),
    );
    expect(authorizationOf(await new BasicAuth("", "pw").authFlow(new Request(RESOURCE)).next())).toBe(basic("", "pw"));
  });

  it("replaces an Authorization header already on the request and keeps everything else", async () => {
    const request = new Request(RESOURCE, {
      method: "POST",
      headers: { authorization: "Bearer old", "x-trace": "1" },
      body: "payload",
    });
    const sent = yielded(await new BasicAuth("u", "p").authFlow(request).next());
    expect(sent.headers.get("authorization")).toBe(basic("u", "p"));
    expect(sent.headers.get("x-trace")).toBe("1");
    expect(sent.method).toBe("POST");
    expect(await sent.text()).toBe("payload");
  });

  it("finishes after one response, whatever it is: a 401 goes back to the caller, unanswered", async () => {
    for (const response of [ok(), unauthorized('Basic realm="api"'), new Response(null, { status: 403 })]) {
      const flow = new BasicAuth("u", "p").authFlow(new Request(RESOURCE));
      await flow.next();
      expectFinished(await flow.next(response));
    }
  });

  it("sends the same header on every request", async () => {
    const auth = new BasicAuth("u", "p");
    const first = authorizationOf(await auth.authFlow(new Request(RESOURCE)).next());
    const second = authorizationOf(await auth.authFlow(new Request("https://api.example/other")).next());
    expect(second).toBe(first);
  });

  it("is what a [username, password] tuple means", async () => {
    const auth = toAuth(["Aladdin", "open sesame"]);
    expect(auth).toBeInstanceOf(BasicAuth);
    expect(authorizationOf(await auth!.authFlow(new Request(RESOURCE)).next())).toBe(
      "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
    );
  });

  it("refuses a user name with ':' at construction (RFC 7617 §2): the server could not split it", () => {
    expect(() => new BasicAuth("a:b", "p")).toThrow(InvalidArgumentError);
    expect(() => new BasicAuth("a:b", "p")).toThrow(TypeError);
  });

  it("refuses control characters in either part at construction: they would split the header", () => {
    for (const [username, password] of [
      ["a\r\nX-Injected", "p"],
      ["u", "p\r\nX-Injected: 1"],
      ["u\u0000", "p"],
    ]) {
      expect(() => new BasicAuth(username as string, password as string)).toThrow(InvalidCredentialsError);
    }
  });

  it("refuses parts that are not strings, with a coded error", () => {
    expect(() => new BasicAuth(42 as never, "p")).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARG_TYPE" }));
    expect(() => new BasicAuth("u", undefined as never)).toThrow(TypeError);
  });

  it("never shows the password when printed", () => {
    const auth = new BasicAuth("alice", "s3cret-value");
    for (const shown of [String(auth), JSON.stringify(auth), inspect(auth)]) {
      expect(shown).toContain("alice");
      expect(shown).not.toContain("s3cret-value");
    }
  });
});
