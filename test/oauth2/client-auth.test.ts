import { inspect } from "node:util";
import fc from "fast-check";
import { decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, MissingCredentialsError } from "../../src/errors.js";
import { clientSecretBasic, createClientAuthenticator, formUrlEncode } from "../../src/oauth2/client-auth.js";
import { TEST_CLIENT_PRIVATE_JWK } from "../../src/server/oauth.js";

const ENDPOINT = "https://as.example/oauth/token";

describe("client_secret_basic (RFC 6749 §2.3.1, OAUTH-02)", () => {
  it("matches the AppAuth-Android #337 vector in full", () => {
    // The expected value, verbatim (openid/AppAuth-Android#337).
    const header = clientSecretBasic("1PpG/Q 1", "z/tZ9VwFZqApmIQ+ZH1I5pLk/uB4ud:X2/8bL+wfFTt1rFw=");
    expect(header).toBe(
      "Basic MVBwRyUyRlErMTp6JTJGdFo5VndGWnFBcG1JUSUyQlpIMUk1cExrJTJGdUI0dWQlM0FYMiUyRjhiTCUyQndmRlR0MXJGdyUzRA==",
    );
    expect(atob(header.slice(6))).toBe("1PpG%2FQ+1:z%2FtZ9VwFZqApmIQ%2BZH1I5pLk%2FuB4ud%3AX2%2F8bL%2BwfFTt1rFw%3D");
  });

  it("differs from encodeURIComponent where the RFC says it must", () => {
    expect(formUrlEncode("p@ss word!*'()~")).toBe("p%40ss+word%21*%27%28%29%7E");
    expect(formUrlEncode("a+b/c=")).toBe("a%2Bb%2Fc%3D");
    expect(formUrlEncode("é")).toBe("%C3%A9");
    expect(encodeURIComponent("p@ss word!*'()~")).not.toBe(formUrlEncode("p@ss word!*'()~"));
  });

  it("a client id holding ':' survives, since it is encoded before the colon is added", () => {
    const header = clientSecretBasic("tenant:client", "s");
    expect(atob(header.slice(6))).toBe("tenant%3Aclient:s");
  });

  it("round-trips any id and secret through strict form-decoding", () => {
    const decode = (value: string) => decodeURIComponent(value.replaceAll("+", " "));
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (clientId, secret) => {
        const decoded = atob(clientSecretBasic(clientId, secret).slice(6));
        const colon = decoded.indexOf(":");
        expect(decode(decoded.slice(0, colon))).toBe(clientId);
        expect(decode(decoded.slice(colon + 1))).toBe(secret);
      }),
    );
  });

  it("sets the header only, never a body secret", async () => {
    const authenticator = createClientAuthenticator({
      clientId: "c",
      clientSecret: "s",
      clientAuth: "client_secret_basic",
    });
    const headers = new Headers();
    const body = new URLSearchParams({ grant_type: "client_credentials" });
    await authenticator.apply(headers, body, ENDPOINT, Date.now());
    expect(headers.get("authorization")).toBe(`Basic ${btoa("c:s")}`);
    expect([...body.keys()]).toEqual(["grant_type"]);
  });
});

describe("client_secret_post", () => {
  it("puts id and secret in the body and nothing in the header", async () => {
    const authenticator = createClientAuthenticator({
      clientId: "c 1",
      clientSecret: "a+b",
      clientAuth: "client_secret_post",
    });
    const headers = new Headers();
    const body = new URLSearchParams();
    await authenticator.apply(headers, body, ENDPOINT, Date.now());
    expect(headers.has("authorization")).toBe(false);
    expect(body.toString()).toBe("client_id=c+1&client_secret=a%2Bb");
  });
});

