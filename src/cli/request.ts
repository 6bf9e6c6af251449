import { type Auth, Client, DigestAuth, type TlsOptions } from "../index.js";
import { AnyAuth } from "./anyauth.js";
import type { RequestCommand } from "./args.js";
import { schemeHint } from "./challenge-hint.js";
import { type ResolvedCredentials, resolveCredentials } from "./credentials.js";
import { DigestMemory } from "./digest-memory.js";
import { openNetwork } from "./network.js";
import { type Diagnostics, responseLines, sentLines } from "./output.js";
import { openPromptTerminal, type PromptInput, promptSecret } from "./prompt.js";
import { prepareBody } from "./request-body.js";
import { headerWarnings, requestHeaders, secretHeaderValues } from "./request-headers.js";
import { type OutputTerminal, writeExchange } from "./request-output.js";
import { openSession, type Session } from "./session-store.js";
import { createTransport, type SentRequest, type Transport, type TransportHooks } from "./transport.js";

/** Everything a request command touches: the terminal, stdin, the version for User-Agent. */
export interface RequestIO extends OutputTerminal {
  readonly stdin: Partial<PromptInput> & AsyncIterable<Uint8Array | string>;
  readonly version: string;
}

/**
 * Runs `authflow [METHOD] URL [ITEM…] [options]`: resolves the credentials
 * (asking on the terminal for what is missing), sends the request through a
 * {@link Client} over the CLI's own transport (no browser headers, `-v` as
 * sent), writes what `--print`/`-o`/`--download` ask for, keeps what
 * `--session` keeps, and returns the exit status.
 *
 * @example
 * ```ts
 * process.exitCode = await runRequest(parseCommand(argv) as RequestCommand, io, diagnostics);
 * ```
 */
export async function runRequest(command: RequestCommand, io: RequestIO, out: Diagnostics): Promise<number> {
  // A credential in the URL's query is a secret the command holds, wherever else it shows up.
  out.scrubber.addQuery(command.url);
  const network = await openNetwork(command.network, {
    env: io.env,
    prompt: ask,
    insecureAuth: command.insecureAuth,
    connectTimeoutMs: command.timeoutMs,
  });
  try {
    // Before anything is printed: the proxy password, the key's passphrase and text.
    out.scrubber.add(network.secrets);
    if (network.proxyPair !== undefined) out.scrubber.addPair(network.proxyPair[0], network.proxyPair[1]);
    for (const warning of network.warnings) out.say(`authflow: warning: ${warning}`);
    const transport = createTransport({
      connectTimeoutMs: command.timeoutMs,
      dispatcher: network.dispatcher,
      tls: network.resolvedTls,
      // What a proxy does below the CLI's requests (CONNECT, a 407 answered), shown with -v, secrets redacted.
      ...(network.dispatcher === undefined ? {} : { wire: watching(out, command.verbose) }),
    });
    try {
      return await exchange(command, io, out, { transport, tls: network.tls });
    } finally {
      await transport.close();
    }
  } finally {
    await network.close();
  }
}

async function exchange(
  command: RequestCommand,
  io: RequestIO,
  out: Diagnostics,
  connection: { readonly transport: Transport; readonly tls: TlsOptions | undefined },
): Promise<number> {
  const { transport } = connection;
  const say = (text: string) => out.say(text);
  const session = await sessionOf(command, io, say);
  const memory = new DigestMemory(session?.challenges ?? []);
  const watch = watching(out, command.verbose);
  const credentials = await resolveCredentials(command.credentials, {
    env: io.env,
    prompt: ask,
    fetch: transport.fetch(watch),
    insecureAuth: command.insecureAuth,
    anyauth: command.anyauth,
    store: session?.tokens,
    tls: connection.tls,
  });
  remember(out, credentials, command);
  for (const warning of [...credentials.warnings, ...headerWarnings(command), ...sessionWarnings(command)]) {
    say(`authflow: warning: ${warning}`);
  }
  await prime(credentials.auth, memory, command.url);
  const body = await prepareBody(command.body, { json: command.json, stdin: io.stdin });
  let last: SentRequest | undefined;
  const client = new Client({
    auth: credentials.auth,
    // The user's request chain: its last request is what --print H shows and --download names the file by.
    fetch: transport.fetch({
      onRequest: (sent) => {
        last = sent;
        watch.onRequest?.(sent);
      },
      onResponse: (response, sent) => {
        memory.observe(response, sent);
        watch.onResponse?.(response, sent);
      },
    }),
    timeout: command.timeoutMs === 0 ? false : command.timeoutMs,
    followRedirects: command.maxRedirects > 0,
    maxRedirects: command.maxRedirects,
    allowInsecureAuth: command.insecureAuth,
  });
  const headers = requestHeaders(command, io.version, body);
  const init = body.body === undefined ? { headers } : { headers, body: body.body };
  const response = await client.request(command.method, command.url, init);
  await saveChallenges(session, memory, out);
  const result = {
    response,
    sent: last,
    requestBody: body.shown,
    url: (last as SentRequest | undefined)?.url ?? command.url,
  };
  return finish(command, io, out, result, credentials);
}

