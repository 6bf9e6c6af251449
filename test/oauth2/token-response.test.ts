import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OAuthError, TokenEndpointError } from "../../src/errors.js";
import { MAX_LIFETIME_SECONDS, parseTokenResponse } from "../../src/oauth2/token-endpoint.js";

const NOW = 1_700_000_000_000;
const json = (value: unknown) => JSON.stringify(value);
const parse = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  parseTokenResponse(status, new Headers({ "content-type": "application/json", ...headers }), json(body), NOW);
const base = { access_token: "abc.def-ghi_jkl~", token_type: "Bearer" };

describe("parseTokenResponse: expires_in (OAUTH-06)", () => {
  it.each([
    [3600, NOW + 3_600_000],
    ["3600", NOW + 3_600_000], // Azure AD v1 sends a string: accepted
    [1.5, NOW + 1_000], // fractions round down: never later than the server meant
    [0, NOW], // already expired: usable once, never cached
    [1e308, NOW + MAX_LIFETIME_SECONDS * 1000], // clamped to one year
    [2 ** 53, NOW + MAX_LIFETIME_SECONDS * 1000],
  ])("expires_in %j gives expiresAt now + lifetime", (expiresIn, expiresAt) => {
    expect(parse({ ...base, expires_in: expiresIn }).expiresAt).toBe(expiresAt);
  });

  it.each([[undefined], [null]])("expires_in %j gives no expiresAt (serve until a 401)", (expiresIn) => {
    const token = parse({ ...base, expires_in: expiresIn });
    expect(token).not.toHaveProperty("expiresAt");
  });

  it.each([[-5], ["abc"], [""], ["-5"], ["1e3"], [true], [{}], [[3600]]])(
    "expires_in %j is a TokenEndpointError",
    (value) => {
      expect(() => parse({ ...base, expires_in: value })).toThrow(TokenEndpointError);
    },
  );

  it("subtracts a cache's Age header (RFC 9111 §5.1)", () => {
    expect(parse({ ...base, expires_in: 60 }, 200, { age: "20" }).expiresAt).toBe(NOW + 40_000);
  });

  it("ignores the Date header: expires_in is a duration, skew-free from our own send time", () => {
    const farFuture = new Date(NOW + 3_600_000).toUTCString();
    expect(parse({ ...base, expires_in: 60 }, 200, { date: farFuture }).expiresAt).toBe(NOW + 60_000);
  });
});

describe("parseTokenResponse: token_type", () => {
  it.each(["bearer", "Bearer", "BEARER"])("%s is Bearer", (type) => {
    expect(parse({ ...base, token_type: type }).tokenType).toBe("Bearer");
  });

  it.each(["DPoP", "mac", "N_A"])("%s is refused, naming the type", (type) => {
    expect(() => parse({ ...base, token_type: type })).toThrow(new RegExp(`"${type}" token`));
  });

  it("an absent token_type is refused (RFC 6749 §5.1)", () => {
    expect(() => parse({ access_token: "abc" })).toThrow(/no token_type/);
  });
});

