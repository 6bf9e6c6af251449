/**
 * `publicOrigin`: the origin a DPoP `htu` and an RFC 9728 resource identifier
 * are compared with. A Host header may name this server another way
 * (`localhost`), never another server.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isLoopback } from "../../src/policy/origin.js";
import { publicOrigin } from "../../src/server/hosts.js";

const SERVER = "http://127.0.0.1:8080";

describe("publicOrigin", () => {
  it.each([
    ["localhost:8080", "http://localhost:8080"],
    ["[::1]:8080", "http://[::1]:8080"],
    ["127.0.0.1:8080", SERVER],
    ["evil.example:8080", SERVER],
    ["localhost:9090", SERVER],
    ["localhost", SERVER],
    ["user@localhost:8080", SERVER],
    [undefined, SERVER],
  ])("Host %s → %s", (host, expected) => {
    expect(publicOrigin(host, SERVER)).toBe(expected);
  });

  it("keeps the scheme, and on every interface takes any host on the right port", () => {
    expect(publicOrigin("localhost:8443", "https://127.0.0.1:8443")).toBe("https://localhost:8443");
    expect(publicOrigin("192.168.1.5:8080", "http://0.0.0.0:8080")).toBe("http://192.168.1.5:8080");
    expect(publicOrigin("192.168.1.5:8080", SERVER)).toBe(SERVER);
  });

  it("whatever the Host header, the answer is this server's origin or a loopback origin on its port", () => {
    fc.assert(
      fc.property(fc.string(), (host) => {
        const origin = publicOrigin(host, SERVER);
        if (origin === SERVER) return;
        const url = new URL(origin);
        expect(url.port).toBe("8080");
        expect(url.protocol).toBe("http:");
        expect(isLoopback(url)).toBe(true);
      }),
    );
  });
});
