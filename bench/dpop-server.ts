/**
 * The DPoP bench's server (bench/dpop.ts), in a process of its own: the test
 * server with the options in `DPOP_SERVER_OPTIONS` (JSON, e.g.
 * `{"dpop":{"requireNonce":true,"nonceMode":"one-time"}}`), on an ephemeral
 * loopback port. Prints `{"url": …}` on one line; runs until stdin closes.
 */
import { startTestServer } from "../src/server/index.js";

const options = JSON.parse(process.env.DPOP_SERVER_OPTIONS ?? "{}") as Parameters<typeof startTestServer>[0];
const server = await startTestServer({ ...options, port: 0, host: "127.0.0.1" });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  await server.close();
  process.exit(0);
}
process.stdin.on("end", shutdown);
process.stdin.on("close", shutdown);
process.stdin.resume();
process.on("SIGTERM", shutdown);
