import { once } from "node:events";
import { defaultClients, isLoopbackHost, startTestServer } from "../server/index.js";
import type { ServeCommand } from "./args.js";
import { escapeControl } from "./safe-text.js";
import { openServeTls, type ServeTls } from "./serve-tls.js";

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
  ["/oauth/dpop-protected", "needs a DPoP-bound token and its proof (RFC 9449)"],
  ["/resource/*", "RFC 9728 resources: the 401 names their metadata (and this server)"],
  ["/.well-known/oauth-authorization-server", "RFC 8414 metadata"],
  ["/redirect-to?url=&status_code=", "redirects (to this server or loopback only)"],
  ["/status/:code", "answers with that status"],
  ["/anything", "echoes the request"],
  ["/_stats", "request, challenge and token counters"],
];

/** Listed only when `--faults` turned it on. */
const FAULTS_ROUTE = ["POST /oauth/_faults", "fault injection for the token endpoint (--faults)"] as const;
/** Listed only with `--mtls`. */
const MTLS_ROUTE = [
  "/oauth/mtls-protected",
  "needs a token bound to the client certificate presented (RFC 8705)",
] as const;

/** Where `serve` writes, and how it waits for the signal to stop. */
export interface ServeIO {
  readonly stdout: { write(text: string): unknown };
  /** Where the warning about a non-loopback address goes. */
  readonly stderr: { write(text: string): unknown };
  /** Resolves with the name of the signal that asks the server to stop. */
  readonly stopSignal?: () => Promise<string>;
}

/**
 * Runs `authflow serve`: the test server — a test server, not for
 * production — in the foreground until SIGINT or SIGTERM, then stops it
 * cleanly (open connections closed) and returns 0. Bound to an address that
 * is not loopback, it says so on stderr first; fault injection only with `--faults`.
 *
 * @example
 * ```ts
 * process.exitCode = await runServe(
 *   { command: "serve", port: 8080, host: "127.0.0.1", tokenTtlSeconds: undefined, faults: false },
 *   { stdout: process.stdout, stderr: process.stderr },
 * );
 * ```
 */
export async function runServe(command: ServeCommand, io: ServeIO): Promise<number> {
  // --tls: a throwaway CA and certificates, the CA's PEM in a fresh temporary directory (removed on stop).
  const tls = command.tls ? await openServeTls({ mtls: command.mtls }) : undefined;
  try {
    const server = await startTestServer({
      port: command.port,
      host: command.host,
      faults: command.faults,
      ...(command.tokenTtlSeconds === undefined ? {} : { tokenTtlSeconds: command.tokenTtlSeconds }),
      ...(tls === undefined ? {} : tls.serverOptions),
    });
    // Listening for the signal before saying how to send it: a stop sent as soon as the banner shows is caught.
    const stop = (io.stopSignal ?? waitForSignal)();
    // The address actually bound: a name is judged by what it resolved to.
    const bound = new URL(server.url).hostname;
    if (!isLoopbackHost(bound)) io.stderr.write(exposedWarning(command.host, bound, command.faults));
    const print = (line: string) => io.stdout.write(`${line}\n`);
    for (const line of banner(command, server.url, tls)) print(line);
    const signal = await stop;
    print(`${signal}: stopping`);
    await server.close();
  } finally {
    await tls?.remove();
  }
  io.stdout.write("stopped\n");
  return 0;
}

/** What `serve` prints once listening: where, its routes, its test clients, how to try and stop it. */
function banner(command: ServeCommand, url: string, tls: ServeTls | undefined): string[] {
  const routes = [...ROUTES, ...(command.mtls ? [MTLS_ROUTE] : []), ...(command.faults ? [FAULTS_ROUTE] : [])];
  const width = Math.max(...routes.map(([route]) => route.length));
  // The registered clients are public test fixtures (authflow/server's defaultClients()), not secrets.
  const clients = defaultClients().map((client) => {
    const secret =
      client.clientSecret === undefined ? "key: TEST_CLIENT_PRIVATE_JWK" : `secret: ${client.clientSecret}`;
    return `  ${client.clientId.padEnd(14)} ${client.authMethod.padEnd(20)} ${secret}`;
  });
  if (tls?.client !== undefined) {
    clients.push(`  ${"mtls-client".padEnd(14)} ${"tls_client_auth".padEnd(20)} certificate: ${tls.client.cert}`);
  }
  return [
    `authflow test server listening on ${url} (a test server: not for production)`,
    "",
    "routes:",
    ...routes.map(([route, what]) => `  ${route.padEnd(width)}  ${what}`),
    "",
    `OAuth clients (test fixtures; tokens live ${command.tokenTtlSeconds ?? 3600} s):`,
    ...clients,
    "",
    ...(tls === undefined ? [`try:  authflow ${url}/basic-auth/user/pass -a user`] : tlsLines(url, tls)),
    "stop: Ctrl-C",
  ];
}

/** Where the throwaway CA is, and a command that trusts it. */
function tlsLines(url: string, tls: ServeTls): string[] {
  const ca = shellWord(tls.caFile);
  const lines = [
    `CA certificate (throwaway, removed on stop): ${tls.caFile}`,
    `try:  npx authflow --cacert ${ca} GET ${url}/basic-auth/user/pass -a user`,
  ];
  if (tls.client !== undefined) {
    lines.push(
      `      npx authflow --cacert ${ca} --cert ${shellWord(tls.client.cert)} --key ${shellWord(tls.client.key)} \\`,
      `        GET ${url}/oauth/mtls-protected --token-url ${url}/oauth/token --client-id mtls-client --client-auth tls_client_auth`,
    );
  }
  return lines;
}

/** A path as one shell word: quoted only when it needs to be. */
function shellWord(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;
}

/**
 * What `serve` says on stderr before it serves on an address other machines can reach.
 *
 * @example
 * ```ts
 * process.stderr.write(exposedWarning("0.0.0.0", "0.0.0.0", false));
 * ```
 */
export function exposedWarning(host: string, bound: string, faults: boolean): string {
  const where = escapeControl(host === bound ? host : `${host} (${bound})`);
  const lines = [
    `authflow: warning: the test server listens on ${where}, which is not loopback: anyone who can reach`,
    "  this machine can use it. It hands out tokens for the fixed, published client secrets listed below",
    "  and answers every route without authentication. It is a test server, not for production.",
  ];
  if (faults) lines.push("  --faults is on: anyone who can reach it can make its token endpoint fail.");
  lines.push("  Use --host 127.0.0.1 (the default) unless other machines must reach it.");
  return `${lines.join("\n")}\n`;
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
