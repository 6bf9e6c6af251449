// Issue 12.10 (and 12.11, the OAuth part): what a credential object or an error shows when printed —
// String(), JSON.stringify(), util.inspect(), its own properties — never holds a secret: not the client secret,
// not a private key, not a token, not a password or query in a URL.
import { format, inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ClientCredentialsAuth, InvalidURLError, MemoryTokenStore } from "../../src/index.js";
import { createClientAuthenticator } from "../../src/oauth2/client-auth.js";
import { RedisTokenStore } from "../../src/redis/index.js";
import { TEST_CLIENT_PRIVATE_JWK } from "../../src/server/index.js";
import { canaries, errorTexts } from "../helpers/canary.js";
import { useTestServer } from "../helpers/server.js";

const secrets = canaries("object-output");
const SECRET = secrets.get("client-secret");
const QUERY_SECRET = secrets.get("query-secret");
const PASSWORD = secrets.get("url-password");

/** Every way a program commonly prints or copies an object. */
function renderings(value: object): string[] {
  return [
    String(value),
    `${value}`,
    JSON.stringify(value),
    inspect(value),
    inspect(value, { showHidden: true, depth: 20, getters: true }),
    format("%o %O %j %s", value, value, value, value),
    JSON.stringify({ ...value }),
    JSON.stringify(Object.getOwnPropertyDescriptors(value)),
  ];
}

function expectClean(value: object, forbidden: readonly string[]): void {
  for (const text of renderings(value)) {
    for (const secret of forbidden) expect(text).not.toContain(secret);
  }
}

const server = useTestServer({
  clients: [{ clientId: "basic-client", authMethod: "client_secret_basic", clientSecret: SECRET }],
});

describe("ClientCredentialsAuth in object output (12.10)", () => {
  const forbidden = [SECRET, QUERY_SECRET, PASSWORD, TEST_CLIENT_PRIVATE_JWK.d as string];

  it("a tokenUrl with a secret in its query: redacted in every rendering and in the public property", async () => {
    const auth = new ClientCredentialsAuth({
      tokenUrl: `${server.url}/oauth/token?api_key=${QUERY_SECRET}&tenant=t1`,
      clientId: "basic-client",
      clientSecret: SECRET,
    });
    expect(auth.tokenUrl).toBe(`${server.url}/oauth/token?[redacted]`);
    expectClean(auth, forbidden);
    // The query still goes to the server: only what is shown is redacted.
    const token = await auth.getToken();
    expectClean(auth, [...forbidden, token.accessToken]);
  });

  it("a tokenUrl with a fragment, and an issuer: shown without secrets", () => {
    const fragment = new ClientCredentialsAuth({
      tokenUrl: `https://as.example/token#${QUERY_SECRET}`,
      clientId: "c",
      clientSecret: SECRET,
    });
    expectClean(fragment, forbidden);
    const discovered = new ClientCredentialsAuth({
      issuer: "https://as.example/tenant",
      clientId: "c",
      clientSecret: SECRET,
    });
    expect(discovered.issuer).toBe("https://as.example/tenant");
    expectClean(discovered, forbidden);
  });

  it("private_key_jwt: the private key is in no rendering", () => {
    const auth = new ClientCredentialsAuth({
      tokenUrl: "https://as.example/token",
      clientId: "pkjwt-client",
      clientAuth: "private_key_jwt",
      privateKey: TEST_CLIENT_PRIVATE_JWK,
    });
    expectClean(auth, forbidden);
  });

  it("the client authenticators show their method and client id only", () => {
    for (const clientAuth of ["client_secret_basic", "client_secret_post", "client_secret_jwt"] as const) {
      expectClean(
        createClientAuthenticator({ clientId: "c", clientAuth, clientSecret: `${SECRET}-for-hmac-32-bytes` }),
        [SECRET],
      );
    }
    expectClean(
      createClientAuthenticator({ clientId: "c", clientAuth: "private_key_jwt", privateKey: TEST_CLIENT_PRIVATE_JWK }),
      forbidden,
    );
  });
});

describe("a malformed or credential-bearing tokenUrl or issuer (12.11)", () => {
  const malformed = [
    `https://user:${PASSWORD}@exa mple.com/token?key=${QUERY_SECRET}`,
    `https://exa mple.com/token?key=${QUERY_SECRET}`,
    `user:${PASSWORD}@as.example/token?key=${QUERY_SECRET}`,
    `https://[::1/token?key=${QUERY_SECRET}`,
    `https://user:${PASSWORD}@as.example/token?key=${QUERY_SECRET}`, // parses, but carries a password
  ];
  for (const option of ["tokenUrl", "issuer"] as const) {
    it.each(malformed)(`${option} %#: InvalidURLError, redacted, no cause`, async (value) => {
      const error = (() => {
        try {
          new ClientCredentialsAuth({ [option]: value, clientId: "c", clientSecret: SECRET });
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(InvalidURLError);
      expect(error).toMatchObject({ code: "ERR_INVALID_URL" });
      expect((error as Error).cause).toBeUndefined();
      const texts = await errorTexts(error);
      for (const secret of [PASSWORD, QUERY_SECRET, SECRET]) expect(texts).not.toContain(secret);
      expect(inspect(error, { showHidden: true, depth: 10 })).not.toContain(QUERY_SECRET);
    });
  }
});

describe("token stores in object output", () => {
  it("MemoryTokenStore shows its size, never a token", async () => {
    const store = new MemoryTokenStore();
    await store.set("k", { accessToken: SECRET, tokenType: "Bearer", raw: { access_token: SECRET } }, 60_000);
    expectClean(store, [SECRET]);
  });

  it("RedisTokenStore never shows its url's password or its encryption key", async () => {
    const key = "ab".repeat(32);
    const store = new RedisTokenStore({
      url: `redis://:${PASSWORD}@127.0.0.1:1/0`,
      encryptionKey: key,
      connectTimeoutMs: 50,
      onWarning: () => {},
    });
    try {
      expectClean(store, [PASSWORD, key]);
    } finally {
      await store.close();
    }
  });

  it("a malformed Redis url is an InvalidURLError that never repeats the password", async () => {
    const error = (() => {
      try {
        new RedisTokenStore({ url: `redis://:${PASSWORD}@ho st:6379`, onWarning: () => {} });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidURLError);
    expect(await errorTexts(error)).not.toContain(PASSWORD);
  });
});
