/**
 * RFC 8705 §2.1.2 subject matching: RFC 4514 registrations against Node's
 * certificate subjects, property-tested, and once end to end through openssl,
 * Node's TLS and the token endpoint with a subject full of special characters.
 */
import fc from "fast-check";
import { Agent, request } from "undici";
import { describe, expect, it } from "vitest";
import {
  type NameAttribute,
  parseCertificateSubject,
  parseDistinguishedName,
  sameName,
} from "../../src/server/distinguished-names.js";
import { createTestCertificates, startTestServer } from "../../src/server/index.js";

const TYPES = ["CN", "O", "OU", "C", "L", "ST"];
const attribute = fc.tuple(
  fc.constantFrom(...TYPES),
  fc
    .string({ minLength: 1, maxLength: 12, unit: "grapheme" })
    .filter((value) => value.trim() === value && value !== ""),
);

/** RFC 4514 §2.4 escaping, as a registration would be written. */
function rfc4514(attributes: readonly NameAttribute[]): string {
  return attributes.map(([type, value]) => `${type}=${value.replace(/[,+"\\<>;=#]/g, (c) => `\\${c}`)}`).join(",");
}

/** What Node's X509Certificate.subject prints: certificate order, one per line, RFC 2253 escapes (a leading # too), controls as \XX. */
function nodeSubject(attributes: readonly NameAttribute[]): string {
  const control = (c: string) => `\\${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`;
  const escapeValue = (value: string) =>
    [...value.replace(/[,+"\\<>;]/g, (c) => `\\${c}`).replace(/^#/, "\\#")]
      .map((c) => (c.charCodeAt(0) < 0x20 ? control(c) : c))
      .join("");
  return [...attributes]
    .reverse()
    .map(([type, value]) => `${type}=${escapeValue(value)}`)
    .join("\n");
}

describe("distinguished names", () => {
  it("an RFC 4514 string reads back as the attributes it was written from", () => {
    fc.assert(
      fc.property(fc.array(attribute, { minLength: 1, maxLength: 4 }), (attributes) => {
        expect(parseDistinguishedName(rfc4514(attributes))).toEqual(attributes);
      }),
    );
  });

  it("a registration matches the certificate subject Node prints for the same name, and no other", () => {
    fc.assert(
      fc.property(fc.array(attribute, { minLength: 1, maxLength: 4 }), attribute, (attributes, extra) => {
        const registered = parseDistinguishedName(rfc4514(attributes));
        expect(sameName(registered, parseCertificateSubject(nodeSubject(attributes)))).toBe(true);
        expect(sameName(registered, parseCertificateSubject(nodeSubject([extra, ...attributes])))).toBe(false);
      }),
    );
  });

  it("never throws on arbitrary text, and refuses multi-valued RDNs and #hex values", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        parseDistinguishedName(text);
        parseCertificateSubject(text);
      }),
    );
    expect(parseDistinguishedName("CN=a+O=b")).toBeUndefined();
    expect(parseDistinguishedName("CN=#04024869")).toBeUndefined();
    expect(parseDistinguishedName("")).toBeUndefined();
  });

  it("compares values ignoring case and insignificant spaces, types by name or OID", () => {
    const certificate = parseCertificateSubject("O=Authflow  Tests\nCN=MTLS-Client");
    expect(sameName(parseDistinguishedName("cn=mtls-client, o=authflow tests"), certificate)).toBe(true);
    expect(sameName(parseDistinguishedName("2.5.4.3=mtls-client,2.5.4.10=authflow tests"), certificate)).toBe(true);
    expect(sameName(parseDistinguishedName("O=authflow tests,CN=mtls-client"), certificate)).toBe(false);
    expect(sameName(parseDistinguishedName("CN=mtls-client"), certificate)).toBe(false);
  });

  it("end to end: a subject with , + \\ = and non-ASCII authenticates through openssl, TLS and the token endpoint", async () => {
    const subject = 'CN=svc\\, \\+ \\\\ \\= é "x",O=Zoë\\; ltd';
    const certificates = await createTestCertificates({ clientSubject: subject });
    const { ca, server: pair } = certificates;
    const server = await startTestServer({
      tls: { cert: pair.cert, key: pair.key, ca: ca.cert, requestCert: true },
      clients: [{ clientId: "odd", authMethod: "tls_client_auth", tlsClientAuthSubjectDn: subject }],
    });
    const agents = [certificates.client, certificates.wrongSubject].map(
      (identity) => new Agent({ connect: { ca: ca.cert, cert: identity.cert, key: identity.key } }),
    );
    try {
      const statuses = await Promise.all(
        agents.map(async (dispatcher) => {
          const { statusCode, body } = await request(`${server.url}/oauth/token`, {
            dispatcher,
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: "grant_type=client_credentials&client_id=odd",
          });
          await body.arrayBuffer();
          return statusCode;
        }),
      );
      expect(statuses).toEqual([200, 401]);
    } finally {
      await Promise.all([...agents.map((agent) => agent.close()), server.close()]);
    }
  });
});
