/**
 * The CLI's flags, one table per command: the parser reads them, and the
 * help, the short usage and the "did you mean" suggestions are generated from
 * them. A new flag is one row here (and the code that reads its value).
 */

/** `boolean`: present or not; `value`: one value (the last one given wins); `list`: repeatable, in order. */
export type FlagKind = "boolean" | "value" | "list";

/** One flag of a command. */
export interface Flag {
  /** The long name without its dashes: `auth` for `--auth`. */
  readonly name: string;
  /** One letter, for `-a`. */
  readonly short?: string;
  readonly kind: FlagKind;
  /** What the value looks like in the help: `USER[:PASS]`. */
  readonly value?: string;
  /** The help section it is listed under. */
  readonly group: string;
  /** What it does; `\n` starts a continuation line. */
  readonly help: string;
}

const CREDENTIALS = "Credentials";
const TLS = "TLS (curl's flags)";
const PROXY = "Proxies (curl's flags; by default http_proxy, https_proxy, no_proxy…)";
const BODY = "Request body (curl's flags, httpie's items)";
const REQUEST = "Request";
const SESSION = "Sessions";
const OUTPUT = "Output";
const OTHER = "Other";

/**
 * The flags of `authflow [METHOD] URL`.
 *
 * @example
 * ```ts
 * REQUEST_FLAGS.find((flag) => flag.name === "timeout")?.help;
 * ```
 */
