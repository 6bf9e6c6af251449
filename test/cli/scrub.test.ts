// Issue 12.12 (in-process part): what decides which names are credentials, which spellings of a
// secret are scrubbed, and how text reaches a terminal (12.6, 18.8) — as properties.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  isSecretHeader,
  isSecretParameter,
  redactQueryValues,
  shownHeaderValue,
} from "../../src/cli/credential-names.js";
import { escapeControl, escapeText, TerminalText } from "../../src/cli/safe-text.js";
import { Scrubber } from "../../src/cli/scrub.js";
import { spellings } from "./spellings.js";

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

const TRICKY = [..."abcXYZ0189+/=:%~!@ #&?;,'\"\\<>[]{}éü€☃😀\t"];
const secret = fc
  .oneof(
    fc.string({ unit: fc.constantFrom(...TRICKY), minLength: 8, maxLength: 40 }),
    fc.string({ unit: "grapheme", minLength: 8, maxLength: 24 }),
  )
  // A secret spelled inside "[redacted]" would be put back by its own replacement.
  .filter((value) => value.length >= 8 && !"[redacted]".includes(value));
const username = fc.string({ unit: fc.constantFrom(..."abcdeé-_. 12"), maxLength: 12 });
const filler = fc.string({ unit: fc.constantFrom(..."ab09+/=:%&? \n[]"), maxLength: 12 });

describe("Scrubber", () => {
  it("property: no spelling of a secret survives, whatever surrounds it", () => {
    fc.assert(
      fc.property(username, secret, fc.array(filler, { minLength: 13, maxLength: 13 }), (user, value, around) => {
        const scrubber = new Scrubber();
        scrubber.addPair(user, value);
        const forms = spellings(user, value);
        const text = forms.map((form, index) => `${around[index]}${form}`).join("") + around[12];
        const scrubbed = scrubber.scrub(text);
        for (const form of forms) expect({ form, leaked: scrubbed.includes(form) }).toEqual({ form, leaked: false });
      }),
      { numRuns: 300 },
    );
  });

  it("property: a secret inside a longer base64 text (a Basic header with another user, a JWT) is scrubbed", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 10 }), secret, fc.string({ maxLength: 10 }), (before, value, after) => {
        const scrubber = new Scrubber();
        scrubber.add([value]);
        const scrubbed = scrubber.scrub(`x ${base64(`${before}${value}${after}`)} y`);
        // The run of base64 that spells the secret, at whichever alignment it fell, is gone.
        expect(scrubbed).toContain("[redacted]");
        expect(scrubbed).not.toContain(base64(`${before}${value}${after}`));
      }),
      { numRuns: 200 },
    );
  });

  it("harvests what a request carries: a Basic header's password, a bearer token, cookies, query credentials", () => {
    const scrubber = new Scrubber();
    scrubber.harvest(
      new Request("http://h/x?access_token=CANARY-query-1&page=2", {
        headers: { authorization: `Basic ${base64("alice:CANARY-pw-2")}`, cookie: "sid=CANARY-cookie-3; lang=en" },
      }),
    );
    scrubber.harvest(new Request("http://h/", { headers: { "x-upstream-authorization": "Bearer CANARY-token-4" } }));
    const text = "CANARY-query-1 CANARY-pw-2 CANARY-cookie-3 CANARY-token-4 page=2";
    expect(scrubber.scrub(text)).toBe("[redacted] [redacted] [redacted] [redacted] page=2");
  });

  it("short secrets are redacted as words of their own, not inside other words", () => {
    const scrubber = new Scrubber();
    scrubber.add(["pass"]);
    expect(scrubber.scrub("/basic-auth/user/pass password")).toBe("/basic-auth/user/[redacted] password");
  });
});

