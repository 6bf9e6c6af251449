/**
 * NO_PROXY with curl's rules (src/schemes/no-proxy.ts), pure: a table of
 * cases and fast-check properties for names, CIDR blocks and ports.
 */
import { isIPv6 } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NoProxy, parseAddress } from "../../src/schemes/no-proxy.js";

describe("NO_PROXY entries", () => {
  const cases: [string, string, number, boolean][] = [
    ["example.com", "example.com", 80, true],
    ["example.com", "api.example.com", 443, true],
    [".example.com", "example.com", 80, true],
    [".example.com", "deep.api.example.com", 80, true],
    ["example.com", "badexample.com", 80, false],
    ["example.com", "example.com.evil.test", 80, false],
    ["EXAMPLE.com.", "Api.Example.COM", 80, true],
    ["*", "anything.test", 8080, true],
    ["10.0.0.0/8", "10.200.3.4", 80, true],
    ["10.0.0.0/8", "11.0.0.1", 80, false],
    ["192.168.1.10", "192.168.1.10", 80, true],
    ["192.168.1.10", "192.168.1.11", 80, false],
    ["::1", "[::1]", 80, true],
    ["[::1]", "[::1]", 80, true],
    ["fd00::/8", "[fd12:3456::1]", 80, true],
    ["fd00::/8", "[fe80::1]", 80, false],
    ["localhost:8080", "localhost", 8080, true],
    ["localhost:8080", "localhost", 80, false],
    ["[::1]:8443", "[::1]", 8443, true],
    ["[::1]:8443", "[::1]", 443, false],
    ["10.0.0.0/33", "10.0.0.1", 80, false],
    ["host.test/8", "host.test", 80, false],
  ];

  it.each(cases)("%j matches %s:%i → %s", (entry, host, port, expected) => {
    expect(new NoProxy(entry).matches(host, port)).toBe(expected);
  });

  it("reads the environment's form: commas and spaces, empty entries ignored", () => {
    const list = new NoProxy(" .internal , ,10.0.0.0/8  localhost ");
    expect(list.matches("db.internal", 5432)).toBe(true);
    expect(list.matches("10.9.9.9", 80)).toBe(true);
    expect(list.matches("localhost", 80)).toBe(true);
    expect(list.matches("example.com", 80)).toBe(false);
    expect(new NoProxy("").empty).toBe(true);
  });
});

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
// A name whose last label is a number is an IPv4 address to a URL parser (WHATWG "ends in a number"), not a domain.
const domain = fc
  .array(label, { minLength: 1, maxLength: 4 })
  .filter((labels) => !/^\d+$/.test(labels[labels.length - 1] as string))
  .map((labels) => labels.join("."));

describe("properties", () => {
  it("a name matches itself and every name under it, with or without a leading dot, and no mere suffix", () => {
    fc.assert(
      fc.property(domain, label, label, fc.boolean(), (name, sub, prefix, dot) => {
        const list = new NoProxy(dot ? `.${name}` : name);
        expect(list.matches(name, 80)).toBe(true);
        expect(list.matches(`${sub}.${name}`, 80)).toBe(true);
        expect(list.matches(`${prefix}x${name}`, 80)).toBe(false);
      }),
    );
  });

  it("an IPv4 block matches exactly the addresses that share its prefix", () => {
    const ipv4 = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 });
    fc.assert(
      fc.property(ipv4, ipv4, fc.integer({ min: 0, max: 32 }), (network, address, prefix) => {
        const toBits = (parts: number[]) => parts.reduce((bits, part) => (bits << 8n) | BigInt(part), 0n);
        const shift = BigInt(32 - prefix);
        const inside = toBits(network) >> shift === toBits(address) >> shift;
        expect(new NoProxy(`${network.join(".")}/${prefix}`).matches(address.join("."), 80)).toBe(inside);
      }),
    );
  });

  it("parses every IPv6 address Node accepts as Node's URL serialises it", () => {
    fc.assert(
      fc.property(fc.ipV6(), (address) => {
        const parsed = parseAddress(address);
        expect(parsed?.width).toBe(128);
        const serialised = new URL(`http://[${address}]/`).hostname.slice(1, -1);
        expect(parseAddress(serialised)?.bits).toBe(parsed?.bits);
        expect(isIPv6(address)).toBe(true);
      }),
    );
  });

  it("an entry with a port matches that port only", () => {
    fc.assert(
      fc.property(
        domain,
        fc.integer({ min: 1, max: 65_535 }),
        fc.integer({ min: 1, max: 65_535 }),
        (name, port, other) => {
          const list = new NoProxy(`${name}:${port}`);
          expect(list.matches(name, port)).toBe(true);
          expect(list.matches(name, other)).toBe(other === port);
        },
      ),
    );
  });
});
