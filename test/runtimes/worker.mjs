// The scenario as a Cloudflare Worker (workerd): `GET /scenario` runs every case and answers the results as
// JSON; `GET /shared?scheme=…&generation=…` sends one request through a module-level Client, cold for each new
// generation, so that concurrent requests to the Worker share it (issue 21 (B)). The server's URL comes from the
// SERVER_URL binding, the closed port's from CLOSED_URL.
import * as authflow from "./authflow.mjs";
import { describeError, runScenario, SHARED_PATHS, sharedClient } from "./scenario.mjs";

/** Module-level clients, one per generation and scheme: what a Worker keeps between requests. */
const clients = new Map();

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/scenario") {
      const results = await runScenario(authflow, { baseURL: env.SERVER_URL, closedURL: env.CLOSED_URL });
      return Response.json({ results });
    }
    if (url.pathname === "/shared") return shared(url, env);
    return new Response("not found", { status: 404 });
  },
};

async function shared(url, env) {
  const scheme = url.searchParams.get("scheme") ?? "basic";
  const key = `${scheme} ${url.searchParams.get("generation")}`;
  let client = clients.get(key);
  if (client === undefined) {
    client = sharedClient(authflow, env.SERVER_URL, scheme);
    clients.set(key, client);
  }
  try {
    const response = await client.get(SHARED_PATHS[scheme]);
    await response.arrayBuffer();
    return Response.json({ status: response.status });
  } catch (error) {
    return Response.json({ status: 0, error: describeError(error) });
  }
}
