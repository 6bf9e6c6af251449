/**
 * The Milestone 2 options of `startTestServer` (tls, cors, dpop,
 * resourceMetadata, mutual-TLS client registrations) are checked before
 * anything listens: a bad one is an InvalidArgumentError naming it.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/errors.js";
import {
  createTestCertificates,
  startTestServer,
  type TestCertificates,
  type TestServerOptions,
} from "../../src/server/index.js";

let certificates: TestCertificates;
beforeAll(async () => {
  certificates = await createTestCertificates();
});

const tls = () => ({ cert: certificates.server.cert, key: certificates.server.key });

const invalid: ReadonlyArray<[string, () => TestServerOptions, string]> = [
  ["tls without a key", () => ({ tls: { cert: tls().cert } as never }), "startTestServer.tls.key"],
  ["tls with a key that is not PEM", () => ({ tls: { ...tls(), key: "not a key" } }), "startTestServer.tls"],
  [
    "tls with a key of another certificate",
    () => ({ tls: { cert: tls().cert, key: certificates.client.key } }),
    "startTestServer.tls",
  ],
  ["requestCert without a ca", () => ({ tls: { ...tls(), requestCert: true } }), "startTestServer.tls.ca"],
  ["a ca that is not a certificate", () => ({ tls: { ...tls(), ca: "x" } }), "startTestServer.tls.ca[0]"],
  ["cors origins with a path", () => ({ cors: { origins: ["http://a.test/x"] } }), "startTestServer.cors.origins[0]"],
  ["cors origin *", () => ({ cors: { origins: ["*"] } }), "startTestServer.cors.origins[0]"],
  ["cors origin null", () => ({ cors: { origins: ["null"] } }), "startTestServer.cors.origins[0]"],
  ["cors as a string", () => ({ cors: "*" as never }), "startTestServer.cors"],
  ["dpop nonceMode", () => ({ dpop: { nonceMode: "always" as never } }), "startTestServer.dpop.nonceMode"],
  ["dpop lifetime 0", () => ({ dpop: { nonceLifetimeSeconds: 0 } }), "startTestServer.dpop.nonceLifetimeSeconds"],
  ["dpop replay cache 0", () => ({ dpop: { replayCacheSize: 0 } }), "startTestServer.dpop.replayCacheSize"],
  [
    "resource metadata with a relative resource",
    () => ({ resourceMetadata: { resource: "api" } }),
    "startTestServer.resourceMetadata",
  ],
  [
    "tls_client_auth without a subject",
    () => ({ clients: [{ clientId: "m", authMethod: "tls_client_auth" }] }),
    "startTestServer.clients[0].tlsClientAuthSubjectDn",
  ],
  [
    "tls_client_auth with a multi-valued subject",
    () => ({ clients: [{ clientId: "m", authMethod: "tls_client_auth", tlsClientAuthSubjectDn: "CN=a+O=b" }] }),
    "startTestServer.clients[0].tlsClientAuthSubjectDn",
  ],
  [
    "self_signed_tls_client_auth without a certificate",
    () => ({ clients: [{ clientId: "s", authMethod: "self_signed_tls_client_auth" }] }),
    "startTestServer.clients[0]",
  ],
  [
    "a thumbprint that is not one",
    () => ({
      clients: [{ clientId: "s", authMethod: "self_signed_tls_client_auth", certificateThumbprint: "abc" }],
    }),
    "startTestServer.clients[0].certificateThumbprint",
  ],
];

describe("startTestServer checks the Milestone 2 options", () => {
  it.each(invalid)("refuses %s", async (_name, options, option) => {
    const error = await startTestServer(options()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).option).toBe(option);
    expect((error as Error).message).not.toContain("PRIVATE KEY");
  });

  it("accepts a complete valid set, and serves", async () => {
    const server = await startTestServer({
      tls: { ...tls(), ca: [certificates.ca.cert], requestCert: true },
      cors: { origins: ["http://127.0.0.1:5173"] },
      dpop: { requireNonce: true, nonceMode: "one-time", nonceLifetimeSeconds: 30, iatToleranceSeconds: 10 },
      resourceMetadata: { dpopRequired: true, linkInChallenge: true },
      clients: [
        { clientId: "m", authMethod: "tls_client_auth", tlsClientAuthSubjectDn: certificates.client.subject },
        { clientId: "s", authMethod: "self_signed_tls_client_auth", certificate: certificates.selfSigned.cert },
      ],
    });
    expect(server.url).toMatch(/^https:/);
    await server.close();
  });
});

describe("createTestCertificates", () => {
  it("refuses a subject it cannot express, with a TypeError", async () => {
    await expect(createTestCertificates({ clientSubject: "no equals sign" })).rejects.toThrow(TypeError);
    await expect(createTestCertificates({ days: 0 })).rejects.toThrow(InvalidArgumentError);
  });

  it("encrypts the client key with the passphrase when asked", async () => {
    const made = await createTestCertificates({ passphrase: "correct horse" });
    expect(made.client.encryptedKey).toContain("BEGIN ENCRYPTED PRIVATE KEY");
    const { createPrivateKey } = await import("node:crypto");
    expect(createPrivateKey({ key: made.client.encryptedKey as string, passphrase: "correct horse" }).type).toBe(
      "private",
    );
  });
});
