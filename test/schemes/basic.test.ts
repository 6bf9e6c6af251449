import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BasicAuth, Client, InvalidArgumentError, InvalidCredentialsError } from "../../src/index.js";
import { useTestServer } from "../helpers/server.js";

const server = useTestServer();

describe("BasicAuth", () => {
  it("rejects a ':' in the username at construction with a TypeError (RFC 7617 §2)", () => {
    expect(() => new BasicAuth("a:b", "p")).toThrow(TypeError);
    expect(() => new BasicAuth("a:b", "p")).toThrow(
      expect.objectContaining({
        name: "InvalidArgumentError",
        code: "ERR_INVALID_ARG_VALUE",
        option: "BasicAuth.username",
      }),
    );
  });

  it("checks its arguments with coded errors that never show a string's value", () => {
    for (const [username, password, option] of [
      [undefined, "p", "BasicAuth.username"],
      [42, "p", "BasicAuth.username"],
      ["u", null, "BasicAuth.password"],
      ["u", { secret: "s" }, "BasicAuth.password"],
    ] as const) {
      const error = (() => {
        try {
          new BasicAuth(username as never, password as never);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error).toMatchObject({ code: "ERR_INVALID_ARG_TYPE", option });
    }
    // RFC 7617 allows empty parts.
    expect(() => new BasicAuth("", "")).not.toThrow();
  });

  it("a tuple changed in place sends its new credentials", async () => {
    const client = new Client({ baseURL: server.url });
    const tuple: [string, string] = ["tu", "first"];
    expect((await client.get("/basic-auth/tu/first", { auth: tuple })).status).toBe(200);
    tuple[1] = "second";
    expect((await client.get("/basic-auth/tu/second", { auth: tuple })).status).toBe(200);
  });

  it("rejects control characters without echoing them", () => {
    const secret = "pass\r\nX-Injected: 1";
    let error: unknown;
    try {
      new BasicAuth("u", secret);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidCredentialsError);
    expect(String((error as Error).message)).not.toContain("X-Injected");
  });

  it("encodes any UTF-8 username and password so the server decodes them back (property)", async () => {
    const client = new Client({ baseURL: server.url });
    await fc.assert(
      fc.asyncProperty(
        fc
          .string({ unit: "grapheme", minLength: 1, maxLength: 12 })
          .filter((name) => !hasControlOrSlash(name, ":") && name !== "." && name !== ".."),
        fc
          .string({ unit: "grapheme", maxLength: 16 })
          .filter((word) => !hasControlOrSlash(word, "") && word !== "." && word !== ".."),
        async (username, password) => {
          const path = `/basic-auth/${encodeURIComponent(username)}/${encodeURIComponent(password)}`;
          // "." and ".." are dot segments, which every URL parser removes (WHATWG URL, RFC 3986 §5.2.4): not routes.
          if (password === "") return; // an empty path segment is not a route
          const response = await client.get(path, { auth: new BasicAuth(username, password) });
          expect(response.status).toBe(200);
          expect(await response.json()).toEqual({ authenticated: true, user: username });
        },
      ),
      { numRuns: 60 },
    );
  });

  it("hides the password from String, JSON and inspect", () => {
    const auth = new BasicAuth("alice", "CANARY-basic-secret");
    for (const shown of [String(auth), JSON.stringify(auth), inspect(auth, { depth: 5, showHidden: true })]) {
      expect(shown).not.toContain("CANARY-basic-secret");
      expect(shown).not.toContain(btoa("alice:CANARY-basic-secret"));
      expect(shown).toContain("alice");
    }
  });

  it("hidden-basic-auth answers 404, not 401, without credentials (as httpbin)", async () => {
    const client = new Client({ baseURL: server.url });
    expect((await client.get("/hidden-basic-auth/u/p")).status).toBe(404);
    expect((await client.get("/hidden-basic-auth/u/p", { auth: ["u", "p"] })).status).toBe(200);
  });
});

/** True when `text` holds a control character, a slash, or one of `extra` (not routable as a path segment). */
function hasControlOrSlash(text: string, extra: string): boolean {
  for (const character of text) {
    const code = character.charCodeAt(0);
    if (code < 0x20 || code === 0x7f || character === "/" || extra.includes(character)) return true;
  }
  return false;
}
