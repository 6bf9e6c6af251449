/**
 * One process of the credential-sharing test (issue 12.1):
 *
 * `node --import tsx credential-worker.ts <tokenUrl> <redisUrl> <clientId> <clientSecret>`
 *
 * Asks for a token through a RedisTokenStore and prints one JSON line:
 * `{ "accessToken": … }` or `{ "error": <OAuthError code or error name> }`.
 */
import { ClientCredentialsAuth, OAuthError } from "../../src/index.js";
import { RedisTokenStore } from "../../src/redis/index.js";

const [tokenUrl, redisUrl, clientId, clientSecret] = process.argv.slice(2) as [string, string, string, string];
const store = new RedisTokenStore({
  url: redisUrl,
  connectTimeoutMs: 10_000,
  commandTimeoutMs: 5_000,
  onWarning: () => {},
});
const auth = new ClientCredentialsAuth({ tokenUrl, clientId, clientSecret, store });
try {
  const token = await auth.getToken();
  process.stdout.write(`${JSON.stringify({ accessToken: token.accessToken })}\n`);
} catch (error) {
  const code = error instanceof OAuthError ? error.error : error instanceof Error ? error.name : String(error);
  process.stdout.write(`${JSON.stringify({ error: code })}\n`);
} finally {
  await store.close();
}
