/**
 * Fuzz targets and generators shared by fuzz/run.ts (≥ 100,000 cases) and
 * test/hardening/parser-abuse.test.ts (a few thousand): grammar-shaped input
 * with adversarial mutations (scenario PAR-01 in SECURITY.md..03). Each target
 * either returns or throws one of its typed errors; anything else is a bug.
 */
import fc from "fast-check";
import { ChallengeParseError, OAuthError, TokenEndpointError } from "../src/errors.js";
import { parseAuthenticationInfo, parseChallenges } from "../src/headers/challenge.js";
import { parseTokenResponse } from "../src/oauth2/token-endpoint.js";

export interface FuzzTarget {
  name: string;
  input: fc.Arbitrary<unknown>;
  run(input: unknown): void;
  /** True for the errors this parser is allowed to throw. */
  typed(error: unknown): boolean;
}

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const token = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 10 });
const nasty = fc.constantFrom(",", '"', "\\", "=", " ", "\t", "\u0000", "\r", "\n", "\u00ff", "\u{1F600}", "realm=", "Basic ", "Digest ");
/** A run of one adversarial piece, repeated up to 4,096 times. */
const run = fc.tuple(nasty, fc.integer({ min: 1, max: 4096 })).map(([piece, count]) => piece.repeat(count));
const value = fc.oneof(
  token,
  fc.string({ maxLength: 20 }).map((text) => `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`),
  fc.string({ maxLength: 20 }).map((text) => `"${text}`), // unterminated
);
const param = fc.tuple(token, fc.constantFrom("=", " = ", "=\t"), value).map(([name, equals, text]) => `${name}${equals}${text}`);
const challenge = fc.oneof(
  fc.tuple(token, fc.array(param, { maxLength: 6 })).map(([scheme, params]) => `${scheme} ${params.join(", ")}`),
  fc.tuple(token, fc.string({ unit: fc.constantFrom(..."abcXYZ019-._~+/="), minLength: 1, maxLength: 30 })).map(
    ([scheme, token68]) => `${scheme} ${token68}`,
  ),
  fc.constantFrom(
    'Digest realm="x\\"y", nonce="n,1", qop="auth,auth-int", algorithm="SHA-256"',
    'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"',
    "Bearer abc==, Basic realm=x",
    "digest REALM=r, NONCE=n",
    'Digest realm="a", realm="b"',
    'Digest qop="auth"',
    "",
  ),
);
/** Grammar-shaped text with adversarial runs spliced in. */
const header = fc.oneof(
  { weight: 3, arbitrary: fc.array(challenge, { minLength: 1, maxLength: 5 }).map((items) => items.join(", ")) },
  {
    weight: 3,
    arbitrary: fc.tuple(fc.array(challenge, { maxLength: 3 }), fc.array(run, { minLength: 1, maxLength: 3 })).map(
      ([items, runs]) => {
        const parts = [...items];
        for (const piece of runs) parts.splice(parts.length === 0 ? 0 : piece.length % (parts.length + 1), 0, piece);
        return parts.join(", ");
      },
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
);
const headerLines = fc.oneof(header, fc.array(header, { maxLength: 4 }));

const jsonValue = fc.oneof(
  fc.constantFrom(3600, "3600", null, 0, -5, 1.5, "abc", 1e308, 2 ** 53, true, [], {}),
  fc.string({ maxLength: 40 }),
  fc.double(),
);
const tokenBody = fc.oneof(
  fc
    .record(
      {
        access_token: fc.oneof(fc.string({ maxLength: 40 }), jsonValue),
        token_type: fc.oneof(fc.constantFrom("bearer", "Bearer", "DPoP", "mac", ""), jsonValue),
        expires_in: jsonValue,
        scope: fc.oneof(fc.string({ maxLength: 20 }), jsonValue),
        error: fc.oneof(fc.constantFrom("invalid_client", "invalid_scope", ""), jsonValue),
        error_description: fc.oneof(fc.string({ maxLength: 40 }), jsonValue),
        error_uri: fc.oneof(fc.webUrl(), jsonValue),
      },
      { requiredKeys: [] },
    )
    .map((object) => JSON.stringify(object)),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 100 }),
  run.map((text) => `{"access_token":"${text}`),
);
const tokenInput = fc.record({
  status: fc.constantFrom(200, 201, 400, 401, 403, 500),
  contentType: fc.constantFrom("application/json", "application/json;charset=UTF-8", "text/html", "", "application/x-www-form-urlencoded"),
  body: tokenBody,
});

