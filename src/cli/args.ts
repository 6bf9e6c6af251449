import { parseArgs } from "node:util";
import { type CredentialOptions, checkCredentials } from "./args-auth.js";
import { UsageError } from "./usage.js";

/** `authflow [METHOD] URL [options]`. */
export interface RequestCommand {
  readonly command: "request";
  readonly method: string;
  readonly url: URL;
  readonly credentials: CredentialOptions;
  /** `-H 'Name: value'`, in order. */
  readonly headers: ReadonlyArray<readonly [name: string, value: string]>;
  /** `-d`: the body as given (`@file` and `@-` are read later). */
  readonly data: string | undefined;
  readonly json: boolean;
  readonly verbose: boolean;
  readonly checkStatus: boolean;
  readonly maxRedirects: number;
  /** Milliseconds; 0 for none. */
  readonly timeoutMs: number;
  readonly insecureAuth: boolean;
}

/** `authflow serve [--port N] [--host H] [--token-ttl S] [--faults]`. */
export interface ServeCommand {
  readonly command: "serve";
  readonly port: number;
  readonly host: string;
  readonly tokenTtlSeconds: number | undefined;
  /** `--faults`: the token endpoint's fault injection routes on. */
  readonly faults: boolean;
}

/** Every command the CLI runs. */
export type Command =
  | RequestCommand
  | ServeCommand
  | { readonly command: "demo" }
  | { readonly command: "help"; readonly topic?: "serve" }
  | { readonly command: "version" };

const REQUEST_OPTIONS = {
  auth: { type: "string", short: "a" },
  "auth-type": { type: "string", short: "A" },
  token: { type: "string" },
  "token-env": { type: "string" },
  "token-url": { type: "string" },
  issuer: { type: "string" },
  "client-id": { type: "string" },
  "client-secret-env": { type: "string" },
  "client-auth": { type: "string" },
  "private-key": { type: "string" },
  scope: { type: "string" },
  audience: { type: "string" },
  netrc: { type: "boolean" },
  "netrc-file": { type: "string" },
  header: { type: "string", short: "H", multiple: true },
  data: { type: "string", short: "d" },
  json: { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
  "check-status": { type: "boolean" },
  "max-redirects": { type: "string" },
  timeout: { type: "string" },
  "insecure-auth": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

const SERVE_OPTIONS = {
  port: { type: "string", short: "p" },
  host: { type: "string" },
  "token-ttl": { type: "string" },
  faults: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const METHOD = /^[A-Za-z][A-Za-z-]*$/;

/**
 * Reads the command line (without `node` and the script). Options may come
 * before or after the method and URL.
 *
 * @throws UsageError for anything that cannot be run as written.
 * @example
 * ```ts
 * parseCommand(["POST", "https://api.example.com/items", "-d", "{}", "--json", "-a", "alice"]);
 * ```
 */
export function parseCommand(argv: readonly string[]): Command {
  if (argv[0] === "serve") return parseServe(argv.slice(1));
  if (argv[0] === "demo") {
    if (argv.length > 1) throw new UsageError(`demo takes no arguments (got ${argv[1]})`);
    return { command: "demo" };
  }
  const { values, positionals } = usage(() =>
    parseArgs({ args: [...argv], options: REQUEST_OPTIONS, allowPositionals: true, strict: true }),
  );
  if (values.help === true) return { command: "help" };
  if (values.version === true) return { command: "version" };
  const [method, url] = methodAndUrl(positionals, values.data !== undefined);
  return {
    command: "request",
    method,
    url: parseUrl(url),
    credentials: checkCredentials(values),
    headers: (values.header ?? []).map(parseHeader),
    data: values.data,
    json: values.json === true,
    verbose: values.verbose === true,
    checkStatus: values["check-status"] === true,
    maxRedirects: integer(values["max-redirects"], "--max-redirects", 20, 0, 1000),
    timeoutMs: Math.round(seconds(values.timeout, "--timeout", 30) * 1000),
    insecureAuth: values["insecure-auth"] === true,
  };
}

function parseServe(argv: readonly string[]): Command {
  const { values, positionals } = usage(() =>
    parseArgs({ args: [...argv], options: SERVE_OPTIONS, allowPositionals: true, strict: true }),
  );
  if (values.help === true) return { command: "help", topic: "serve" };
  if (positionals.length > 0) throw new UsageError(`serve takes no arguments (got ${positionals[0]})`);
  const ttl = values["token-ttl"];
  return {
    command: "serve",
    port: integer(values.port, "--port", 0, 0, 65_535),
    host: values.host ?? "127.0.0.1",
    tokenTtlSeconds: ttl === undefined ? undefined : integer(ttl, "--token-ttl", 3600, 1, 31_536_000),
    faults: values.faults === true,
  };
}

function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    // node:util's messages are clear; they name the option, never a value.
    throw new UsageError((error as Error).message);
  }
}

/** `[METHOD] URL`: the method defaults to GET, or POST when a body is given. */
function methodAndUrl(positionals: readonly string[], hasBody: boolean): [method: string, url: string] {
  if (positionals.length === 0) throw new UsageError("a URL is needed");
  if (positionals.length > 2) throw new UsageError(`unexpected argument: ${positionals[2]}`);
  if (positionals.length === 1) return [hasBody ? "POST" : "GET", positionals[0] as string];
  const [method, url] = positionals as [string, string];
  if (!METHOD.test(method)) throw new UsageError(`not an HTTP method: ${method} (expected e.g. GET, POST, PUT)`);
  return [method.toUpperCase(), url];
}

/**
 * An `http:` or `https:` URL. Without a scheme, `http://` is assumed, and
 * `:3000/path` means `http://localhost:3000/path` (httpie's shorthands).
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

/** `Name: value` (the value may be empty). */
function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(":");
  const name = colon < 0 ? "" : text.slice(0, colon).trim();
  if (colon < 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new UsageError("-H takes 'Name: value', e.g. -H 'Accept: application/json'");
  }
  return [name, text.slice(colon + 1).trim()];
}

function integer(text: string | undefined, option: string, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`${option} needs a whole number from ${min} to ${max} (got ${text})`);
  }
  return value;
}

function seconds(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(value)) {
    throw new UsageError(`${option} needs a number of seconds, e.g. ${option} 10 (0 for no limit; got ${text})`);
  }
  return value;
}
