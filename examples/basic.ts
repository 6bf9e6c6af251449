// The seed's Basic example, in TypeScript. Runs against httpbin.org or, with
// BASE_URL set, against authflow's test server (`npx authflow serve`).
import { Client, get } from "authflow";

const base = process.env.BASE_URL ?? "https://httpbin.org";
const username = "my_user";
const password = "my_pass123";

// Method 1: using the `auth` option (recommended)
const client = new Client({ auth: [username, password] });
const response = await client.get(`${base}/basic-auth/my_user/my_pass123`);
console.log(response.status); // 200

// Method 2: manually constructing the header (for understanding)
const credentials = Buffer.from(`${username}:${password}`, "utf8").toString("base64");
const headers = { Authorization: `Basic ${credentials}` };
const manual = await get(`${base}/basic-auth/my_user/my_pass123`, { headers });
console.log(manual.status); // 200