const isParseError = (error: unknown) => error instanceof ChallengeParseError;

export const targets: FuzzTarget[] = [
  {
    name: "parseChallenges",
    input: headerLines,
    run: (input) => void parseChallenges(input as string | string[]),
    typed: isParseError,
  },
  {
    name: "parseAuthenticationInfo",
    input: headerLines,
    run: (input) => void parseAuthenticationInfo(input as string | string[]),
    typed: isParseError,
  },
  {
    name: "parseTokenResponse",
    input: tokenInput,
    run: (input) => {
      const { status, contentType, body } = input as { status: number; contentType: string; body: string };
      parseTokenResponse(status, new Headers(contentType === "" ? {} : { "content-type": contentType }), body, 0);
    },
    typed: (error) => error instanceof TokenEndpointError || error instanceof OAuthError,
  },
];

/** Adds the netrc parser when it exists (another change is writing src/schemes/netrc-parse.ts). */
export async function withOptionalTargets(): Promise<FuzzTarget[]> {
  const all = [...targets];
  try {
    const path = "../src/schemes/netrc-parse.js";
    const netrc = (await import(/* @vite-ignore */ path)) as Record<string, unknown>;
    const parse = Object.values(netrc).find((entry) => typeof entry === "function") as ((text: string) => unknown) | undefined;
    if (parse !== undefined) {
      const line = fc.oneof(
        fc.tuple(token, token, fc.string({ maxLength: 20 })).map(([m, l, p]) => `machine ${m} login ${l} password ${p}`),
        fc.constantFrom("default login x password y", "macdef init\nline\n\n", "# comment", 'password "quoted \\" pw"'),
        run,
      );
      all.push({
        name: "netrc",
        input: fc.array(line, { maxLength: 8 }).map((lines) => lines.join("\n")),
        run: (input) => void parse(input as string),
        // Until its error classes are known, any Error subclass with a code counts as typed.
        typed: (error) => error instanceof Error && typeof (error as { code?: unknown }).code === "string",
      });
    }
  } catch {
    // Not written yet.
  }
  return all;
}

/** The adversarial inputs of PAR-01/PAR-02 (CPython CVE-2020-8492, CVE-2021-3733), up to 1 MiB. */
export function adversarialHeaders(size = 1 << 20): Array<[string, string]> {
  return [
    ["CVE-2020-8492 N=64", `Basic ${",".repeat(64)}x`],
    ["CVE-2020-8492 1 MiB", `Basic ${",".repeat(size)}x`],
    ["CVE-2021-3733 1 MiB", `${",".repeat(size)}x`],
    ["quotes 1 MiB", '"'.repeat(size)],
    ["backslashes in a quoted string 1 MiB", `Digest realm="${"\\".repeat(size)}`],
    ["escaped quotes 1 MiB", `Digest realm="${'\\"'.repeat(size / 2)}"`],
    ["unterminated realm 1 MiB", `Digest realm="${"a".repeat(size)}`],
    ["token68 of '=' 1 MiB", `Basic ${"=".repeat(size)}`],
    ["params 1 MiB", `Digest ${"a=b,".repeat(size / 4)}`],
    ["comma-space 1 MiB", ", ".repeat(size / 2)],
    ["realm= runs 1 MiB", "realm=".repeat(size / 6)],
  ];
}
