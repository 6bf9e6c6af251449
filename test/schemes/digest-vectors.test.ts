import { createHash } from "node:crypto";
import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidCredentialsError } from "../../src/errors.js";
import { parseChallenges } from "../../src/headers/challenge.js";
import { DigestAuth } from "../../src/schemes/digest.js";
import { encodeExtValue, selectDigestChallenge } from "../../src/schemes/digest-challenge.js";
import { computeDigestResponse, computeUserhash, resolveAlgorithm } from "../../src/schemes/digest-hash.js";
import { DigestSession } from "../../src/schemes/digest-session.js";

// RFC 7616 §3.9.1, as printed in the RFC (nonce "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v").
const RFC = {
  username: "Mufasa",
  password: "Circle of Life",
  realm: "http-auth@example.org",
  nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
  cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
  opaque: "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
  uri: "/dir/index.html",
  method: "GET",
  nc: "00000001",
  qop: "auth" as const,
};

/** The RFC 7616 §3.4 formulas on node:crypto: independent of the library's hash code. */
const NODE_NAMES: Record<string, string> = {
  MD5: "md5",
  SHA: "sha1",
  "SHA-256": "sha256",
  "SHA-512": "sha512",
  "SHA-512-256": "sha512-256",
};

function nodeHash(algorithm: string, data: string | Uint8Array): string {
  const name = NODE_NAMES[algorithm.replace(/-sess$/, "")];
  if (name === undefined) throw new Error(algorithm);
  return createHash(name).update(data).digest("hex");
}

interface Case {
  algorithm: string;
  qop: "auth" | "auth-int" | undefined;
  username: string;
  password: string;
  realm: string;
  method: string;
  uri: string;
  nonce: string;
  nc: string;
  cnonce: string;
  body: Uint8Array;
}

function independentResponse(input: Case): string {
  const H = (data: string | Uint8Array) => nodeHash(input.algorithm, data);
  let ha1 = H(`${input.username}:${input.realm}:${input.password}`);
  if (input.algorithm.endsWith("-sess")) ha1 = H(`${ha1}:${input.nonce}:${input.cnonce}`);
  const a2 =
    input.qop === "auth-int" ? `${input.method}:${input.uri}:${H(input.body)}` : `${input.method}:${input.uri}`;
  if (input.qop === undefined) return H(`${ha1}:${input.nonce}:${H(a2)}`);
  return H(`${ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${H(a2)}`);
}

describe("Digest arithmetic: RFC 7616 §3.9.1 examples", () => {
  it("reproduces the MD5 example exactly", () => {
    expect(computeDigestResponse({ ...RFC, algorithm: "MD5" })).toBe("8ca523f5e9506fed4657c9700eebdbec");
  });

  it("reproduces the SHA-256 example exactly", () => {
    expect(computeDigestResponse({ ...RFC, algorithm: "SHA-256" })).toBe(
      "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
    );
  });

  it("treats an absent algorithm as MD5 (RFC 7616 §3.3)", () => {
    expect(resolveAlgorithm(undefined)?.algorithm).toBe("MD5");
    expect(resolveAlgorithm("sha-512-256-SESS")?.algorithm).toBe("SHA-512-256-sess");
    expect(resolveAlgorithm("SHA-3")).toBeUndefined();
    expect(resolveAlgorithm("__proto__")).toBeUndefined();
  });
});

describe("Digest arithmetic: every algorithm × qop × -sess against node:crypto", () => {
  const algorithms = ["MD5", "SHA", "SHA-256", "SHA-512", "SHA-512-256"];
  const cases: Case[] = [];
  for (const base of algorithms) {
    for (const algorithm of [base, `${base}-sess`]) {
      for (const qop of ["auth", "auth-int", undefined] as const) {
        if (qop === undefined && algorithm.endsWith("-sess")) continue; // -sess needs a cnonce, so a qop
        cases.push({
          algorithm,
          qop,
          username: "J\u00e4s\u00f8n Doe",
          password: 'p\u00e4ss:w"o\\rd',
          realm: "api@example.org",
          method: "POST",
          uri: "/a%20b/c?d=%2F&e",
          nonce: "n/+=",
          nc: "0000000a",
          cnonce: "c0ffee",
          body: new TextEncoder().encode('{"x":"\u00e9"}\r\n'),
        });
      }
    }
  }

  it.each(cases.map((entry) => [entry.algorithm, entry.qop ?? "none", entry] as const))(
    "%s with qop %s",
    (_algorithm, _qop, entry) => {
      expect(computeDigestResponse(entry)).toBe(independentResponse(entry));
    },
  );
});

