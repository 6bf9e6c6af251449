// The seed's Digest example, in TypeScript. Runs against httpbin.org or, with
// BASE_URL set, against authflow's test server (`npx authflow serve`).
import { Client, DigestAuth } from "authflow";

const base = process.env.BASE_URL ?? "https://httpbin.org";
const username = "my_user";
const password = "my_pass123";

// authflow handles the entire challenge-response flow automatically.
const client = new Client();
const response = await client.get(`${base}/digest-auth/auth/my_user/my_pass123`, {
  auth: new DigestAuth(username, password),
});
console.log(response.status); // 200
