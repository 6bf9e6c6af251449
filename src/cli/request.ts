import { readFile } from "node:fs/promises";
import { Client, type FetchLike } from "../index.js";
import type { RequestCommand } from "./args.js";
import { writeBody } from "./body.js";
import { isSecretHeader } from "./credential-names.js";
import { resolveCredentials } from "./credentials.js";
import { type Diagnostics, requestLines, responseLines, statusLine, type Terminal } from "./output.js";
import { canPrompt, type PromptInput, promptSecret } from "./prompt.js";
import { UsageError } from "./usage.js";

/** Everything a request command touches: the terminal, stdin, the version for User-Agent. */
export interface RequestIO extends Terminal {
  readonly stdin: PromptInput & AsyncIterable<Uint8Array | string>;
  readonly version: string;
}

/**
 * Runs `authflow [METHOD] URL [options]`: resolves the credentials (asking
 * for what is missing), sends the request through a {@link Client}, prints
 * the status line on stderr and the body on stdout, and returns the exit
 * status.
 *
 * @example
 * ```ts
 * process.exitCode = await runRequest(parseCommand(argv) as RequestCommand, io, diagnostics);
 * ```
 */
export async function runRequest(command: RequestCommand, io: RequestIO, out: Diagnostics): Promise<number> {
  const { scrubber } = out;
  // A credential in the URL's query is a secret the command holds, wherever else it shows up.
  scrubber.addQuery(command.url);
  const say = (text: string) => out.say(text);
  const transport = watchingFetch(out, command.verbose);
  const credentials = await resolveCredentials(command.credentials, {
    env: io.env,
    canPrompt: canPrompt(io.stdin),
    prompt: (question) => promptSecret(question, io.stdin, io.stderr),
    fetch: transport,
    insecureAuth: command.insecureAuth,
  });
  scrubber.add(credentials.secrets);
  if (credentials.username !== undefined)
    for (const secret of credentials.secrets) scrubber.addPair(credentials.username, secret);
  const headers = requestHeaders(command, io.version);
  scrubber.add(secretHeaderValues(command));
  for (const warning of [...credentials.warnings, ...headerWarnings(command)]) say(`authflow: warning: ${warning}`);
  const body = await readData(command.data, io.stdin);
  const client = new Client({
    auth: credentials.auth,
    fetch: transport,
    timeout: command.timeoutMs === 0 ? false : command.timeoutMs,
    followRedirects: command.maxRedirects > 0,
    maxRedirects: command.maxRedirects,
    allowInsecureAuth: command.insecureAuth,
  });
  const response = await client.request(
    command.method,
    command.url,
    body === undefined ? { headers } : { headers, body },
  );
  // With -v the log already showed the final status line.
  if (!command.verbose) out.writeLines([statusLine(response, out)]);
  const rejected = credentials.auth !== null && response.status === 401;
  if (rejected)
    say(`authflow: the server did not accept the credentials (${`${response.status} ${response.statusText}`.trim()})`);
  await writeBody(response, io, say);
  if (command.checkStatus && response.status >= 300) return Math.min(5, Math.floor(response.status / 100));
  return rejected ? 1 : 0;
}

/**
 * The transport: every credential a request carries (a token fetched at run
 * time included) joins the secrets kept out of stderr before anything about
 * its exchange is printed; with `-v`, each exchange is printed, token
 * endpoint requests included.
 */
function watchingFetch(out: Diagnostics, verbose: boolean): FetchLike {
  return async (request) => {
    out.scrubber.harvest(request);
    if (verbose) out.writeLines(requestLines(request, out));
    const response = await fetch(request);
    if (verbose) out.writeLines(responseLines(response, out));
    return response;
  };
}

function requestHeaders(command: RequestCommand, version: string): Headers {
  const headers = new Headers({ "user-agent": `authflow/${version}` });
  if (command.json) {
    headers.set("accept", "application/json, */*;q=0.5");
    if (command.data !== undefined) headers.set("content-type", "application/json");
  }
  const given = new Set<string>();
  for (const [name, value] of command.headers) {
    try {
      // The first -H for a name replaces a default; more of the same name add values.
      if (given.has(name.toLowerCase())) headers.append(name, value);
      else headers.set(name, value);
    } catch {
      // The platform's message would quote the value, which may be a secret.
      throw new UsageError(`-H ${name}: the value holds a character HTTP does not allow (CR, LF, NUL or similar)`);
    }
    given.add(name.toLowerCase());
  }
  return headers;
}

/** The values of secret headers given with -H, and of an `Authorization` without its scheme. */
function secretHeaderValues(command: RequestCommand): string[] {
  return command.headers
    .filter(([name]) => isSecretHeader(name))
    .flatMap(([, value]) => [value, value.slice(value.indexOf(" ") + 1)]);
}

function headerWarnings(command: RequestCommand): string[] {
  const secret = command.headers.filter(([name, value]) => value !== "" && isSecretHeader(name));
  return secret.map(
    ([name]) =>
      `the ${name} header was given on the command line, where other users (ps) and your shell history can see it`,
  );
}

/** `-d DATA`, `-d @FILE` or `-d @-` (stdin). */
async function readData(
  data: string | undefined,
  stdin: AsyncIterable<Uint8Array | string>,
): Promise<string | Uint8Array<ArrayBuffer> | undefined> {
  if (data === undefined || !data.startsWith("@")) return data;
  if (data === "@-") {
    const chunks: Uint8Array[] = [];
    for await (const chunk of stdin) chunks.push(typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk);
    return new Uint8Array(Buffer.concat(chunks));
  }
  try {
    return new Uint8Array(await readFile(data.slice(1)));
  } catch (error) {
    throw new UsageError(`-d ${data}: cannot read the file (${(error as { code?: string }).code ?? "error"})`);
  }
}