export const REQUEST_FLAGS: readonly Flag[] = [
  {
    name: "auth",
    short: "a",
    kind: "value",
    value: "USER[:PASS]",
    group: CREDENTIALS,
    help: "Basic (default) or Digest user; PASS left out is read from\n$AUTHFLOW_PASSWORD or asked for (no echo) on the terminal",
  },
  {
    name: "auth-type",
    short: "A",
    kind: "value",
    value: "TYPE",
    group: CREDENTIALS,
    help: "basic | digest | bearer | oauth2 (inferred from the options)",
  },
  {
    name: "anyauth",
    kind: "boolean",
    group: CREDENTIALS,
    help: "with -a: answer whichever of Digest or Basic the server asks for",
  },
  {
    name: "token",
    kind: "value",
    value: "TOKEN",
    group: CREDENTIALS,
    help: "bearer token (visible to others: prefer --token-env)",
  },
  {
    name: "token-env",
    kind: "value",
    value: "VAR",
    group: CREDENTIALS,
    help: "bearer token from environment variable VAR",
  },
  {
    name: "token-url",
    kind: "value",
    value: "URL",
    group: CREDENTIALS,
    help: "OAuth 2.0 client credentials: the token endpoint",
  },
  {
    name: "issuer",
    kind: "value",
    value: "URL",
    group: CREDENTIALS,
    help: "... or the issuer, found by RFC 8414 discovery",
  },
  { name: "client-id", kind: "value", value: "ID", group: CREDENTIALS, help: "... the client id" },
  {
    name: "client-secret-env",
    kind: "value",
    value: "VAR",
    group: CREDENTIALS,
    help: "... the client secret from VAR (else asked for on the terminal)",
  },
  {
    name: "client-auth",
    kind: "value",
    value: "METHOD",
    group: CREDENTIALS,
    help: "... client_secret_basic (default), client_secret_post,\n    client_secret_jwt, private_key_jwt, tls_client_auth,\n    self_signed_tls_client_auth (these two: with --cert and --key)",
  },
  {
    name: "private-key",
    kind: "value",
    value: "FILE",
    group: CREDENTIALS,
    help: "... the private_key_jwt key (JWK JSON or PKCS#8 PEM)",
  },
  { name: "scope", kind: "value", value: '"A B"', group: CREDENTIALS, help: "... scopes, space-separated" },
  { name: "audience", kind: "value", value: "AUD", group: CREDENTIALS, help: "... the audience parameter" },
  {
    name: "dpop",
    kind: "boolean",
    group: CREDENTIALS,
    help: "... DPoP (RFC 9449): a token bound to a key made for this run,\n    a signed proof on every request",
  },
  {
    name: "allowed-issuer",
    kind: "list",
    value: "URL",
    group: CREDENTIALS,
    help: "... instead of --token-url/--issuer: discover the authorization server\n    from the resource's 401 (RFC 9728), trusting only those given (repeatable)",
  },
  {
    name: "netrc",
    kind: "boolean",
    group: CREDENTIALS,
    help: "Basic credentials for the host from $NETRC or ~/.netrc",
  },
  { name: "netrc-file", kind: "value", value: "FILE", group: CREDENTIALS, help: "... from FILE" },
  {
    name: "cacert",
    kind: "value",
    value: "FILE",
    group: TLS,
    help: "trust the CA certificates in FILE (PEM, one or several) instead of\nthe system's, for every request of the run",
  },
  {
    name: "cert",
    kind: "value",
    value: "FILE",
    group: TLS,
    help: "present the client certificate in FILE (PEM) to servers that ask",
  },
  {
    name: "key",
    kind: "value",
    value: "FILE",
    group: TLS,
    help: "its private key (PEM); if encrypted, the passphrase is read from\n$AUTHFLOW_KEY_PASSPHRASE or asked for on the terminal",
  },
  {
    name: "proxy",
    short: "x",
    kind: "value",
    value: "URL",
    group: PROXY,
    help: "send through this http:// or https:// proxy (user:pass@ allowed;\n'' for none, whatever the environment says)",
  },
  {
    name: "proxy-user",
    kind: "value",
    value: "USER[:PASS]",
    group: PROXY,
    help: "the proxy's user; PASS left out is read from $AUTHFLOW_PROXY_PASSWORD\nor asked for; answers Digest or Basic, whichever the proxy offers",
  },
  {
    name: "noproxy",
    kind: "value",
    value: "LIST",
    group: PROXY,
    help: "hosts that go direct: names, .domains, IPs, CIDRs, host:port,\ncomma-separated; * for all (replaces no_proxy)",
  },
  {
    name: "data",
    short: "d",
    kind: "list",
    value: "DATA",
    group: BODY,
    help: "a form field or the body (application/x-www-form-urlencoded, as curl);\nrepeated: joined with &; @FILE sends a file (Content-Type from its name),\n@- reads stdin",
  },
  {
    name: "data-urlencode",
    kind: "list",
    value: "NAME=VALUE",
    group: BODY,
    help: "a form field, VALUE percent-encoded (joined with -d's by &)",
  },
  {
    name: "form",
    short: "F",
    kind: "list",
    value: "NAME=VALUE",
    group: BODY,
    help: "a multipart/form-data field (repeatable); NAME=@FILE uploads a file,\nNAME=<FILE sends its text as the value; ;type=MEDIA sets a part's type",
  },
  {
    name: "json",
    kind: "boolean",
    group: BODY,
    help: "send and accept JSON: Content-Type and Accept (-d's body is JSON text)",
  },
  {
    name: "header",
    short: "H",
    kind: "list",
    value: "'Name: value'",
    group: REQUEST,
    help: "add a header (repeatable); 'Name:' with no value drops a default",
  },
  {
    name: "head",
    short: "I",
    kind: "boolean",
    group: REQUEST,
    help: "send HEAD and print the response headers (curl's -I)",
  },
  {
    name: "max-redirects",
    kind: "value",
    value: "N",
    group: REQUEST,
    help: "redirects to follow (default 20; 0 to not follow)",
  },
  {
    name: "timeout",
    kind: "value",
    value: "SECONDS",
    group: REQUEST,
    help: "wait at most this long to connect and for the response headers\n(default 30; 0.001 and up; 0 for no limit)",
  },
  {
    name: "insecure-auth",
    kind: "boolean",
    group: REQUEST,
    help: "allow credentials over plain http:// to hosts other than loopback\n(and Basic to an http:// proxy that is not loopback)",
  },
  {
    name: "session",
    kind: "value",
    value: "NAME",
    group: SESSION,
    help: "keep OAuth 2.0 tokens and Digest challenges between runs, in a file of\nyour cache directory (never a password, secret or key)",
  },
  {
    name: "session-read-only",
    kind: "boolean",
    group: SESSION,
    help: "use the --session, but do not update it",
  },
  {
    name: "output",
    short: "o",
    kind: "value",
    value: "FILE",
    group: OUTPUT,
    help: "write the body to FILE (overwritten, as curl -o does; - for stdout)",
  },
  {
    name: "download",
    short: "O",
    kind: "boolean",
    group: OUTPUT,
    help: "save a 2xx body in the current directory, named by Content-Disposition\nor the URL; never overwrites (adds -1, -2…)",
  },
  {
    name: "print",
    short: "p",
    kind: "value",
    value: "WHAT",
    group: OUTPUT,
    help: "print on stdout: H request headers, B request body,\nh response headers, b response body (e.g. -p hb; httpie's letters)",
  },
  { name: "include", short: "i", kind: "boolean", group: OUTPUT, help: "the response headers and body (-p hb)" },
  {
    name: "pretty",
    kind: "value",
    value: "STYLE",
    group: OUTPUT,
    help: "all | colors | format | none (default: all on a terminal, none when piped)",
  },
  {
    name: "quiet",
    short: "q",
    kind: "boolean",
    group: OUTPUT,
    help: "no status line, progress bar or notes (errors and warnings still)",
  },
  {
    name: "verbose",
    short: "v",
    kind: "boolean",
    group: OUTPUT,
    help: "every request and response header as sent and received, on stderr,\nsecrets redacted; the stack trace of an error",
  },
  {
    name: "check-status",
    kind: "boolean",
    group: OUTPUT,
    help: "exit 3, 4 or 5 for a 3xx, 4xx or 5xx answer",
  },
  { name: "help", short: "h", kind: "boolean", group: OTHER, help: "this help" },
  { name: "version", kind: "boolean", group: OTHER, help: "the version" },
];

