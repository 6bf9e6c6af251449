import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChallengeParseError } from "../../src/errors.js";
import { type Challenge, parseAuthenticationInfo, parseChallenges } from "../../src/headers/challenge.js";
import { type GeneratedChallenge, type Layout, serializeChallenges } from "./serialize.js";

/** A challenge as plain data, for toEqual (the parser's params have no prototype). */
function plain(challenge: Challenge): { scheme: string; params: Record<string, string>; token68?: string } {
  const result: { scheme: string; params: Record<string, string>; token68?: string } = {
    scheme: challenge.scheme,
    params: { ...challenge.params },
  };
  if (challenge.token68 !== undefined) result.token68 = challenge.token68;
  return result;
}

function parsePlain(header: string | string[]) {
  return parseChallenges(header).map(plain);
}

function parseError(run: () => unknown): ChallengeParseError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ChallengeParseError);
    return error as ChallengeParseError;
  }
  throw new Error("expected a ChallengeParseError");
}

describe("parseChallenges: RFC 9110 §11 grammar", () => {
  it("parses the RFC 9110 §11.6.1 example: two challenges in one value, escapes unquoted", () => {
    const header = 'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"';
    expect(parsePlain(header)).toEqual([
      { scheme: "Newauth", params: { realm: "apps", type: "1", title: 'Login to "apps"' } },
      { scheme: "Basic", params: { realm: "simple" } },
    ]);
  });

  it("parses challenges spread over several header lines", () => {
    const lines = ['Digest realm="a", nonce="n1", algorithm=SHA-256', 'Digest realm="a", nonce="n2", algorithm=MD5'];
    expect(parsePlain(lines)).toEqual([
      { scheme: "Digest", params: { realm: "a", nonce: "n1", algorithm: "SHA-256" } },
      { scheme: "Digest", params: { realm: "a", nonce: "n2", algorithm: "MD5" } },
    ]);
  });

  it("keeps the scheme as written and lower-cases parameter names", () => {
    expect(parsePlain('dIgEsT REALM="r", NoNcE=abc')).toEqual([
      { scheme: "dIgEsT", params: { realm: "r", nonce: "abc" } },
    ]);
  });

  it("parses token68 forms, with and without padding", () => {
    expect(parsePlain("Negotiate YIIB9w==, Bearer, Other abc/+.~_-")).toEqual([
      { scheme: "Negotiate", params: {}, token68: "YIIB9w==" },
      { scheme: "Bearer", params: {} },
      { scheme: "Other", params: {}, token68: "abc/+.~_-" },
    ]);
  });

  it("tolerates extra white space, tabs, BWS around '=' and empty list elements", () => {
    const header = ' ,, Basic \t realm \t= \t"x" ,\t, , charset = UTF-8 ,,, Bearer  ,  ';
    expect(parsePlain(header)).toEqual([
      { scheme: "Basic", params: { realm: "x", charset: "UTF-8" } },
      { scheme: "Bearer", params: {} },
    ]);
  });

  it("keeps commas, escapes and non-ASCII (obs-text) inside quoted strings", () => {
    const header = 'Digest realm="a, b \\\\ c", qop="auth,auth-int", domain="/x /y", nonce="\u00e9t\u00e9"';
    expect(parsePlain(header)[0]?.params).toEqual({
      realm: "a, b \\ c",
      qop: "auth,auth-int",
      domain: "/x /y",
      nonce: "\u00e9t\u00e9",
    });
  });

  it("reads `scheme token=` as a token68, as the grammar says", () => {
    expect(parsePlain("Basic realm=")).toEqual([{ scheme: "Basic", params: {}, token68: "realm=" }]);
  });

  it("accepts unquoted base64-looking values as servers send them", () => {
    expect(parsePlain("Digest nonce=ab/c+d==, realm=r")[0]?.params).toEqual({ nonce: "ab/c+d==", realm: "r" });
  });

  it("stores __proto__ and constructor as plain data", () => {
    const [challenge] = parseChallenges('Basic __proto__="x", constructor=y, toString=z');
    expect(Object.getPrototypeOf(challenge?.params)).toBe(null);
    expect(Object.getOwnPropertyDescriptor(challenge?.params, "__proto__")?.value).toBe("x");
    expect(challenge?.params.constructor).toBe("y");
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it("returns no challenges for an empty or comma-only header", () => {
    expect(parseChallenges("")).toEqual([]);
    expect(parseChallenges(" , ,, ")).toEqual([]);
    expect(parseChallenges([])).toEqual([]);
  });

  it.each([
    ['Basic realm="unterminated', "unterminated quoted-string", 12],
    ['Basic realm="a", realm="b"', "duplicate", 17],
    ["realm=x", "auth-param without a scheme", 0],
    ['Basic realm="a\r\nX-Injected: 1"', "control character", 14],
    ["Basic a=b, realm=", "expected a token or quoted-string", 17],
    ["Basic a b", "expected '='", 8],
    ['Basic"x"', "expected a space after the auth-scheme", 5],
    ["Negotiate abc==, realm=x", "auth-param without a scheme", 17],
    ["B\u00e4sic realm=x", "expected a space after the auth-scheme", 1],
  ])("rejects %j with ChallengeParseError (%s)", (header, message, position) => {
    const error = parseError(() => parseChallenges(header));
    expect(error.message).toContain(message);
    expect(error.position).toBe(position);
    expect(error.code).toBe("ERR_CHALLENGE_PARSE");
  });

  it("enforces the size, challenge and parameter limits with its own error", () => {
    expect(parseError(() => parseChallenges("Basic x".padEnd(100, " "), { maxLength: 50 })).message).toContain(
      "longer",
    );
    const many = Array.from({ length: 1_000 }, (_, index) => `Basic realm="${index}"`);
    expect(parseError(() => parseChallenges(many)).message).toContain("too many challenges");
    const params = Array.from({ length: 100 }, (_, index) => `p${index}=v`).join(", ");
    expect(parseError(() => parseChallenges(`Basic ${params}`)).message).toContain("too many auth-params");
    expect(parseChallenges(many.slice(0, 10), { maxChallenges: 10 })).toHaveLength(10);
  });
});

describe("parseAuthenticationInfo", () => {
  it("parses RFC 7616 §3.5 Authentication-Info", () => {
    const info = parseAuthenticationInfo(
      'rspauth="6629fae49393a05397450978507c4ef1", CNONCE="0a4f113b", nc=00000001, qop=auth, nextnonce="n\\"2"',
    );
    expect({ ...info }).toEqual({
      rspauth: "6629fae49393a05397450978507c4ef1",
      cnonce: "0a4f113b",
      nc: "00000001",
      qop: "auth",
      nextnonce: 'n"2',
    });
  });

  it("accepts several lines and empty elements, and rejects a scheme-like element", () => {
    expect({ ...parseAuthenticationInfo([", qop=auth", "nc=00000002,,"]) }).toEqual({ qop: "auth", nc: "00000002" });
    expect(parseError(() => parseAuthenticationInfo("Digest rspauth=x")).message).toContain("expected '='");
  });
});

describe("parseChallenges: adversarial input (PAR-01, PAR-02)", () => {
  // CPython CVE-2020-8492: exponential backtracking on "Basic " + ","*N + "x" with the old regex.
  it.each([20, 30, 40, 64, 100_000])("parses the CVE-2020-8492 input with N=%i", (count) => {
    const header = `Basic ${",".repeat(count)}x`;
    expect(parsePlain(header)).toEqual([
      { scheme: "Basic", params: {} },
      { scheme: "x", params: {} },
    ]);
    expect(parseChallenges([header, header])).toHaveLength(4);
    expect(() => parseAuthenticationInfo(header)).toThrow(ChallengeParseError);
  });

  // CPython CVE-2021-3733: quadratic on ","*N + "x" with the fixed regex.
  it.each([16_000, 65_000, 1_048_576])("parses the CVE-2021-3733 input with N=%i", (count) => {
    expect(parsePlain(`${",".repeat(count)}x`)).toEqual([{ scheme: "x", params: {} }]);
  });

  it("completes on other pathological shapes of 1 MiB", () => {
    const size = 1 << 20;
    const shapes = [
      `Digest realm="${"\\\\".repeat(size / 2)}"`,
      `Digest realm="${"a".repeat(size)}`,
      `Basic ${"a".repeat(size)}`,
      `Basic ${"=".repeat(size)}`,
      " \t".repeat(size / 2),
      `Basic ${"a=b, ".repeat(60)}${" ".repeat(size)}`,
    ];
    for (const shape of shapes) {
      try {
        parseChallenges(shape);
      } catch (error) {
        expect(error).toBeInstanceOf(ChallengeParseError);
      }
    }
  });
});

// ---- property tests (PAR-03) ----

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const TOKEN68_CHARS = "abcXYZ0129-._~+/";
const token = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 12 });
// qdtext and quoted-pair: HTAB, SP, VCHAR and obs-text; never CR, LF or other controls.
const quotable = fc.string({
  unit: fc.oneof(
    fc.constantFrom("\t", " ", '"', "\\", ",", "=", "a"),
    fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)),
    fc.integer({ min: 0x80, max: 0xff }).map((code) => String.fromCharCode(code)),
  ),
  maxLength: 24,
});
const ows = fc.string({ unit: fc.constantFrom(" ", "\t"), maxLength: 3 });

