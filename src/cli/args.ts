import { type CredentialOptions, checkCredentials } from "./args-auth.js";
import { bodySpec } from "./args-body.js";
import { type NetworkOptions, networkOptions } from "./args-network.js";
import { type OutputOptions, outputOptions } from "./args-output.js";
import { REQUEST_FLAGS, SERVE_FLAGS, SESSION_FLAGS } from "./flags.js";
import { isRequestItem, parseItem, type RequestItem } from "./items.js";
import { type FlagValues, nearest, parseFlags } from "./parse.js";
import type { BodySpec } from "./request-body.js";
import { checkSessionName } from "./session-store.js";
import { UsageError } from "./usage.js";

/** `authflow [METHOD] URL [ITEM…] [options]`. */
export interface RequestCommand {
  readonly command: "request";
  readonly method: string;
  readonly url: URL;
  readonly credentials: CredentialOptions;
  /** `--anyauth`: Digest or Basic, whichever the server asks for. */
  readonly anyauth: boolean;
  /** `-H 'Name: value'` and `Name:value` items, in order; a null value drops a default header. */
  readonly headers: ReadonlyArray<readonly [name: string, value: string | null]>;
  readonly body: BodySpec;
  readonly json: boolean;
  readonly verbose: boolean;
  readonly checkStatus: boolean;
  readonly maxRedirects: number;
  /** Milliseconds; 0 for none. */
  readonly timeoutMs: number;
  readonly insecureAuth: boolean;
  /** TLS files and the proxy: `--cacert`, `--cert`, `--key`, `-x`, `--proxy-user`, `--noproxy`. */
  readonly network: NetworkOptions;
  /** `--session NAME`, `--session-read-only`. */
  readonly session: { readonly name: string; readonly readOnly: boolean } | undefined;
  readonly output: OutputOptions;
}

/** `authflow serve [--port N] [--host H] [--token-ttl S] [--faults]`. */
export interface ServeCommand {
  readonly command: "serve";
  readonly port: number;
  readonly host: string;
  readonly tokenTtlSeconds: number | undefined;
  /** `--faults`: the token endpoint's fault injection routes on. */
  readonly faults: boolean;
  /** `--tls`: https with a throwaway CA; `--mtls`: clients asked for a certificate too. */
  readonly tls: boolean;
  readonly mtls: boolean;
}

/** `authflow session list` or `authflow session delete NAME`. */
export interface SessionCommand {
  readonly command: "session";
  readonly action: "list" | "delete";
  readonly name?: string;
}

/** The topics of `authflow help TOPIC`. */
export const HELP_TOPICS = ["request", "serve", "session", "demo"] as const;
export type HelpTopic = (typeof HELP_TOPICS)[number];

/** Every command the CLI runs. */
export type Command =
  | RequestCommand
  | ServeCommand
  | SessionCommand
  | { readonly command: "demo" }
  | { readonly command: "help"; readonly topic?: HelpTopic }
  | { readonly command: "version" };

const METHOD = /^[A-Za-z][A-Za-z-]*$/;
const KNOWN_METHODS = new Set(
  "GET HEAD POST PUT PATCH DELETE OPTIONS TRACE CONNECT QUERY PROPFIND PROPPATCH MKCOL COPY MOVE LOCK UNLOCK REPORT SEARCH PURGE".split(
    " ",
  ),
);

/**
 * Reads the command line (without `node` and the script). Flags may come
 * before or after the method, the URL and the request items.
 *
 * @throws UsageError for anything that cannot be run as written.
 * @example
 * ```ts
 * parseCommand(["POST", "https://api.example.com/items", "name=x", "-a", "alice"]);
 * ```
 */
export function parseCommand(argv: readonly string[]): Command {
  switch (argv[0]) {
    case "serve":
      return parseServe(argv.slice(1));
    case "session":
      return parseSession(argv.slice(1));
    case "help":
      return parseHelp(argv.slice(1));
    case "demo":
      if (argv.length > 1) throw new UsageError(`demo takes no arguments (got ${argv[1]})`);
      return { command: "demo" };
  }
  const { values, positionals } = parseFlags(argv, REQUEST_FLAGS);
  if (values.help === true) return { command: "help", topic: "request" };
  if (values.version === true) return { command: "version" };
  return requestCommand(values, positionals);
}

