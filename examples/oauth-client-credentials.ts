// The seed's OAuth 2.0 client-credentials example, in TypeScript, then the
// authflow way. Runs against authflow's test server with BASE_URL set: its
// /oauth/token and /oauth/protected routes stand in for the authorization
// server and the API.
import { ClientCredentialsAuth, get, post, withAuth } from "authflow";

const base = process.env.BASE_URL ?? "https://authorization-server.com";
const clientId = process.env.CLIENT_ID ?? "basic-client";
const clientSecret = process.env.CLIENT_SECRET ?? "basic-secret";
const tokenUrl = `${base}/oauth/token`;
const apiUrl = `${base}/oauth/protected`;

// 1. First, obtain the access token.
const authResponse = await post(tokenUrl, {
  body: new URLSearchParams({ grant_type: "client_credentials" }),
  auth: [clientId, clientSecret],
});
if (!authResponse.ok) throw new Error(`token request failed: ${authResponse.status}`);
const tokenData = (await authResponse.json()) as { access_token: string };
const accessToken = tokenData.access_token;

// 2. Now, use the access token to access the protected resource.
const response = await get(apiUrl, { headers: { Authorization: `Bearer ${accessToken}` } });
if (!response.ok) throw new Error(`API request failed: ${response.status}`);
console.log(response.status, await response.json());

// The authflow way: one object fetches, caches and refreshes the token.
const auth = new ClientCredentialsAuth({ tokenUrl, clientId, clientSecret });
const api = withAuth(fetch, auth);
for (let index = 0; index < 3; index++) console.log((await api(apiUrl)).status); // one token request for all three