const generatedChallenge: fc.Arbitrary<GeneratedChallenge> = fc.oneof(
  fc.record({
    scheme: token,
    params: fc.uniqueArray(fc.tuple(token, quotable), {
      maxLength: 6,
      selector: ([name]) => name.toLowerCase(),
    }),
  }),
  fc.record({
    scheme: token,
    params: fc.constant([] as [string, string][]),
    token68: fc
      .tuple(fc.string({ unit: fc.constantFrom(...TOKEN68_CHARS), minLength: 1, maxLength: 16 }), fc.nat({ max: 2 }))
      .map(([body, padding]) => body + "=".repeat(padding)),
  }),
);

const layout: fc.Arbitrary<Layout> = fc.record({
  bws: ows,
  separator: fc
    .tuple(ows, fc.array(ows, { minLength: 1, maxLength: 3 }), ows)
    .map(([before, commas, after]) => `${before}${commas.map((space) => `,${space}`).join("")}${after}`),
  alwaysQuote: fc.boolean(),
});

function expected(challenge: GeneratedChallenge) {
  const result: { scheme: string; params: Record<string, string>; token68?: string } = {
    scheme: challenge.scheme,
    params: Object.fromEntries(challenge.params.map(([name, value]) => [name.toLowerCase(), value])),
  };
  if (challenge.token68 !== undefined) result.token68 = challenge.token68;
  return result;
}