describe("parseTokenResponse: access_token, scope, body", () => {
  it("keeps scope and the raw answer", () => {
    const token = parse({ ...base, expires_in: 60, scope: "a b", extra: 1 });
    expect(token).toEqual({
      accessToken: base.access_token,
      tokenType: "Bearer",
      expiresAt: NOW + 60_000,
      scope: "a b",
      raw: { ...base, expires_in: 60, scope: "a b", extra: 1 },
    });
  });

  it.each([[undefined], [""], [42], [null]])("access_token %j is refused", (value) => {
    expect(() => parse({ ...base, access_token: value })).toThrow(/no access_token/);
  });

  it.each(["a b", "abc\r\nX-Injected: 1", "tokén", "tab\there"])(
    "access_token %j that cannot go in a header is refused",
    (value) => {
      const error = (() => {
        try {
          parse({ ...base, access_token: value });
        } catch (caught) {
          return caught as Error;
        }
      })();
      expect(error).toBeInstanceOf(TokenEndpointError);
      expect(error?.message).not.toContain(value);
    },
  );

  it("a non-string scope is refused", () => {
    expect(() => parse({ ...base, scope: ["a"] })).toThrow(TokenEndpointError);
  });

  it.each([
    ["<!doctype html><html>secret-in-page</html>", "text/html"],
    ['{"access_token":"secret-token","token_type":"Bea', "application/json"],
    ["[1,2]", "application/json"],
    ["null", "application/json"],
  ])("a body that is not a JSON object is a TokenEndpointError that does not quote it: %s", (body, type) => {
    const attempt = () => parseTokenResponse(200, new Headers({ "content-type": type }), body, NOW);
    expect(attempt).toThrow(TokenEndpointError);
    try {
      attempt();
    } catch (error) {
      expect(String((error as Error).message)).not.toMatch(/secret/);
      expect(JSON.stringify(error)).not.toMatch(/secret/);
    }
  });
});

describe("parseTokenResponse: RFC 6749 §5.2 errors", () => {
  it("an error object is an OAuthError with every field", () => {
    const body = { error: "invalid_client", error_description: "bad secret", error_uri: "https://as.example/e" };
    const attempt = () => parse(body, 401);
    expect(attempt).toThrow(OAuthError);
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({
        code: "ERR_OAUTH",
        error: "invalid_client",
        errorDescription: "bad secret",
        errorUri: "https://as.example/e",
        status: 401,
      });
    }
  });

  it("a non-200 without an error code is a TokenEndpointError with the status", () => {
    expect(() => parse({ message: "nope" }, 404)).toThrow(
      expect.objectContaining({ status: 404, code: "ERR_TOKEN_ENDPOINT" }),
    );
  });

  it("a 200 carrying an error object but no token is not a token", () => {
    expect(() => parse({ error: "invalid_scope" }, 200)).toThrow(TokenEndpointError);
  });
});

describe("parseTokenResponse: properties", () => {
  const value = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.stringMatching(/^[0-9]{1,6}$/),
  );
  const tokenish = fc.record(
    {
      access_token: fc.oneof(value, fc.stringMatching(/^[A-Za-z0-9._~+/-]{1,40}$/)),
      token_type: fc.oneof(value, fc.constantFrom("bearer", "Bearer", "DPoP")),
      expires_in: value,
      scope: value,
      error: value,
      error_description: value,
    },
    { requiredKeys: [] },
  );
  const body = fc.oneof(
    fc.json(),
    tokenish.map((record) => JSON.stringify(record)),
    fc.string(),
  );
  const status = fc.oneof(fc.constant(200), fc.integer({ min: 100, max: 599 }));

  it("any answer gives a Token or a typed error, nothing else", () => {
    fc.assert(
      fc.property(status, body, (code, text) => {
        try {
          const token = parseTokenResponse(code, new Headers(), text, NOW);
          expect(code).toBe(200);
          expect(typeof token.accessToken).toBe("string");
          expect(token.accessToken.length).toBeGreaterThan(0);
          expect(token.tokenType).toBe("Bearer");
          if (token.expiresAt !== undefined) {
            expect(token.expiresAt).toBeGreaterThanOrEqual(NOW);
            expect(token.expiresAt).toBeLessThanOrEqual(NOW + MAX_LIFETIME_SECONDS * 1000);
          }
        } catch (error) {
          expect(error instanceof OAuthError || error instanceof TokenEndpointError).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("a well-formed answer always parses, and expiresAt follows expires_in", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9._~+/-]{1,64}$/),
        fc.nat({ max: 10 ** 9 }),
        (accessToken, expiresIn) => {
          const token = parse({ access_token: accessToken, token_type: "bEaReR", expires_in: expiresIn });
          expect(token.accessToken).toBe(accessToken);
          expect(token.expiresAt).toBe(NOW + Math.min(expiresIn, MAX_LIFETIME_SECONDS) * 1000);
        },
      ),
    );
  });
});
