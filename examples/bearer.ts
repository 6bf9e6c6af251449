// The seed's Bearer example, in TypeScript. Runs against authflow's test server
// with BASE_URL set (its /bearer route stands in for api.example.com).
import { type Auth, Client, get } from "authflow";

const base = process.env.BASE_URL ?? "https://httpbin.org";
// The token is often a long, randomly generated string.
const apiToken = "abc123yourapitoken456def";

// Method 1: using the `headers` option
const headers = { Authorization: `Bearer ${apiToken}` };
const response = await get(`${base}/bearer`, { headers });
console.log(response.status); // 200

// Method 2: using a custom Auth class for reusability
class BearerAuth implements Auth {
  constructor(private readonly token: string) {}
  *authFlow(request: Request) {
    request.headers.set("Authorization", `Bearer ${this.token}`);
    yield request;
  }
}

// Use the custom auth class
const client = new Client({ auth: new BearerAuth(apiToken) });
const reused = await client.get(`${base}/bearer`);
console.log(reused.status); // 200