describe("parseChallenges: properties", () => {
  it("parses back whatever is serialised, in one line or across lines", () => {
    fc.assert(
      fc.property(fc.array(generatedChallenge, { minLength: 1, maxLength: 5 }), layout, (challenges, chosen) => {
        const header = serializeChallenges(challenges, chosen);
        expect(parsePlain(header)).toEqual(challenges.map(expected));
        const lines = challenges.map((challenge) => serializeChallenges([challenge], chosen));
        expect(parsePlain(lines)).toEqual(challenges.map(expected));
      }),
      { numRuns: 500 },
    );
  });

  it("parses Authentication-Info back from serialised auth-params", () => {
    const params = fc.uniqueArray(fc.tuple(token, quotable), {
      maxLength: 8,
      selector: ([name]) => name.toLowerCase(),
    });
    fc.assert(
      fc.property(params, layout, (pairs, chosen) => {
        const header = serializeChallenges([{ scheme: "X", params: pairs }], chosen).slice(2);
        const parsed = pairs.length === 0 ? {} : { ...parseAuthenticationInfo(header) };
        expect(parsed).toEqual(Object.fromEntries(pairs.map(([name, value]) => [name.toLowerCase(), value])));
      }),
      { numRuns: 300 },
    );
  });

  it("throws nothing but ChallengeParseError on random strings and bytes", () => {
    const latin1 = fc.uint8Array({ maxLength: 200 }).map((bytes) => String.fromCharCode(...bytes));
    const mutated = fc
      .tuple(
        fc.array(generatedChallenge, { minLength: 1, maxLength: 3 }),
        layout,
        fc.nat(),
        fc.string({ maxLength: 4 }),
      )
      .map(([challenges, chosen, at, insert]) => {
        const header = serializeChallenges(challenges, chosen);
        const index = at % (header.length + 1);
        return header.slice(0, index) + insert + header.slice(index + 1);
      });
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: "binary", maxLength: 100 }), latin1, mutated),
        (input) => {
          for (const parse of [() => parseChallenges(input), () => parseAuthenticationInfo(input)]) {
            try {
              parse();
            } catch (error) {
              expect(error).toBeInstanceOf(ChallengeParseError);
              expect((error as ChallengeParseError).position).toBeGreaterThanOrEqual(0);
              expect((error as ChallengeParseError).position).toBeLessThanOrEqual(input.length);
            }
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