function requestCommand(values: FlagValues, positionals: readonly string[]): RequestCommand {
  const { method: given, url: text, items } = methodUrlAndItems(positionals);
  const parsed = items.map(parseItem);
  const body = bodySpec({
    data: list(values, "data"),
    encoded: list(values, "data-urlencode"),
    form: list(values, "form"),
    items: parsed.filter((item) => item.kind !== "header" && item.kind !== "query"),
  });
  const head = values.head === true;
  if (head && given !== undefined && given !== "HEAD") {
    throw new UsageError(`-I sends HEAD; to see only the headers of a ${given}, use --print h`);
  }
  const method = head ? "HEAD" : (given ?? (body.kind === "none" ? "GET" : "POST"));
  const credentials = checkCredentials(values);
  if (values.anyauth === true && credentials.type !== "basic") {
    throw new UsageError(
      "--anyauth goes with -a USER[:PASS] (it picks Digest or Basic), not with -A or other credentials",
    );
  }
  const session = values.session;
  if (values["session-read-only"] === true && typeof session !== "string") {
    throw new UsageError("--session-read-only goes with --session NAME");
  }
  return {
    command: "request",
    method,
    url: withQuery(parseUrl(text), parsed),
    credentials,
    anyauth: values.anyauth === true,
    headers: [...list(values, "header").map(parseHeader), ...headerItems(parsed)],
    body,
    json: values.json === true,
    verbose: values.verbose === true,
    checkStatus: values["check-status"] === true,
    maxRedirects: integer(values["max-redirects"], "--max-redirects", 20, 0, 1000),
    timeoutMs: timeout(values.timeout),
    insecureAuth: values["insecure-auth"] === true,
    network: networkOptions(values),
    session:
      typeof session === "string"
        ? { name: checkSessionName(session), readOnly: values["session-read-only"] === true }
        : undefined,
    output: outputOptions(values, method),
  };
}

function parseServe(argv: readonly string[]): Command {
  const { values, positionals } = parseFlags(argv, SERVE_FLAGS);
  if (values.help === true) return { command: "help", topic: "serve" };
  if (positionals.length > 0) throw new UsageError(`serve takes no arguments (got ${positionals[0]})`);
  const ttl = values["token-ttl"];
  return {
    command: "serve",
    port: integer(values.port, "--port", 0, 0, 65_535),
    host: typeof values.host === "string" ? values.host : "127.0.0.1",
    tokenTtlSeconds: ttl === undefined ? undefined : integer(ttl, "--token-ttl", 3600, 1, 31_536_000),
    faults: values.faults === true,
    tls: values.tls === true || values.mtls === true,
    mtls: values.mtls === true,
  };
}

function parseSession(argv: readonly string[]): Command {
  const { values, positionals } = parseFlags(argv, SESSION_FLAGS);
  if (values.help === true || positionals.length === 0) return { command: "help", topic: "session" };
  const [action, name, extra] = positionals;
  if (action === "list" && name === undefined) return { command: "session", action: "list" };
  if (action === "delete" && name !== undefined && extra === undefined) {
    return { command: "session", action: "delete", name: checkSessionName(name) };
  }
  if (action === "delete") throw new UsageError("session delete takes one NAME: authflow session delete NAME");
  if (action === "list") throw new UsageError("session list takes no arguments");
  throw new UsageError(
    `session takes list or delete NAME (got ${action})${didYouMean(action ?? "", ["list", "delete"])}`,
  );
}

function parseHelp(argv: readonly string[]): Command {
  const [topic, extra] = argv;
  if (topic === undefined) return { command: "help", topic: "request" };
  if (extra !== undefined) throw new UsageError("help takes one topic: authflow help [request|serve|session|demo]");
  if ((HELP_TOPICS as readonly string[]).includes(topic)) return { command: "help", topic: topic as HelpTopic };
  throw new UsageError(`no help on ${topic}; the topics: ${HELP_TOPICS.join(", ")}${didYouMean(topic, HELP_TOPICS)}`);
}

function didYouMean(typed: string, known: readonly string[]): string {
  const suggestion = nearest(typed, known);
  return suggestion === undefined ? "" : `; did you mean ${suggestion}?`;
}

