import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isLoopback } from "../src/policy/origin.js";
import {
  CREDENTIAL_HEADERS,
  carriesCredentials,
  credentialHeaderSet,
  type RedirectInput,
  redirectVerdict,
  refusesPlainHttp,
  withoutCredentials,
} from "../src/policy/rules.js";

/**
 * The one security policy as tables of the pure functions. The loopback
 * tests per front door (client, redirects, hardening) prove each front door
 * applies it; these prove the rules themselves, every combination once.
 */

const FROM = new URL("https://api.example.com/start");
const TRUSTED = "https://auth.example.com";

/** `Location` spellings and where each lands from FROM: an origin, or the refusal it earns. */
const LOCATIONS: ReadonlyArray<readonly [string, string]> = [
  ["/next", "https://api.example.com"],
  ["next", "https://api.example.com"],
  ["?page=2", "https://api.example.com"],
  ["https://API.EXAMPLE.COM:443/x", "https://api.example.com"],
  ["https://api.example.com./x", "https://api.example.com."],
  ["https://api.example.com:8443/x", "https://api.example.com:8443"],
  ["//evil.example/x", "https://evil.example"],
  ["\\\\evil.example/x", "https://evil.example"],
  ["/\\evil.example/x", "https://evil.example"],
  ["  https://evil.example/x  ", "https://evil.example"],
  ["https://evil.example/x", "https://evil.example"],
  ["https://api.example.com@evil.example/x", "refused:userinfo"],
  ["https://evil.example%2F@api.example.com/x", "refused:userinfo"],
  ["https://user:pass@api.example.com/x", "refused:userinfo"],
  ["https://auth.example.com/token", TRUSTED],
  ["http://api.example.com/x", "http://api.example.com"],
  ["http://auth.example.com/x", "http://auth.example.com"],
  ["javascript:alert(1)", "refused:scheme"],
  ["data:text/html,hi", "refused:scheme"],
  ["file:///etc/passwd", "refused:scheme"],
  ["ftp://api.example.com/x", "refused:scheme"],
  ["http://[", "refused:invalid"],
  ["https://exa mple.com/", "refused:invalid"],
];

const STATUSES = [301, 302, 303, 307, 308] as const;
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;

/** The rules as the specs state them, written independently of src/policy/rules.ts. */
function expected(
  status: number,
  method: string,
  target: string,
  body: boolean,
  credentialed: boolean,
  kept: boolean,
): string {
  if (target.startsWith("refused:")) return target;
  // Fetch §4.4 step 12.
  const toGet = (status === 303 && method !== "GET" && method !== "HEAD") || (status <= 302 && method === "POST");
  const nextMethod = toGet ? "GET" : method;
  const trusted = target === "https://api.example.com" || target === TRUSTED;
  const downgrade = target.startsWith("http:");
  const credentials = kept && trusted && !downgrade;
  const hasBody = body && method !== "GET" && method !== "HEAD";
  if (!toGet && hasBody && credentialed && !(trusted && !downgrade)) return "refused:credentialed-body";
  return `follow ${target} ${nextMethod}${toGet ? " drop-body" : ""}${credentials ? " credentials" : ""}`;
}

function verdictText(input: RedirectInput): string {
  const verdict = redirectVerdict(input);
  if (!verdict.follow) return `refused:${verdict.reason}`;
  return `follow ${verdict.url.origin} ${verdict.method}${verdict.dropBody ? " drop-body" : ""}${verdict.credentials ? " credentials" : ""}`;
}

describe("redirectVerdict: the redirect matrix", () => {
  it("statuses × methods × Location spellings × body × credentialed × credentials kept", () => {
    let cases = 0;
    for (const status of STATUSES)
      for (const method of METHODS)
        for (const [location, target] of LOCATIONS)
          for (const body of [false, true])
            for (const credentialed of [false, true])
              for (const kept of [false, true]) {
                const input: RedirectInput = {
                  from: FROM,
                  location,
                  status,
                  method,
                  credentialed,
                  credentialsKept: kept,
                  hasBody: body && method !== "GET" && method !== "HEAD",
                  trusted: (origin) => origin === FROM.origin || origin === TRUSTED,
                };
                const want = expected(status, method, target, body, credentialed, kept);
                expect(
                  verdictText(input),
                  `${status} ${method} ${JSON.stringify(location)} body=${body} cred=${credentialed} kept=${kept}`,
                ).toBe(want);
                cases++;
              }
    expect(cases).toBe(STATUSES.length * METHODS.length * LOCATIONS.length * 8);
  });

  it.each([
    // status, method, location, credentialed body → outcome
    [307, "POST", "https://evil.example/x", true, "refused:credentialed-body"],
    [308, "PUT", "//evil.example/x", true, "refused:credentialed-body"],
    [307, "POST", "http://api.example.com/x", true, "refused:credentialed-body"],
    [307, "POST", "/same-origin", true, "follow https://api.example.com POST credentials"],
    [307, "POST", "https://auth.example.com/x", true, "follow https://auth.example.com POST credentials"],
    [302, "POST", "https://evil.example/x", true, "follow https://evil.example GET drop-body"],
    [303, "PUT", "https://evil.example/x", true, "follow https://evil.example GET drop-body"],
    [303, "HEAD", "/x", false, "follow https://api.example.com HEAD credentials"],
    [301, "PUT", "https://evil.example/x", false, "follow https://evil.example PUT"],
  ] as const)("%i %s to %s (credentialed body: %s) → %s", (status, method, location, credentialedBody, outcome) => {
    const input: RedirectInput = {
      from: FROM,
      location,
      status,
      method,
      credentialed: true,
      credentialsKept: true,
      hasBody: credentialedBody,
      trusted: (origin) => origin === FROM.origin || origin === TRUSTED,
    };
    expect(verdictText(input)).toBe(outcome);
  });

  it("once credentials are stripped they stay stripped, even back on the first origin (Go CVE-2024-45336)", () => {
    const back = redirectVerdict({
      from: new URL("https://evil.example/hop"),
      location: "https://api.example.com/again",
      status: 302,
      method: "GET",
      credentialed: false,
      credentialsKept: false,
      hasBody: false,
      trusted: (origin) => origin === FROM.origin,
    });
    expect(back).toMatchObject({ follow: true, credentials: false });
  });

  it("names where a refused redirect pointed without repeating userinfo", () => {
    const verdict = redirectVerdict({
      from: FROM,
      location: "https://user:CANARY-location@api.example.com/x",
      status: 302,
      method: "GET",
      credentialed: true,
      credentialsKept: true,
      hasBody: false,
      trusted: () => true,
    });
    expect(verdict).toEqual({ follow: false, reason: "userinfo", target: "https://api.example.com" });
  });
});

