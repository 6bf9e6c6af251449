import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { md5Hex } from "../../src/hashes/md5.js";

const nodeMd5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex");

describe("md5Hex", () => {
  it("matches the RFC 1321 §A.5 test suite", () => {
    const suite: [string, string][] = [
      ["", "d41d8cd98f00b204e9800998ecf8427e"],
      ["a", "0cc175b9c0f1b6a831c399e269772661"],
      ["abc", "900150983cd24fb0d6963f7d28e17f72"],
      ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
      ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
      ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"],
      ["1234567890".repeat(8), "57edf4a22be3c955ac49da2e2107b67a"],
    ];
    for (const [input, expected] of suite) expect(md5Hex(new TextEncoder().encode(input))).toBe(expected);
  });

  it("agrees with node:crypto on every length around the block and padding boundaries", () => {
    for (let length = 0; length <= 300; length++) {
      const bytes = Uint8Array.from({ length }, (_, index) => (index * 131 + length) & 0xff);
      expect(md5Hex(bytes)).toBe(nodeMd5(bytes));
    }
  });

  it("agrees with node:crypto on random inputs, small and larger than its shared buffer", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 4000, maxLength: 9000 })),
        (bytes) => {
          expect(md5Hex(bytes)).toBe(nodeMd5(bytes));
        },
      ),
      { numRuns: 300 },
    );
  });
});