/**
 * `[METHOD] URL [ITEM…]`: the first word is a method when it is a known one or
 * all capitals (`PROPFIND`) and more words follow; otherwise it is the URL.
 */
function methodUrlAndItems(positionals: readonly string[]): { method?: string; url: string; items: string[] } {
  const [first, second] = positionals;
  if (first === undefined) throw new UsageError("a URL is needed");
  if (second === undefined) return { url: first, items: [] };
  if (METHOD.test(first) && (KNOWN_METHODS.has(first.toUpperCase()) || first === first.toUpperCase())) {
    return { method: first.toUpperCase(), url: second, items: positionals.slice(2) };
  }
  if (!/[.:/]/.test(first) && first !== "localhost" && !isRequestItem(second)) {
    throw new UsageError(`not an HTTP method: ${first} (expected e.g. GET, POST, PUT)`);
  }
  return { url: first, items: positionals.slice(1) };
}

/**
 * An `http:` or `https:` URL. Without a scheme, `http://` is assumed, and
 * `:3000/path` means `http://localhost:3000/path` (httpie's shorthands).
 *
 * @example
 * ```ts
 * parseUrl(":3000/x").href; // "http://localhost:3000/x"
 * ```
 */
export function parseUrl(text: string): URL {
  let candidate = text;
  if (/^:\d*(\/|$)/.test(text)) candidate = `http://localhost${text}`;
  else if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) candidate = `http://${text}`;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    // The text is not repeated: a mistyped URL may still hold credentials.
    throw new UsageError("the URL is not valid (expected e.g. https://api.example.com/path)");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`only http: and https: URLs are supported (got ${url.protocol})`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new UsageError("the URL embeds credentials (user:pass@); pass them with -a USER instead");
  }
  return url;
}

/** `name==value` items appended to the query, percent-encoded; the query as given is kept byte for byte. */
function withQuery(url: URL, items: readonly RequestItem[]): URL {
  const pairs = items.flatMap((item) =>
    item.kind === "query" ? [`${encodeURIComponent(item.name)}=${encodeURIComponent(item.value)}`] : [],
  );
  if (pairs.length === 0) return url;
  const result = new URL(url);
  result.search = `${url.search === "" ? "" : `${url.search.slice(1)}&`}${pairs.join("&")}`;
  return result;
}

/** `Name: value`; `Name:` alone drops a default header, `Name;` sends it empty (curl's forms). */
function parseHeader(text: string): [string, string | null] {
  const empty = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+);$/.exec(text.trim());
  if (empty !== null) return [empty[1] as string, ""];
  const colon = text.indexOf(":");
  const name = colon < 0 ? "" : text.slice(0, colon).trim();
  if (colon < 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new UsageError("-H takes 'Name: value', e.g. -H 'Accept: application/json'");
  }
  const value = text.slice(colon + 1).trim();
  return [name, value === "" ? null : value];
}

function headerItems(items: readonly RequestItem[]): Array<[string, string | null]> {
  return items.flatMap((item) => (item.kind === "header" ? [[item.name, item.value] as [string, string | null]] : []));
}

function list(values: FlagValues, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : [];
}

function integer(value: FlagValues[string], option: string, fallback: number, min: number, max: number): number {
  if (typeof value !== "string") return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw new UsageError(`${option} needs a whole number from ${min} to ${max} (got ${value})`);
  }
  return number;
}

/** The longest timer Node keeps: about 24.8 days. */
const LONGEST_TIMEOUT_MS = 2_147_483_647;

/** `--timeout SECONDS` in ms: fractions down to a millisecond are honoured; less is refused, not rounded to "none". */
function timeout(value: FlagValues[string]): number {
  if (typeof value !== "string") return 30_000;
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(seconds)) {
    throw new UsageError(`--timeout needs a number of seconds, e.g. --timeout 10 (0 for no limit; got ${value})`);
  }
  const milliseconds = seconds * 1000;
  if (milliseconds > 0 && milliseconds < 1) {
    throw new UsageError(`--timeout ${value} is under a millisecond: the shortest is 0.001 (or 0 for no limit)`);
  }
  if (milliseconds > LONGEST_TIMEOUT_MS) {
    throw new UsageError(`--timeout ${value} is longer than Node can wait (24 days); use 0 for no limit`);
  }
  return Math.round(milliseconds);
}