describe("userhash and username* (RFC 7616 §3.4.4, RFC 8187)", () => {
  // The §3.9.2 example's printed userhash and response do not reproduce from the
  // RFC's own formulas: they are SHA-512 truncated to 256 bits, not SHA-512/256
  // (errata 4897; checked with node:crypto and with our own SHA-512/256). So we check against
  // an independent computation and the corrected values instead.
  const example = {
    algorithm: "SHA-512-256",
    username: "J\u00e4s\u00f8n Doe",
    password: "Secret, or not?",
    realm: "api@example.org",
    nonce: "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK",
    cnonce: "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
    uri: "/doe.json",
    method: "GET",
    nc: "00000001",
    qop: "auth" as const,
  };

  it("computes the §3.9.2 userhash and response with real SHA-512/256", () => {
    const userhash = computeUserhash("SHA-512-256", example.username, example.realm);
    expect(userhash).toBe(nodeHash("SHA-512-256", `${example.username}:${example.realm}`));
    expect(userhash).toBe("793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b");
    const response = computeDigestResponse(example);
    expect(response).toBe(independentResponse({ ...example, body: new Uint8Array(0) }));
    expect(response).toBe("3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5");
  });

  it("does not produce the RFC's printed (truncated SHA-512) values", () => {
    expect(computeUserhash("SHA-512-256", example.username, example.realm)).not.toBe(
      "488869477bf257147b804c45308cd62ac4e25eb717b12b298c79e62dcea254ec",
    );
    expect(computeDigestResponse(example)).not.toBe("ae66e67d6b427bd3f120414a82e4acff38e8ecd9101d6c861229025f607a79dd");
  });

  it("encodes username* as RFC 8187 UTF-8 ext-value", () => {
    expect(encodeExtValue("J\u00e4s\u00f8n Doe")).toBe("UTF-8''J%C3%A4s%C3%B8n%20Doe");
    expect(encodeExtValue("a'b(c)*\u7528")).toBe("UTF-8''a%27b%28c%29%2A%E7%94%A8");
    expect(decodeURIComponent(encodeExtValue("!#$&+-.^_`|~").slice(7))).toBe("!#$&+-.^_`|~");
  });

  const challengeOf = (parameters: string) => {
    const header = `Digest realm="r", nonce="n", qop=auth, algorithm=SHA-256${parameters}`;
    const selected = selectDigestChallenge(parseChallenges(header), undefined).selected;
    if (selected === undefined) throw new Error("no challenge");
    return selected;
  };
  const sessionFor = (username: string, parameters: string) =>
    new DigestSession("http://h", "/", challengeOf(parameters), {
      username,
      baseHa1: () => nodeHash("SHA-256", `${username}:r:pw`),
    });

  it("sends userhash, or username* where the challenge says charset=UTF-8, never both", () => {
    const name = "J\u00e4s\u00f8n";
    const plain = sessionFor(name, ", charset=UTF-8").authorize("GET", "/", undefined);
    expect(plain.header).toContain("username*=UTF-8''J%C3%A4s%C3%B8n,");
    expect(plain.header).not.toContain('username="');
    const hashed = sessionFor(name, ", userhash=true, charset=UTF-8").authorize("GET", "/", undefined);
    expect(hashed.header).toContain(`username="${nodeHash("SHA-256", `${name}:r`)}"`);
    expect(hashed.header).toContain("userhash=true");
    expect(hashed.header).not.toContain("username*");
  });

  it("sends a name outside ASCII as its UTF-8 bytes in a quoted username to a server without charset (Apache httpd)", () => {
    const header = sessionFor("zo\u00eb", "").authorize("GET", "/", undefined).header;
    expect(header).not.toContain("username*");
    // A header value is a byte string: one character per byte, which fetch and undici send as that byte.
    expect(Buffer.from(header, "latin1").toString("utf8")).toContain('username="zo\u00eb"');
  });

  it("encodes any user name so that the server reads it back (property)", () => {
    fc.assert(
      fc.property(
        fc
          .string({ unit: "grapheme", minLength: 1, maxLength: 12 })
          .filter((name) => ![...name].some((character) => character < " " || character === "\u007f")),
        fc.boolean(),
        (name, charset) => {
          const header = sessionFor(name, charset ? ", charset=utf-8" : "").authorize("GET", "/", undefined).header;
          // A header value is a byte string: every character one byte.
          expect([...header].every((character) => character.charCodeAt(0) <= 0xff)).toBe(true);
          const params = parseChallenges(header)[0]?.params ?? {};
          const extended = params["username*"];
          if (extended !== undefined) {
            expect(charset).toBe(true);
            expect(decodeURIComponent(extended.slice("UTF-8''".length))).toBe(name);
          } else {
            expect(Buffer.from(params.username ?? "", "latin1").toString("utf8")).toBe(name);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("choosing a challenge (DIG-01, DIG-10)", () => {
  const select = (header: string | string[], allowed?: readonly string[]) =>
    selectDigestChallenge(parseChallenges(header), allowed === undefined ? undefined : new Set(allowed as never[]));

  it.each([
    [["Digest realm=r, nonce=a, algorithm=SHA-256", "Digest realm=r, nonce=b, algorithm=MD5"], "SHA-256", "a"],
    [["Digest realm=r, nonce=b, algorithm=MD5", "Digest realm=r, nonce=a, algorithm=SHA-256"], "SHA-256", "a"],
    [["Digest realm=r, nonce=b, algorithm=MD5, Digest realm=r, nonce=a, algorithm=sha-256"], "SHA-256", "a"],
    [
      ["Digest realm=r, nonce=a, algorithm=SHA-512, Digest realm=r, nonce=b, algorithm=SHA-512-256-sess, qop=auth"],
      "SHA-512-256-sess",
      "b",
    ],
    [["Digest realm=r, nonce=a, algorithm=SHA, Digest realm=r, nonce=b, algorithm=SHA-512"], "SHA-512", "b"],
    [["Basic realm=r, Digest realm=r, nonce=a"], "MD5", "a"],
    [['Digest realm=r, nonce=a, algorithm="MD5"'], "MD5", "a"],
  ])("picks the strongest of %j", (header, algorithm, nonce) => {
    const { selected } = select(header);
    expect(selected?.resolved.algorithm).toBe(algorithm);
    expect(selected?.nonce).toBe(nonce);
  });

  it("prefers qop auth, and takes auth-int only when it is the only one", () => {
    expect(select('Digest realm=r, nonce=a, qop="auth-int, auth"').selected?.qop).toBe("auth");
    expect(select('Digest realm=r, nonce=a, qop="auth-int"').selected?.qop).toBe("auth-int");
    expect(select("Digest realm=r, nonce=a").selected?.qop).toBeUndefined();
    expect(select('Digest realm=r, nonce=a, qop="auth-conf"').selected).toBeUndefined();
  });

  it("refuses what it cannot answer and reports what was offered", () => {
    const result = select(["Digest realm=r, nonce=a, algorithm=SHA-3", "Basic realm=r", "Digest nonce=b"]);
    expect(result.selected).toBeUndefined();
    expect(result.offered).toEqual(["SHA-3", "Basic", "MD5"]);
    expect(select("Digest realm=r, nonce=a, algorithm=MD5-sess").selected).toBeUndefined(); // -sess without qop
    expect(select("Digest realm=r, nonce=a, algorithm=MD5", ["SHA-256"]).selected).toBeUndefined();
  });
});

describe("DigestAuth credentials", () => {
  it("never shows the password in String(), JSON or util.inspect", () => {
    const auth = new DigestAuth("alice", "canary-s3cr3t-password");
    for (const shown of [
      String(auth),
      JSON.stringify(auth),
      inspect(auth),
      `${auth}`,
      inspect({ auth }, { depth: 5 }),
    ]) {
      expect(shown).not.toContain("canary-s3cr3t-password");
      expect(shown).toContain("alice");
    }
    expect(JSON.parse(JSON.stringify(auth))).toEqual({ type: "DigestAuth", username: "alice", password: "[redacted]" });
  });

  it("rejects control characters in the user name without repeating it", () => {
    for (const username of ["bob\r\nX-Injected: 1", "bob\n", "bob\u0000", "bob\u007f"]) {
      let caught: unknown;
      try {
        new DigestAuth(username, "pw");
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidCredentialsError);
      expect((caught as Error).message).not.toContain("bob");
    }
  });

  it("escapes quotes and backslashes in the user name instead of injecting parameters (PAR-06)", () => {
    const challenge = selectDigestChallenge(
      parseChallenges('Digest realm="r\\"x", nonce="n\\\\", qop=auth'),
      undefined,
    ).selected;
    if (challenge === undefined) throw new Error("no challenge");
    const identity = { username: 'a", realm="evil', baseHa1: () => "00" };
    const { header } = new DigestSession("http://h", "/", challenge, identity).authorize("GET", "/", undefined);
    const [parsed] = parseChallenges(header);
    expect(parsed?.params.username).toBe('a", realm="evil');
    expect(parsed?.params.realm).toBe('r"x');
    expect(parsed?.params.nonce).toBe("n\\");
  });
});