async function assertionOf(authenticator: ReturnType<typeof createClientAuthenticator>, now = Date.now()) {
  const headers = new Headers();
  const body = new URLSearchParams();
  await authenticator.apply(headers, body, ENDPOINT, now);
  expect(headers.has("authorization")).toBe(false);
  expect(body.get("client_assertion_type")).toBe("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  expect(body.has("client_secret")).toBe(false);
  return body.get("client_assertion") as string;
}

describe("JWT client assertions (RFC 7523)", () => {
  it("client_secret_jwt signs HS256 with iss = sub = client id, aud = the endpoint, jti, exp ≤ 60 s", async () => {
    const secret = "a-shared-secret-of-enough-length-1234";
    const authenticator = createClientAuthenticator({
      clientId: "jwt-c",
      clientSecret: secret,
      clientAuth: "client_secret_jwt",
    });
    const now = Date.now();
    const assertion = await assertionOf(authenticator, now);
    const { payload, protectedHeader } = await jwtVerify(assertion, new TextEncoder().encode(secret), {
      issuer: "jwt-c",
      subject: "jwt-c",
      audience: ENDPOINT,
    });
    expect(protectedHeader.alg).toBe("HS256");
    expect(typeof payload.jti).toBe("string");
    expect(payload.iat).toBe(Math.floor(now / 1000));
    expect((payload.exp as number) - (payload.iat as number)).toBeLessThanOrEqual(60);
  });

  it("every assertion has its own jti", async () => {
    const authenticator = createClientAuthenticator({
      clientId: "c",
      clientSecret: "s",
      clientAuth: "client_secret_jwt",
    });
    const ids = new Set<string>();
    for (let index = 0; index < 50; index++) {
      const assertion = await assertionOf(authenticator);
      ids.add(JSON.parse(atob((assertion.split(".")[1] as string).replaceAll("-", "+").replaceAll("_", "/"))).jti);
    }
    expect(ids.size).toBe(50);
  });

  it("private_key_jwt signs with a JWK's alg and kid", async () => {
    const authenticator = createClientAuthenticator({
      clientId: "pk",
      clientAuth: "private_key_jwt",
      privateKey: TEST_CLIENT_PRIVATE_JWK,
    });
    const assertion = await assertionOf(authenticator);
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: "ES256", kid: "authflow-test-es256" });
    const { d: _d, ...publicJwk } = TEST_CLIENT_PRIVATE_JWK;
    const { payload } = await jwtVerify(assertion, await importJWK(publicJwk as JWK, "ES256"), { audience: ENDPOINT });
    expect(payload).toMatchObject({ iss: "pk", sub: "pk" });
  });

  it.each([
    ["RS256", "RS256"],
    ["PS256", "PS256"],
    ["ES384", "ES384"],
    ["EdDSA", "EdDSA"],
  ] as const)("private_key_jwt with a %s CryptoKey infers %s", async (algorithm, expected) => {
    const { privateKey, publicKey } = await generateKeyPair(algorithm);
    const authenticator = createClientAuthenticator({ clientId: "pk", clientAuth: "private_key_jwt", privateKey });
    const assertion = await assertionOf(authenticator);
    expect(decodeProtectedHeader(assertion).alg).toBe(expected);
    await jwtVerify(assertion, publicKey, { audience: ENDPOINT, issuer: "pk", subject: "pk" });
  });

  it("private_key_jwt with a JWK without alg infers it from the curve", async () => {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const jwk = await exportJWK(privateKey);
    const assertion = await assertionOf(
      createClientAuthenticator({ clientId: "pk", clientAuth: "private_key_jwt", privateKey: jwk }),
    );
    expect(decodeProtectedHeader(assertion).alg).toBe("ES256");
  });

  it("a PEM key needs signingAlgorithm, and works with it", async () => {
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    const { exportPKCS8 } = await import("jose");
    const pem = await exportPKCS8(privateKey);
    const without = createClientAuthenticator({ clientId: "pk", clientAuth: "private_key_jwt", privateKey: pem });
    await expect(assertionOf(without)).rejects.toThrow(/signingAlgorithm/);
    const withAlgorithm = createClientAuthenticator({
      clientId: "pk",
      clientAuth: "private_key_jwt",
      privateKey: pem,
      signingAlgorithm: "PS256",
    });
    expect(decodeProtectedHeader(await assertionOf(withAlgorithm)).alg).toBe("PS256");
  });
});

describe("configuration errors and redaction", () => {
  it("a secret method without a secret is MissingCredentialsError", () => {
    expect(() => createClientAuthenticator({ clientId: "c", clientAuth: "client_secret_post" })).toThrow(
      MissingCredentialsError,
    );
    expect(() => createClientAuthenticator({ clientId: "c", clientAuth: "private_key_jwt" })).toThrow(
      MissingCredentialsError,
    );
  });

  it("an unknown method is a TypeError", () => {
    expect(() =>
      createClientAuthenticator({ clientId: "c", clientAuth: "made_up_method" as never, clientSecret: "s" }),
    ).toThrow(TypeError);
  });

  it("every bad argument is an InvalidArgumentError naming the option", async () => {
    const cases: Array<[() => unknown, string]> = [
      [
        () => createClientAuthenticator({ clientId: "c", clientAuth: "made_up" as never, clientSecret: "s" }),
        "clientAuth",
      ],
      [
        () =>
          createClientAuthenticator({
            clientId: "c",
            clientAuth: "client_secret_jwt",
            clientSecret: "s",
            signingAlgorithm: "RS256",
          }),
        "signingAlgorithm",
      ],
    ];
    for (const [make, option] of cases) {
      const error = (() => {
        try {
          make();
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error).toMatchObject({ code: "ERR_INVALID_ARG_VALUE", option });
    }
    const { d: _private, ...publicOnly } = TEST_CLIENT_PRIVATE_JWK as JWK;
    const noPrivatePart = createClientAuthenticator({
      clientId: "c",
      clientAuth: "private_key_jwt",
      privateKey: publicOnly,
    });
    await expect(noPrivatePart.apply(new Headers(), new URLSearchParams(), ENDPOINT, 0)).rejects.toMatchObject({
      name: "InvalidArgumentError",
      option: "privateKey",
    });
    const pemWithoutAlgorithm = createClientAuthenticator({
      clientId: "c",
      clientAuth: "private_key_jwt",
      privateKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
    });
    await expect(pemWithoutAlgorithm.apply(new Headers(), new URLSearchParams(), ENDPOINT, 0)).rejects.toMatchObject({
      name: "InvalidArgumentError",
      option: "signingAlgorithm",
    });
  });

  it("no authenticator shows its secret", () => {
    for (const clientAuth of ["client_secret_basic", "client_secret_post", "client_secret_jwt"] as const) {
      const authenticator = createClientAuthenticator({ clientId: "c", clientSecret: "hunter2-secret", clientAuth });
      for (const shown of [
        String(authenticator),
        JSON.stringify(authenticator),
        inspect(authenticator, { showHidden: true }),
      ]) {
        expect(shown).not.toContain("hunter2");
        expect(shown).not.toContain(btoa("c:hunter2-secret"));
      }
    }
  });
});
