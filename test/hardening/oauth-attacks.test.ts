// OAUTH-* scenarios (SECURITY.md, "Scenario → test") that the OAuth tests do not already cover.
// Already covered elsewhere: OAUTH-01 plain-http token endpoint off loopback → test/oauth2/client-credentials.test.ts;
// OAUTH-02 client_secret_basic encoding → test/oauth2/client-auth.test.ts; OAUTH-03 redirect: "manual" reaches the
// transport → test/oauth2/client-credentials.test.ts; OAUTH-04 single flight, abort → test/oauth2/token-cache.test.ts;
// OAUTH-05 scope key → test/oauth2/client-credentials.test.ts; OAUTH-06 expires_in / token_type →
// test/oauth2/token-response.test.ts, token-cache.test.ts; OAUTH-07 skew → token-cache.test.ts; OAUTH-08 → token-cache.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientCredentialsAuth, TokenEndpointError, withAuth } from "../../src/index.js";
import { startTestServer, type TestServer } from "../../src/server/index.js";
import { canaries, errorTexts } from "../helpers/canary.js";
import { type Recorder, redirectTo, startRecorder } from "../helpers/recorder.js";

const secrets = canaries("oauth-attacks");
const CLIENT_SECRET = secrets.get("client-secret");
let steal: Recorder;
let server: TestServer;
beforeAll(async () => {
  steal = await startRecorder(undefined, { host: "127.0.0.2" });
  server = await startTestServer({
    clients: [
      { clientId: "b", authMethod: "client_secret_basic", clientSecret: CLIENT_SECRET },
      { clientId: "p", authMethod: "client_secret_post", clientSecret: CLIENT_SECRET },
    ],
  });
});
afterAll(async () => {
  await Promise.all([steal.close(), server.close()]);
});

describe("OAUTH-03: a token endpoint redirect never replays the client secret (RFC 9700 §4.12)", () => {
  for (const status of [301, 302, 303, 307, 308]) {
    for (const [clientAuth, clientId] of [
      ["client_secret_basic", "b"],
      ["client_secret_post", "p"],
    ] as const) {
      it(`OAUTH-03: ${status} with ${clientAuth}: TokenEndpointError, the other origin gets nothing, through global fetch and withAuth`, async () => {
        const endpoint = await startRecorder(redirectTo(`${steal.url}/steal`, status));
        try {
          const before = steal.requests.length;
          const auth = new ClientCredentialsAuth({
            tokenUrl: `${endpoint.url}/token`,
            clientId,
            clientSecret: CLIENT_SECRET,
            clientAuth,
            maxRetries: 2,
          });
          const direct = await auth.getToken().catch((e: unknown) => e);
          expect(direct).toBeInstanceOf(TokenEndpointError);
          const viaApi = await withAuth(fetch, auth)(`${server.url}/oauth/protected`).catch((e: unknown) => e);
          expect(viaApi).toBeInstanceOf(TokenEndpointError);
          for (const error of [direct, viaApi]) expect(await errorTexts(error)).not.toContain(CLIENT_SECRET);
          expect(steal.requests.length).toBe(before);
          expect(endpoint.requests).toHaveLength(2); // one per getToken: redirects are not retried
          expect(server.stats().routes["oauth-protected"] ?? 0).toBe(0);
        } finally {
          await endpoint.close();
        }
      });
    }
  }
});

describe("OAUTH-05: a token for one resource server is never sent to another origin", () => {
  it("OAUTH-05: withAuth with ClientCredentialsAuth: a redirect from the API to another origin carries no token", async () => {
    const api = await startRecorder(redirectTo(`${steal.url}/elsewhere`));
    try {
      const before = steal.requests.length;
      const tokens: string[] = [];
      const auth = new ClientCredentialsAuth({
        tokenUrl: `${server.url}/oauth/token`,
        clientId: "b",
        clientSecret: CLIENT_SECRET,
        onToken: (token) => tokens.push(token.accessToken),
      });
      await withAuth(fetch, auth)(`${api.url}/resource`);
      expect(api.requests[0]?.headers.authorization).toBe(`Bearer ${tokens[0]}`);
      const landed = steal.requests.slice(before);
      expect(landed).toHaveLength(1);
      expect(JSON.stringify(landed)).not.toContain(tokens[0] as string);
      expect(JSON.stringify(landed)).not.toContain(CLIENT_SECRET);
    } finally {
      await api.close();
    }
  });
});
