/**
 * The bench's server, in a process of its own so that its work does not share
 * the client's event loop: starts the test server on an ephemeral loopback
 * port (with the options in `BENCH_SERVER_OPTIONS`, JSON, when set), prints
 * `{"url": …}` on one line, and runs until its stdin closes or it
 * gets SIGTERM.
 */
import { startTestServer } from "../src/server/index.js";

// More options as JSON in BENCH_SERVER_OPTIONS (the DPoP bench: `{"dpop":{"requireNonce":true}}`).
const options = JSON.parse(process.env.BENCH_SERVER_OPTIONS ?? "{}") as Parameters<typeof startTestServer>[0];
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