/**
 * The flags of `authflow serve`.
 *
 * @example
 * ```ts
 * SERVE_FLAGS.map((flag) => `--${flag.name}`);
 * ```
 */
export const SERVE_FLAGS: readonly Flag[] = [
  { name: "port", short: "p", kind: "value", value: "N", group: OTHER, help: "the port (default 0: a free one)" },
  {
    name: "host",
    kind: "value",
    value: "H",
    group: OTHER,
    help: "the address to listen on (default 127.0.0.1); one that is not\nloopback (127.0.0.0/8, ::1, localhost) lets other machines use it",
  },
  {
    name: "token-ttl",
    kind: "value",
    value: "S",
    group: OTHER,
    help: "lifetime of issued tokens in seconds (default 3600)",
  },
  {
    name: "faults",
    kind: "boolean",
    group: OTHER,
    help: "turn on fault injection (POST/DELETE /oauth/_faults); off by default,\nsince anyone who can reach the server could make its token endpoint fail",
  },
  {
    name: "tls",
    kind: "boolean",
    group: OTHER,
    help: "serve https with a throwaway CA made for this run; its certificate is\nwritten to a temporary file (printed; removed on stop): --cacert FILE",
  },
  {
    name: "mtls",
    kind: "boolean",
    group: OTHER,
    help: "with --tls: ask clients for a certificate (RFC 8705), write a client\ncertificate and key next to the CA, register mtls-client (tls_client_auth)",
  },
  { name: "help", short: "h", kind: "boolean", group: OTHER, help: "this help" },
];

/**
 * The flags of `authflow session list|delete`.
 *
 * @example
 * ```ts
 * parseFlags(["list"], SESSION_FLAGS);
 * ```
 */
export const SESSION_FLAGS: readonly Flag[] = [
  { name: "help", short: "h", kind: "boolean", group: OTHER, help: "this help" },
];

/**
 * Flags of curl and httpie that authflow spells differently or does not
 * have: a mistyped habit gets the authflow way in one line.
 *
 * @example
 * ```ts
 * FOREIGN_FLAGS["-X"]; // "authflow takes the method as the first word: authflow POST URL"
 * ```
 */