function sessionOf(command: RequestCommand, io: RequestIO, say: (text: string) => void): Promise<Session | undefined> {
  if (command.session === undefined) return Promise.resolve(undefined);
  return openSession(command.session.name, {
    env: io.env,
    readOnly: command.session.readOnly,
    warn: (message) => say(`authflow: warning: ${message}`),
  });
}

async function finish(
  command: RequestCommand,
  io: RequestIO,
  out: Diagnostics,
  result: { response: Response; sent: SentRequest | undefined; requestBody: string | undefined; url: URL },
  credentials: ResolvedCredentials,
): Promise<number> {
  const { response } = result;
  const say = (text: string) => out.say(text);
  const rejected = credentials.auth !== null && response.status === 401;
  const hint =
    response.status === 401
      ? schemeHint(response.headers.get("www-authenticate"), command.credentials.type, command.anyauth)
      : undefined;
  const ok = response.status >= 200 && response.status < 300;
  const save = command.output.file !== undefined || (command.output.download && ok);
  await writeExchange(result, command.output, io, out, { verbose: command.verbose, save });
  if (rejected)
    say(`authflow: the server did not accept the credentials (${`${response.status} ${response.statusText}`.trim()})`);
  if (hint !== undefined && (rejected || !command.output.quiet)) say(`authflow: ${hint}`);
  const notSaved = command.output.download && command.output.file === undefined && !ok;
  if (notSaved) say(`authflow: nothing saved: --download keeps 2xx answers only (got ${response.status})`);
  if (command.checkStatus && response.status >= 300) return Math.min(5, Math.floor(response.status / 100));
  return rejected || notSaved ? 1 : 0;
}

/** A DPoP key lives for one run: its bound tokens are of no use to the next one. */
function sessionWarnings(command: RequestCommand): string[] {
  const { credentials, session } = command;
  if (session === undefined || credentials.type !== "oauth2" || !credentials.dpop) return [];
  return [
    `--dpop makes a new key for each run and its tokens are bound to that key: --session ${session.name} cannot reuse them`,
  ];
}

/** Asks on the controlling terminal; undefined when there is none. */
async function ask(question: string): Promise<string | undefined> {
  const terminal = openPromptTerminal();
  if (terminal === undefined) return undefined;
  try {
    return await promptSecret(question, terminal.input, terminal.output);
  } finally {
    terminal.close();
  }
}

/** Every secret the command holds joins those kept out of stderr, before anything is printed. */
function remember(out: Diagnostics, credentials: ResolvedCredentials, command: RequestCommand): void {
  out.scrubber.add(credentials.secrets);
  if (credentials.username !== undefined) {
    for (const secret of credentials.secrets) out.scrubber.addPair(credentials.username, secret);
  }
  out.scrubber.add(secretHeaderValues(command));
}

/**
 * The hooks every exchange goes through: what a request carries joins the
 * secrets kept out of stderr as it is sent (a token fetched at run time
 * included); with `-v`, each request as written on the wire and each response head.
 */
function watching(out: Diagnostics, verbose: boolean): TransportHooks {
  return {
    onRequest(sent) {
      out.scrubber.harvestHeaders(sent.headers, sent.url);
      if (verbose) out.writeLines(sentLines(sent, out));
    },
    onResponse(response) {
      if (verbose) out.writeLines(responseLines(response, out));
    },
  };
}

/** A session's Digest challenges handed to the Digest side of the credentials. */
async function prime(auth: Auth | null, memory: DigestMemory, url: URL): Promise<void> {
  if (auth instanceof AnyAuth && memory.knows(url.origin)) {
    auth.preferDigest(url.origin);
    await memory.prime(auth.digest, url);
  } else if (auth instanceof DigestAuth) await memory.prime(auth, url);
}

/** Saves what the exchanges taught; a record holding a secret the command knows, in any spelling, is left out. */
async function saveChallenges(session: Session | undefined, memory: DigestMemory, out: Diagnostics): Promise<void> {
  if (session === undefined || !memory.changed) return;
  const clean = memory.records.filter((record) => {
    const text = JSON.stringify(record);
    return out.scrubber.scrub(text) === text;
  });
  try {
    await session.saveChallenges(clean);
  } catch (error) {
    out.say(
      `authflow: warning: session ${session.name}: the Digest challenges were not saved (${(error as Error).message})`,
    );
  }
}
