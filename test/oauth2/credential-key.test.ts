// Issue 12.1: the token cache's identity includes the client's credential (a keyed digest of the secret, or
// the public key's RFC 7638 thumbprint), never the credential itself.
import { afterEach, describe, expect, it } from "vitest";
import { ClientCredentialsAuth, OAuthError, withAuth } from "../../src/index.js";
import type { ClientAuthMethod, ClientCredentialsOptions } from "../../src/oauth2/options.js";
import { TEST_CLIENT_PRIVATE_JWK } from "../../src/server/index.js";
import { MemoryTokenStore } from "../../src/stores/memory.js";
import type { Token, TokenStore } from "../../src/stores/store.js";
import { useTestServer } from "../helpers/server.js";

const server = useTestServer();
afterEach(() => server.reset());

/** A MemoryTokenStore that remembers every key it was handed. */
class KeyRecordingStore extends MemoryTokenStore implements TokenStore {
  readonly keys = new Set<string>();
  override get(key: string): Promise<Token | undefined> {
    this.keys.add(key);
    return super.get(key);
  }
}

const secretClients: [ClientAuthMethod, string, string][] = [
  ["client_secret_basic", "basic-client", "basic-secret"],
  ["client_secret_post", "post-client", "post-secret"],
  ["client_secret_jwt", "jwt-client", "jwt-secret-that-is-at-least-32-bytes-long"],
];

function auth(store: TokenStore, options: Partial<ClientCredentialsOptions>): ClientCredentialsAuth {
  return new ClientCredentialsAuth({
    tokenUrl: `${server.url}/oauth/token`,
    clientId: "basic-client",
    store,
    ...options,
  });
}

describe("the token cache never lends one client's token to other credentials (12.1)", () => {
  it.each(secretClients)(
    "%s: a wrong secret on a shared MemoryTokenStore gets invalid_client, not the cached token",
    async (clientAuth, clientId, clientSecret) => {
      const store = new KeyRecordingStore();
      const wrongSecret = `${clientSecret}-but-wrong-${clientAuth}`;
      const good = await auth(store, { clientId, clientAuth, clientSecret }).getToken();
      const wrong = auth(store, { clientId, clientAuth, clientSecret: wrongSecret });
      const error = await wrong.getToken().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OAuthError);
      expect(error).toMatchObject({ error: "invalid_client" });
      // Through a front door too: the resource server is never reached with the other client's token.
      await expect(withAuth(fetch, wrong)(`${server.url}/oauth/protected`)).rejects.toBeInstanceOf(OAuthError);
      expect(server.stats().tokenRequests).toBe(2);
      expect(server.stats().routes["oauth-protected"]).toBeUndefined();
      expect(store.keys.size).toBe(2);
      for (const key of store.keys) {
        expect(key).not.toContain(clientSecret);
        expect(key).not.toContain(wrongSecret);
        expect(key).not.toContain(good.accessToken);
      }
    },
  );

  it("private_key_jwt: another private key for the same client id never gets the cached token", async () => {
    const store = new KeyRecordingStore();
    const generate = (extractable: boolean) =>
      crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, extractable, ["sign", "verify"]);
    const pair = await generate(true);
    const otherJwk = { ...(await crypto.subtle.exportKey("jwk", pair.privateKey)), alg: "ES256" };
    const hidden = await generate(false);
    const keyed = (privateKey: NonNullable<ClientCredentialsOptions["privateKey"]>) =>
      auth(store, { clientId: "pkjwt-client", clientAuth: "private_key_jwt", privateKey });
    await keyed(TEST_CLIENT_PRIVATE_JWK).getToken();
    for (const privateKey of [otherJwk, hidden.privateKey]) {
      const error = await keyed(privateKey)
        .getToken()
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ name: "OAuthError", error: "invalid_client" });
    }
    expect(server.stats().tokenRequests).toBe(3);
    for (const key of store.keys) expect(key).not.toContain(TEST_CLIENT_PRIVATE_JWK.d);
  });

  it("a non-extractable CryptoKey shares its token with every instance that uses it", async () => {
    const store = new MemoryTokenStore();
    const key = await crypto.subtle.importKey(
      "jwk",
      TEST_CLIENT_PRIVATE_JWK,
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["sign"],
    );
    const keyed = (privateKey: NonNullable<ClientCredentialsOptions["privateKey"]>) =>
      auth(store, { clientId: "pkjwt-client", clientAuth: "private_key_jwt", privateKey });
    const [a, b] = [await keyed(key).getToken(), await keyed(key).getToken()];
    expect(b.accessToken).toBe(a.accessToken);
    expect(server.stats().tokenRequests).toBe(1);
  });

  it("the same configuration still shares one token across instances (same secret, same key)", async () => {
    const store = new MemoryTokenStore();
    const tokens = await Promise.all([
      auth(store, { clientSecret: "basic-secret" }).getToken(),
      auth(store, { clientSecret: "basic-secret" }).getToken(),
      auth(store, { clientSecret: "basic-secret" }).getToken(),
    ]);
    expect(new Set(tokens.map((token) => token.accessToken)).size).toBe(1);
    const jwk = () =>
      auth(store, {
        clientId: "pkjwt-client",
        clientAuth: "private_key_jwt",
        privateKey: { ...TEST_CLIENT_PRIVATE_JWK },
      });
    expect((await jwk().getToken()).accessToken).toBe((await jwk().getToken()).accessToken);
    expect(server.stats().tokenRequests).toBe(2);
  });

  it("a right secret after a wrong one on the same store is not blocked by it", async () => {
    const store = new MemoryTokenStore();
    await expect(auth(store, { clientSecret: "first-wrong-secret" }).getToken()).rejects.toBeInstanceOf(OAuthError);
    const token = await auth(store, { clientSecret: "basic-secret" }).getToken();
    expect(token.tokenType).toBe("Bearer");
  });
});