export const FOREIGN_FLAGS: Readonly<Record<string, string>> = {
  "-X": "authflow takes the method as the first word: authflow POST URL",
  "--request": "authflow takes the method as the first word: authflow POST URL",
  "-u": "curl's -u is -a here: -a USER (leave the password out to be asked for it)",
  "--user": "curl's -u is -a here: -a USER (leave the password out to be asked for it)",
  "-L": "authflow follows redirects by default (--max-redirects N; 0 to not follow)",
  "--location": "authflow follows redirects by default (--max-redirects N; 0 to not follow)",
  "--follow": "authflow follows redirects by default (--max-redirects N; 0 to not follow)",
  "-k": "authflow does not turn certificate checks off; trust a private CA with --cacert FILE",
  "--insecure": "authflow does not turn certificate checks off; trust a private CA with --cacert FILE",
  "--verify": "authflow does not turn certificate checks off; trust a private CA with --cacert FILE",
  "--capath": "give the CA certificates as one PEM file: --cacert FILE (it may hold several)",
  "-E": "curl's -E is --cert FILE here, with --key FILE",
  "--cert-type": "--cert and --key read PEM only (convert with openssl)",
  "--key-type": "--cert and --key read PEM only (convert with openssl)",
  "--pass": "the key's passphrase comes from $AUTHFLOW_KEY_PASSPHRASE, or is asked for on the terminal",
  "-U": "curl's -U is --proxy-user USER[:PASS] here",
  "--proxy-anyauth": "--proxy-user already answers whichever of Digest or Basic the proxy offers",
  "--proxy-basic": "--proxy-user answers whichever of Digest or Basic the proxy offers",
  "--proxy-digest": "--proxy-user answers whichever of Digest or Basic the proxy offers",
  "--no-proxy": "curl's spelling: --noproxy LIST",
  "--socks5": "SOCKS proxies are not supported: -x http://… or https://…",
  "--proxy-cacert": "--cacert FILE is trusted for an https:// proxy too",
  "--proxy-insecure": "authflow does not turn certificate checks off; trust the proxy's CA with --cacert FILE",
  "-s": "curl's -s is -q (--quiet) here",
  "--silent": "curl's -s is -q (--quiet) here",
  "-m": "curl's -m is --timeout SECONDS here",
  "--max-time": "curl's -m is --timeout SECONDS here",
  "--connect-timeout": "--timeout SECONDS covers connecting and waiting for the response headers",
  "-G": "put query parameters in the URL, or as request items: name==value",
  "--get": "put query parameters in the URL, or as request items: name==value",
  "-b": "send cookies as a header: -H 'Cookie: name=value'",
  "--cookie": "send cookies as a header: -H 'Cookie: name=value'",
  "-e": "set the header: -H 'Referer: URL'",
  "--referer": "set the header: -H 'Referer: URL'",
  "--user-agent": "set the header: -H 'User-Agent: …' (-A is --auth-type here)",
  "-T": "upload a file as the body: authflow PUT URL -d @FILE",
  "--upload-file": "upload a file as the body: authflow PUT URL -d @FILE",
  "--data-binary": "-d sends @FILE byte for byte here: -d @FILE",
  "--data-raw": "-d DATA sends DATA as written here (only a leading @ reads a file)",
  "--data-ascii": "-d DATA sends DATA as written here (only a leading @ reads a file)",
  "--compressed": "authflow does not ask for compressed bodies; -H 'Accept-Encoding: gzip' saves them compressed",
  "-f": "curl's -f is --check-status here (exit 4 or 5 for a 4xx or 5xx); httpie's --form is -d NAME=VALUE",
  "--fail": "curl's -f is --check-status here (exit 4 or 5 for a 4xx or 5xx)",
  "--digest": "choose the scheme with -A digest (or --anyauth to let the server say)",
  "--basic": "Basic is the default for -a (or say -A basic)",
  "--oauth2-bearer": "a bearer token is --token-env VAR (or --token TOKEN)",
  "--bearer": "a bearer token is --token-env VAR (or --token TOKEN)",
  "-w": "there is no --write-out; --print h shows the response headers, -v the whole exchange",
  "--write-out": "there is no --write-out; --print h shows the response headers, -v the whole exchange",
  "-c": "authflow keeps no cookie jar; --session keeps OAuth 2.0 tokens and Digest challenges",
  "--cookie-jar": "authflow keeps no cookie jar; --session keeps OAuth 2.0 tokens and Digest challenges",
  "--remote-name": "curl's -O is --download (-O) here",
  "--headers": "httpie's --headers is --print h here",
  "--body": "httpie's --body is --print b here",
  "--all": "-v shows every exchange (redirects and the token request included)",
  "--offline": "there is no --offline; -v shows what is sent",
};

/**
 * Every way to write a flag: `--name` and `-x`.
 *
 * @example
 * ```ts
 * spellings(SERVE_FLAGS); // ["--port", "-p", "--host", …]
 * ```
 */
export function spellings(flags: readonly Flag[]): string[] {
  return flags.flatMap((flag) =>
    flag.short === undefined ? [`--${flag.name}`] : [`--${flag.name}`, `-${flag.short}`],
  );
}

/** `-a, --auth USER[:PASS]`, the left column of the help. */
function label(flag: Flag): string {
  const names = flag.short === undefined ? `    --${flag.name}` : `-${flag.short}, --${flag.name}`;
  return flag.value === undefined ? names : `${names} ${flag.value}`;
}

const COLUMN = 32;

/**
 * The option lines of a help text, grouped under their section headings in
 * table order.
 *
 * @example
 * ```ts
 * flagHelp(SERVE_FLAGS, false); // "  -p, --port N …"
 * ```
 */
export function flagHelp(flags: readonly Flag[], headings = true): string {
  const groups = new Map<string, Flag[]>();
  for (const flag of flags) groups.set(flag.group, [...(groups.get(flag.group) ?? []), flag]);
  const sections: string[] = [];
  for (const [group, members] of groups) {
    const lines = headings ? [group] : [];
    for (const flag of members) {
      const [first, ...rest] = flag.help.split("\n");
      const left = `  ${label(flag)}`;
      lines.push(left.length >= COLUMN ? `${left}\n${" ".repeat(COLUMN)}${first}` : `${left.padEnd(COLUMN)}${first}`);
      for (const line of rest) lines.push(`${" ".repeat(COLUMN)}${line}`);
    }
    sections.push(lines.join("\n"));
  }
  return sections.join("\n\n");
}
