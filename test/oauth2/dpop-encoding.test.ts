/**
 * Issue 16: the pure parts of DPoP, with fast-check — base64url (checked
 * against Node's own encoder), nonce validation (RFC 9449 §8.1), the reading
 * of WWW-Authenticate challenges, and the bound on servers remembered.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseTokenResponse, TokenEndpointError } from "../../src/index.js";
import { base64url, base64urlText } from "../../src/oauth2/dpop-encoding.js";
import { SERVERS_REMEMBERED, ServerMemory, validNonce } from "../../src/oauth2/dpop-servers.js";
import { tokenChallenge } from "../../src/oauth2/token-challenge.js";

describe("base64url (RFC 7515 §2)", () => {
  it("bytes: as Node encodes them", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        expect(base64url(bytes)).toBe(Buffer.from(bytes).toString("base64url"));
      }),
    );
  });

  it("text: the UTF-8 bytes, ASCII or not", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
        expect(base64urlText(text)).toBe(Buffer.from(text, "utf8").toString("base64url"));
      }),
    );
  });
});

describe("DPoP-Nonce values (RFC 9449 §8.1: 1*NQCHAR)", () => {
  const nqchar = fc.constantFrom(..."!#$%&'()*+,-./0123456789:;<=>?@ABCXYZ[]^_`abcxyz{|}~".split(""));

  it("NQCHAR strings up to 1024 characters are nonces", () => {
    fc.assert(
      fc.property(fc.array(nqchar, { minLength: 1, maxLength: 1024 }), (characters) => {
        expect(validNonce(characters.join(""))).toBe(characters.join(""));
      }),
    );
  });

  it("anything with a space, a quote, a backslash, a control or non-ASCII character, or empty, is not", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        fc.constantFrom(" ", '"', "\\", "\u0000", "\u007f", "é", "\n"),
        (text, bad) => {
          expect(validNonce(`${text}${bad}`)).toBeUndefined();
        },
      ),
    );
    expect(validNonce("")).toBeUndefined();
    expect(validNonce("a".repeat(1025))).toBeUndefined();
  });

  it("a server's nonce is remembered per origin, and at most SERVERS_REMEMBERED servers are", () => {
    const memory = new ServerMemory();
    for (let index = 0; index <= SERVERS_REMEMBERED; index++) {
      memory.learn(`https://s${index}.example`, new Headers({ "dpop-nonce": `n${index}` }), Date.now());
    }
    expect(memory.nonce("https://s0.example")).toBeUndefined();
    expect(memory.nonce(`https://s${SERVERS_REMEMBERED}.example`)).toBe(`n${SERVERS_REMEMBERED}`);
    expect(
      memory.learn("https://x.example", new Headers({ "dpop-nonce": "bad nonce" }), Date.now()).nonce,
    ).toBeUndefined();
  });

  it("a Date more than 10 s off moves that server's iat, and only that server's", () => {
    const memory = new ServerMemory();
    const now = Date.UTC(2026, 0, 1);
    const ahead = new Date(now + 600_000).toUTCString();
    expect(memory.learn("https://ahead.example", new Headers({ date: ahead }), now).clockMoved).toBe(true);
    expect(memory.issuedAt("https://ahead.example", now)).toBe(now / 1000 + 600);
    expect(memory.issuedAt("https://other.example", now)).toBe(now / 1000);
    expect(
      memory.learn("https://near.example", new Headers({ date: new Date(now + 5_000).toUTCString() }), now).clockMoved,
    ).toBe(false);
  });
});

describe("tokenChallenge", () => {
  it("never throws, whatever the header", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (header) => {
        const headers = new Headers();
        try {
          headers.set("www-authenticate", header);
        } catch {
          return;
        }
        tokenChallenge(headers);
      }),
    );
  });

  it("reads Bearer and DPoP errors and the first resource_metadata", () => {
    const challenge = tokenChallenge(
      new Headers({
        "www-authenticate":
          'Basic realm="x", DPoP algs="ES256", error="use_dpop_nonce", Bearer error="invalid_token", resource_metadata="https://r.example/.well-known/oauth-protected-resource"',
      }),
    );
    expect(challenge).toEqual({
      bearerInvalidToken: true,
      dpopInvalidToken: false,
      useDpopNonce: true,
      invalidDpopProof: false,
      resourceMetadata: "https://r.example/.well-known/oauth-protected-resource",
      oauth: true,
    });
  });
});

describe('parseTokenResponse(…, expect: "DPoP") (RFC 9449 §5)', () => {
  const answer = (type: unknown) => JSON.stringify({ access_token: "abc", token_type: type, expires_in: 60 });

  it("DPoP in any case is a DPoP token; anything else, Bearer included, is a TokenEndpointError", () => {
    for (const type of ["DPoP", "dpop", "DPOP"]) {
      expect(parseTokenResponse(200, new Headers(), answer(type), 0, "DPoP").tokenType).toBe("DPoP");
    }
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constantFrom("Bearer", "bearer", "mac")), (type) => {
        fc.pre(type.toLowerCase() !== "dpop");
        expect(() => parseTokenResponse(200, new Headers(), answer(type), 0, "DPoP")).toThrow(TokenEndpointError);
      }),
    );
  });
});
