// Issue 12 ("option values are not validated") and 12.11: every option of ClientCredentialsAuth, MemoryTokenStore
// and RedisTokenStore is checked at construction with a coded error naming it; URLs never leak through errors.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AuthflowError,
  ClientCredentialsAuth,
  InvalidArgumentError,
  InvalidURLError,
  MemoryTokenStore,
} from "../../src/index.js";
import type { ClientCredentialsOptions } from "../../src/oauth2/options.js";
import { RedisTokenStore } from "../../src/redis/index.js";
import type { RedisTokenStoreOptions } from "../../src/redis/options.js";

const base = { tokenUrl: "https://as.example/token", clientId: "c", clientSecret: "s" };
const construct = (options: unknown) => () => new ClientCredentialsAuth(options as ClientCredentialsOptions);

const invalid: [string, Record<string, unknown>][] = [
  ["clientId", { clientId: undefined }],
  ["clientId", { clientId: "" }],
  ["clientId", { clientId: 42 }],
  ["tokenUrl", { tokenUrl: 42 }],
  ["tokenUrl", { tokenUrl: undefined }],
  ["tokenUrl", { issuer: "https://as.example" }],
  ["clientSecret", { clientSecret: 42 }],
  ["clientSecret", { clientSecret: "" }],
  ["clientAuth", { clientAuth: "client_secret_magic" }],
  ["privateKey", { clientAuth: "private_key_jwt", privateKey: 42 }],
  ["privateKey", { clientAuth: "private_key_jwt", privateKey: "not a PEM" }],
  ["privateKey", { clientAuth: "private_key_jwt", privateKey: [] }],
  ["signingAlgorithm", { clientAuth: "private_key_jwt", privateKey: "-----BEGIN PRIVATE KEY-----\n…" }],
  ["signingAlgorithm", { signingAlgorithm: 256 }],
  ["scope", { scope: 5 }],
  ["scope", { scope: ["read", 5] }],
  ["scope", { scope: 'read "write"' }],
  ["scope", { scope: ["read", "a\\b"] }],
  ["scope", { scope: "caf\u00e9" }],
  ["audience", { audience: 5 }],
  ["audience", { audience: "" }],
  ["resource", { resource: 5 }],
  ["resource", { resource: "https://api.example/#section" }],
  ["extraParams", { extraParams: "tenant=t1" }],
  ["extraParams", { extraParams: { tenant: 1 } }],
  ["extraParams", { extraParams: { client_secret: "x" } }],
  ["refreshLeewaySeconds", { refreshLeewaySeconds: -1 }],
  ["refreshLeewaySeconds", { refreshLeewaySeconds: Number.NaN }],
  ["refreshLeewaySeconds", { refreshLeewaySeconds: Number.POSITIVE_INFINITY }],
  ["refreshLeewaySeconds", { refreshLeewaySeconds: "60" }],
  ["refreshLeewaySeconds", { refreshLeewaySeconds: 1e12 }],
  ["store", { store: {} }],
  ["store", { store: 5 }],
  ["fetch", { fetch: "fetch" }],
  ["onToken", { onToken: {} }],
  ["onRefreshError", { onRefreshError: 1 }],
  ["now", { now: 0 }],
  ["maxRetries", { maxRetries: -1 }],
  ["maxRetries", { maxRetries: 1.5 }],
  ["maxRetries", { maxRetries: Number.NaN }],
  ["maxRetries", { maxRetries: 1_000 }],
  ["maxRetries", { maxRetries: "3" }],
  ["retryBudgetMs", { retryBudgetMs: 0 }],
  ["retryBudgetMs", { retryBudgetMs: -1 }],
  ["retryBudgetMs", { retryBudgetMs: Number.NaN }],
  ["retryBudgetMs", { retryBudgetMs: Number.POSITIVE_INFINITY }],
  ["retryBudgetMs", { retryBudgetMs: 2 ** 31 }],
  ["allowInsecureAuth", { allowInsecureAuth: "yes" }],
];

