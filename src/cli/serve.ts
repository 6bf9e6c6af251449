import { once } from "node:events";
import { defaultClients, startTestServer } from "../server/index.js";
import type { ServeCommand } from "./args.js";

/** The test server's routes, as `serve` lists them. */
const ROUTES: ReadonlyArray<readonly [route: string, what: string]> = [
  ["/basic-auth/:user/:passwd", "Basic; 401 with a challenge without the right credentials"],
  ["/hidden-basic-auth/:user/:passwd", "Basic; 404 instead of 401"],
  [
    "/digest-auth/:qop/:user/:passwd[/:algorithm[/:stale_after]]",
    "Digest (RFC 7616): qop auth|auth-int, MD5|SHA-256|SHA-512-256[-sess]",
  ],
  ["/bearer", "any Bearer token"],
  ["POST /oauth/token", "OAuth 2.0 client credentials token endpoint"],
  ["/oauth/protected", "needs a token issued by /oauth/token"],
  ["/.well-known/oauth-authorization-server", "RFC 8414 metadata"],
  ["/redirect-to?url=&status_code=", "redirects"],
  ["/status/:code", "answers with that status"],
  ["/anything", "echoes the request"],
  ["/_stats", "request, challenge and token counters"],
];

/** Where `serve` writes, and how it waits for the signal to stop. */
export interface ServeIO {
  readonly stdout: { write(text: string): unknown };
  /** Resolves with the name of the signal that asks the server to stop. */
  readonly stopSignal?: () => Promise<string>;
}

/**
 * Runs `authflow serve`: the test server in the foreground until SIGINT or
 * SIGTERM, then stops it cleanly (open connections closed) and returns 0.
 *
 * @example
 * ```ts
 * process.exitCode = await runServe({ command: "serve", port: 8080, host: "127.0.0.1", tokenTtlSeconds: undefined }, { stdout: process.stdout });
 * ```
 */
export async function runServe(command: ServeCommand, io: ServeIO): Promise<number> {
  const server = await startTestServer({
    port: command.port,
    host: command.host,
    ...(command.tokenTtlSeconds === undefined ? {} : { tokenTtlSeconds: command.tokenTtlSeconds }),
  });
  const print = (line: string) => io.stdout.write(`${line}\n`);
  print(`authflow test server listening on ${server.url}`);
  print("");
  print("routes:");
  const width = Math.max(...ROUTES.map(([route]) => route.length));
  for (const [route, what] of ROUTES) print(`  ${route.padEnd(width)}  ${what}`);
  print("");
  // The registered clients are public test fixtures (authflow/server's defaultClients()), not secrets.
  print(`OAuth clients (test fixtures; tokens live ${command.tokenTtlSeconds ?? 3600} s):`);
  for (const client of defaultClients()) {
    const secret =
      client.clientSecret === undefined ? "key: TEST_CLIENT_PRIVATE_JWK" : `secret: ${client.clientSecret}`;
    print(`  ${client.clientId.padEnd(14)} ${client.authMethod.padEnd(20)} ${secret}`);
  }
  print("");
  print(`try:  authflow ${server.url}/basic-auth/user/pass -a user`);
  print("stop: Ctrl-C");
  const signal = await (io.stopSignal ?? waitForSignal)();
  print(`${signal}: stopping`);
  await server.close();
  print("stopped");
  return 0;
}

/** The first SIGINT or SIGTERM; the handlers are removed after it, so a second one kills as usual. */
async function waitForSignal(): Promise<string> {
  const controller = new AbortController();
  const received = await Promise.race(
    (["SIGINT", "SIGTERM"] as const).map(async (name) => {
      await once(process, name, { signal: controller.signal });
      return name;
    }),
  );
  controller.abort();
  return received;
}
