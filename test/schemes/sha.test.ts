import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nativeHash } from "../../src/hashes/native.js";
import {
  portableSha1Hex,
  portableSha256Hex,
  portableSha512_256Hex,
  portableSha512Hex,
  sha1Hex,
  sha256Hex,
  sha512_256Hex,
  sha512Hex,
} from "../../src/hashes/sha.js";

// node:crypto (OpenSSL) is the independent implementation every case is checked against.
// The portable implementations are what browsers and other runtimes without node:crypto run.
const HASHES = [
  ["sha1", portableSha1Hex],
  ["sha256", portableSha256Hex],
  ["sha512", portableSha512Hex],
  ["sha512-256", portableSha512_256Hex],
] as const;
const node = (name: string, bytes: Uint8Array) => createHash(name).update(bytes).digest("hex");
const utf8 = (text: string) => new TextEncoder().encode(text);

describe("SHA-1 / SHA-256 / SHA-512 / SHA-512/256", () => {
  it("reproduce the FIPS 180-4 example values for 'abc'", () => {
    // Published in NIST's "Examples with Intermediate Values" for each algorithm.
    expect(portableSha1Hex(utf8("abc"))).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
    expect(sha1Hex(utf8("abc"))).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
    expect(sha256Hex(utf8("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha512Hex(utf8("abc"))).toBe(
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    );
    expect(sha512_256Hex(utf8("abc"))).toBe("53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23");
  });

  it("agree with node:crypto on every length around the block and padding boundaries", () => {
    for (let length = 0; length <= 300; length++) {
      const bytes = Uint8Array.from({ length }, (_, index) => (index * 131 + length) & 0xff);
      for (const [name, hash] of HASHES) expect(hash(bytes), `${name} of ${length} bytes`).toBe(node(name, bytes));
    }
  });

  it("agree with node:crypto on random inputs, including multi-block auth-int bodies", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (bytes) => {
        for (const [name, hash] of HASHES) expect(hash(bytes)).toBe(node(name, bytes));
      }),
      { numRuns: 200 },
    );
  });

  it("agree with node:crypto on Digest-shaped UTF-8 strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), fc.string(), (user, password) => {
        const bytes = utf8(`${user}:realm@example.org:${password}`);
        for (const [name, hash] of HASHES) expect(hash(bytes)).toBe(node(name, bytes));
      }),
      { numRuns: 200 },
    );
  });

  it("use the platform's own hash on Node, with the same answers", () => {
    expect(nativeHash).toBeTypeOf("function");
    const bytes = utf8("Mufasa:http-auth@example.org:Circle of Life");
    const exported = [sha1Hex, sha256Hex, sha512Hex, sha512_256Hex];
    HASHES.forEach(([name, portable], index) => {
      expect(exported[index]?.(bytes)).toBe(portable(bytes));
      expect(nativeHash?.(name, bytes)).toBe(node(name, bytes));
    });
  });
});