describe("ClientCredentialsAuth options are checked at construction", () => {
  it.each(invalid)("%s: %j → InvalidArgumentError naming it", (option, override) => {
    let error: unknown;
    try {
      new ClientCredentialsAuth({ ...base, ...override } as unknown as ClientCredentialsOptions);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ option });
    expect(["ERR_INVALID_ARG_TYPE", "ERR_INVALID_ARG_VALUE"]).toContain((error as InvalidArgumentError).code);
    expect((error as Error).message).toContain(option);
  });

  it.each([undefined, null, "https://as.example/token", []])("options %j → InvalidArgumentError", (options) => {
    expect(construct(options)).toThrow(InvalidArgumentError);
  });

  it("a resource that is not an absolute URI is an InvalidURLError", () => {
    expect(construct({ ...base, resource: "api" })).toThrow(InvalidURLError);
  });

  it("good values still pass, and several scope spellings mean the same set", () => {
    for (const scope of ["b a a", ["a", "b"], ["a b", "b"], " a\tb "]) {
      expect(() => new ClientCredentialsAuth({ ...base, scope })).not.toThrow();
    }
    expect(
      () =>
        new ClientCredentialsAuth({
          ...base,
          maxRetries: 0,
          retryBudgetMs: 1,
          refreshLeewaySeconds: 0,
          resource: ["https://api.example/a"],
          extraParams: { tenant: "t1" },
          store: new MemoryTokenStore(),
          allowInsecureAuth: false,
        }),
    ).not.toThrow();
  });
});

describe("no URL text leaks through a construction error (12.11), whatever the input", () => {
  it("property: a tokenUrl or issuer carrying a secret in userinfo, query or fragment never shows it", () => {
    const secret = "S3CR3T-canary";
    const place = fc.constantFrom(
      (text: string) => `https://u:${secret}@${text}`,
      (text: string) => `https://${text}?k=${secret}`,
      (text: string) => `https://${text}#${secret}`,
      (text: string) => `${secret}:${secret}@${text}`,
      (text: string) => `http://u:${secret}@${text}/?token=${secret}`,
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), place, fc.constantFrom("tokenUrl", "issuer"), (text, spell, option) => {
        try {
          new ClientCredentialsAuth({
            [option]: spell(text),
            clientId: "c",
            clientSecret: "s",
            allowInsecureAuth: true,
          });
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          // authflow's own errors only: never the platform's TypeError with its `input`.
          expect(error instanceof AuthflowError || error instanceof InvalidArgumentError).toBe(true);
          const shown = `${(error as Error).message} ${JSON.stringify(error)} ${String((error as Error).cause)}`;
          expect(shown.toLowerCase()).not.toContain(secret.toLowerCase());
          return;
        }
        // Accepted only where the secret is in a query or fragment of a tokenUrl (sent, but shown redacted).
        expect(option).toBe("tokenUrl");
      }),
      { numRuns: 300 },
    );
  });
});

describe("store options are checked at construction", () => {
  it.each([
    ["maxEntries", { maxEntries: 0 }],
    ["maxEntries", { maxEntries: 1.5 }],
    ["maxEntries", { maxEntries: "10" }],
    ["now", { now: "clock" }],
  ])("MemoryTokenStore %s: %j → InvalidArgumentError", (option, options) => {
    expect(() => new MemoryTokenStore(options as never)).toThrow(expect.objectContaining({ option }));
    expect(() => new MemoryTokenStore(options as never)).toThrow(InvalidArgumentError);
  });

  it.each([
    ["lockTtlMs", { lockTtlMs: 0 }],
    ["lockWaitTimeoutMs", { lockWaitTimeoutMs: Number.NaN }],
    ["connectTimeoutMs", { connectTimeoutMs: -5 }],
    ["commandTimeoutMs", { commandTimeoutMs: Number.POSITIVE_INFINITY }],
    ["commandTimeoutMs", { commandTimeoutMs: "500" }],
    ["prefix", { prefix: 5 }],
    ["onWarning", { onWarning: "log" }],
    ["url", { url: 6379 }],
    ["url", { url: undefined }],
    ["encryptionKey", { encryptionKey: "too short" }],
  ])("RedisTokenStore %s: %j → InvalidArgumentError", (option, options) => {
    const make = () => new RedisTokenStore({ url: "redis://127.0.0.1:1", ...options } as RedisTokenStoreOptions);
    expect(make).toThrow(InvalidArgumentError);
    expect(make).toThrow(expect.objectContaining({ option }));
  });

  it("RedisTokenStore: a url that is not redis: or rediss: is an InvalidURLError", () => {
    expect(() => new RedisTokenStore({ url: "http://127.0.0.1:6379" })).toThrow(InvalidURLError);
  });
});