describe("the credential headers: one list for redirects and plain HTTP", () => {
  it("holds the usual credential headers, and adds sensitiveHeaders lower-cased", () => {
    for (const name of ["authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token"]) {
      expect(CREDENTIAL_HEADERS).toContain(name);
    }
    const set = credentialHeaderSet(["X-Session-Token", "X-Custom"]);
    expect(set.has("x-session-token")).toBe(true);
    expect(set.has("x-custom")).toBe(true);
    expect(set.has("authorization")).toBe(true);
    expect(credentialHeaderSet().has("x-custom")).toBe(false);
  });

  it("carriesCredentials and withoutCredentials agree for every header of the set, in any case", () => {
    const set = credentialHeaderSet(["X-Session-Token"]);
    for (const name of [...CREDENTIAL_HEADERS, "X-Session-Token"]) {
      for (const spelling of [name, name.toUpperCase()]) {
        const headers = new Headers({ [spelling]: "secret", accept: "text/plain" });
        expect(carriesCredentials(headers, set), spelling).toBe(true);
        const stripped = withoutCredentials(headers, set);
        expect(carriesCredentials(stripped, set)).toBe(false);
        expect(stripped.get("accept")).toBe("text/plain");
      }
    }
    expect(carriesCredentials(new Headers({ accept: "x", "x-request-id": "1" }), set)).toBe(false);
  });
});

/** Host spellings → whether a connection to them is pinned to loopback (RFC 6761 §6.3). */
const HOSTS: ReadonlyArray<readonly [string, boolean]> = [
  ["127.0.0.1", true],
  ["127.1", true],
  ["127.0.1", true],
  ["0x7f000001", true],
  ["0x7f.0.0.1", true],
  ["0177.0.0.1", true],
  ["2130706433", true],
  ["127.255.255.254", true],
  ["127.0.0.1.", true],
  ["localhost", true],
  ["LOCALHOST", true],
  ["LocalHost", true],
  ["[::1]", true],
  ["[0:0:0:0:0:0:0:1]", true],
  ["[0000::0001]", true],
  ["[::ffff:127.0.0.1]", true],
  ["[::ffff:7f00:1]", true],
  ["[::ffff:127.9.8.7]", true],
  // Names the resolver decides: nothing pins them to loopback.
  ["localhost.", false],
  ["x.localhost", false],
  ["svc.localhost", false],
  ["SVC.LOCALHOST", false],
  ["a.b.localhost", false],
  ["localhost.localdomain", false],
  ["localhost.example.com", false],
  ["127.0.0.1.nip.io", false],
  ["127-0-0-1.sslip.io", false],
  ["localtest.me", false],
  ["xn--localhost-", false],
  // Addresses that are not loopback, or not only.
  ["0.0.0.0", false],
  ["[::]", false],
  ["[::127.0.0.1]", false],
  ["[::ffff:10.0.0.1]", false],
  ["[fe80::1]", false],
  ["128.0.0.1", false],
  ["10.0.0.1", false],
  ["192.168.1.1", false],
  ["example.com", false],
];

describe("the plain-HTTP rule", () => {
  it.each(HOSTS)("http://%s is loopback: %s", (host, loopback) => {
    const url = new URL(`http://${host}:8080/x`);
    expect(isLoopback(url)).toBe(loopback);
    expect(refusesPlainHttp(url, false)).toBe(!loopback);
    expect(refusesPlainHttp(url, true)).toBe(false);
    expect(refusesPlainHttp(new URL(`https://${host}:8443/x`), false)).toBe(false);
  });

  it("no name under .localhost, in any case or depth, counts as loopback (they are resolved through DNS)", () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
    const casing = fc.array(fc.boolean(), { minLength: 9, maxLength: 9 });
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 3 }), casing, fc.boolean(), (labels, upper, dot) => {
        const suffix = [..."localhost"].map((letter, index) => (upper[index] ? letter.toUpperCase() : letter)).join("");
        const url = new URL(`http://${labels.join(".")}.${suffix}${dot ? "." : ""}/`);
        expect(refusesPlainHttp(url, false)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("every spelling of 127.0.0.0/8 the URL parser accepts is loopback, every other IPv4 address is not", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.constantFrom("dotted", "integer", "hex"), (address, form) => {
        const parts = address.split(".").map(Number) as [number, number, number, number];
        const value = ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
        const host = form === "dotted" ? address : form === "integer" ? String(value) : `0x${value.toString(16)}`;
        expect(isLoopback(new URL(`http://${host}/`))).toBe(parts[0] === 127);
      }),
      { numRuns: 500 },
    );
  });
});