describe("credential names, by meaning", () => {
  const credentials = [
    "Authorization",
    "Proxy-Authorization",
    "X-Upstream-Authorization",
    "X-Forwarded-Authorization",
    "DPoP",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
    "X-Hub-Signature-256",
    "X-Hub-Signature",
    "Signature",
    "Cookie",
    "Set-Cookie",
    "X-Api-Key",
    "Api-Key",
    "X-Goog-Api-Key",
    "Ocp-Apim-Subscription-Key",
    "X-Functions-Key",
    "X-Auth-Token",
    "X-Vault-Token",
    "Private-Token",
    "X-CSRF-Token",
    "X-Client-Secret",
    "X-Password",
    "X-Session-Id",
    "X-Registry-Auth",
    "X-Shopify-Hmac-Sha256",
    "Cf-Access-Jwt-Assertion",
    "X-Authentication",
  ];
  const metadata = [
    "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Headers",
    "Access-Control-Expose-Headers",
    "WWW-Authenticate",
    "Proxy-Authenticate",
    "Authentication-Info",
    "DPoP-Nonce",
    "Signature-Input",
    "Content-Type",
    "Location",
    "Vary",
    "Idempotency-Key",
    "Sec-WebSocket-Key",
    "X-RateLimit-Remaining-Tokens",
    "X-Authenticated-User",
    "X-Auth-User",
    "Keep-Alive",
  ];
  it.each(credentials)("%s is a credential header", (name) => expect(isSecretHeader(name)).toBe(true));
  it.each(metadata)("%s is not", (name) => expect(isSecretHeader(name)).toBe(false));

  it("-v shows a scheme and [redacted], by name and by shape; metadata as it is", () => {
    expect(shownHeaderValue("X-Upstream-Authorization", "Bearer abc.def")).toBe("Bearer [redacted]");
    expect(shownHeaderValue("X-Echo", "Basic dTpw")).toBe("Basic [redacted]");
    expect(shownHeaderValue("X-Echo", "id eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln")).toBe("id [redacted]");
    expect(shownHeaderValue("DPoP", "eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.sig")).toBe("[redacted]");
    expect(shownHeaderValue("Access-Control-Allow-Credentials", "true")).toBe("true");
    expect(shownHeaderValue("WWW-Authenticate", 'Bearer realm="api", error="invalid_token"')).toBe(
      'Bearer realm="api", error="invalid_token"',
    );
  });

  const parameters = [
    "access_token",
    "id_token",
    "refresh_token",
    "token",
    "code",
    "device_code",
    "code_verifier",
    "sig",
    "signature",
    "api_key",
    "apikey",
    "key",
    "password",
    "passwd",
    "client_secret",
    "secret",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
    "X-Amz-Credential",
    "X-Goog-Signature",
    "AWSAccessKeyId",
    "jsessionid",
    "sid",
    "ticket",
    "auth",
    "client_assertion",
    "SAMLResponse",
  ];
  it.each(parameters)("?%s= is a credential parameter", (name) => expect(isSecretParameter(name)).toBe(true));
  it.each(["state", "page", "q", "redirect_uri", "token_type", "expires_in", "scope", "nonce"])("?%s= is not", (name) =>
    expect(isSecretParameter(name)).toBe(false),
  );

  it("property: a credential parameter's value is redacted wherever a URL is printed, the rest kept", () => {
    const value = fc.stringMatching(/^[A-Za-z0-9._~-]{1,20}$/).map((text) => `CANARY${text}`);
    const plain = fc.constantFrom("page=2", "state=xyz", "q=a+b", "lang=en");
    fc.assert(
      fc.property(
        fc.constantFrom(...parameters),
        value,
        fc.array(plain, { maxLength: 3 }),
        fc.constantFrom("?", "#", ";"),
        fc.constantFrom("GET /cb", "location: https://h.example:8443/cb", "error: see http://h/x"),
        (name, secretValue, others, delimiter, prefix) => {
          const encodedName = name.replace(/_/g, "%5F");
          for (const spelled of [name, encodedName]) {
            const query = [...others, `${spelled}=${secretValue}`, ...others].join("&");
            const redacted = redactQueryValues(`${prefix}${delimiter}${query} (done)`);
            expect(redacted).not.toContain(secretValue);
            for (const other of others) expect(redacted).toContain(other);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("redacts userinfo and a credential inside an encoded redirect_uri", () => {
    expect(redactQueryValues("https://u:CANARY@h/x")).toBe("https://[redacted]@h/x");
    const nested = `/authorize?redirect_uri=${encodeURIComponent("https://app/cb?token=CANARY1&x=1")}&state=s`;
    expect(redactQueryValues(nested)).not.toContain("CANARY1");
    expect(redactQueryValues(nested)).toContain("state=s");
  });
});

/** True for a code unit a terminal acts on (C0, DEL, C1, bidi overrides and isolates). */
const unsafe = (code: number) =>
  code < 0x20 ||
  (code >= 0x7f && code <= 0x9f) ||
  (code >= 0x202a && code <= 0x202e) ||
  (code >= 0x2066 && code <= 0x2069);

describe("terminal text", () => {
  it("property: escapeControl leaves no character a terminal would act on", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const shown = escapeControl(text);
        expect([...shown].filter((character) => unsafe(character.charCodeAt(0)))).toEqual([]);
      }),
    );
  });

  it("property: a body split anywhere shows as the whole would: UTF-8, CRLF and escapes across chunks", () => {
    const bytes = fc.uint8Array({ maxLength: 64 }).chain((random) =>
      fc
        .array(fc.constantFrom("é", "€", "😀", "\r\n", "\r", "\u001b[31m", "\u009b", "\u202e", "ok"), {
          maxLength: 12,
        })
        .map((pieces) => Buffer.concat([Buffer.from(random), Buffer.from(pieces.join(""), "utf8")])),
    );
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 6 }), (body, cuts) => {
        const points = [...new Set(cuts.map((cut) => cut % (body.length + 1)))].sort((a, b) => a - b);
        const text = new TerminalText();
        let shown = "";
        let from = 0;
        for (const point of [...points, body.length]) {
          shown += text.push(body.subarray(from, point));
          from = point;
        }
        shown += text.end();
        expect(shown).toBe(escapeText(new TextDecoder().decode(body)));
        const lone: number[] = [];
        for (let index = 0; index < shown.length; index++) {
          const code = shown.charCodeAt(index);
          const lineEnd = code === 0x0a || (code === 0x0d && shown[index + 1] === "\n");
          if (unsafe(code) && code !== 0x09 && !lineEnd) lone.push(code);
        }
        expect(lone).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});
