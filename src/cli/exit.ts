/**
 * Failures in the CLI's own words, and their exit status: a timeout (28), a
 * TLS failure (35) and a proxy's refusal (56) have their own (curl's
 * numbers), and so has a refused resource discovery (9), so a script can
 * tell them from the rest (1); messages name the flags the user typed, never
 * the library's option names.
 */
import {
  AuthflowError,
  InvalidArgumentError,
  NetworkError,
  ProxyError,
  ResourceDiscoveryError,
  TimeoutError,
} from "../index.js";
import { PromptCancelled } from "./prompt.js";
import { UsageError } from "./usage.js";

/**
 * Exit statuses.
 *
 * @example
 * ```ts
 * if (status === EXIT.timeout) retryLater();
 * ```
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** RFC 9728 discovery refused: the resource named an authorization server not in --allowed-issuer, or lied. */
  discovery: 9,
  timeout: 28,
  /** The server's certificate, a client certificate, the handshake, or --cacert/--cert/--key unusable. */
  tls: 35,
  /** The proxy refused the tunnel (CONNECT): a 407 after the credentials, a 403, a 502. */
  proxy: 56,
  cancelled: 130,
} as const;

interface Cause {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly name?: unknown;
  readonly cause?: unknown;
}

/** The error and its causes, outermost first (at most 10 deep). */
function chain(error: unknown): Cause[] {
  const links: Cause[] = [];
  for (let current = error; current !== null && typeof current === "object" && links.length < 10; ) {
    links.push(current as Cause);
    current = (current as Cause).cause;
  }
  return links;
}

const TIMEOUT_CODES = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ETIMEDOUT",
]);
// OpenSSL's verification errors, Node's TLS errors, and a handshake with something that does not speak TLS.
const TLS_CODE =
  /^(ERR_TLS_|ERR_SSL_|UNABLE_TO_|CERT_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|ERR_AUTHFLOW_TLS|EPROTO$)/;

/**
 * The exit status for `error`.
 *
 * @example
 * ```ts
 * exitStatus(new TimeoutError("…", 200)); // 28
 * ```
 */
export function exitStatus(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof PromptCancelled) return EXIT.cancelled;
  const links = chain(error);
  if (links.some((link) => link instanceof ResourceDiscoveryError)) return EXIT.discovery;
  if (links.some(isTlsLink)) return EXIT.tls;
  if (links.some((link) => link instanceof ProxyError)) return EXIT.proxy;
  const timedOut = links.some(
    (link) => link instanceof TimeoutError || (typeof link.code === "string" && TIMEOUT_CODES.has(link.code)),
  );
  return timedOut ? EXIT.timeout : EXIT.failure;
}

/** A TLS failure of the connection, or TLS material (--cacert, --cert, --key) that cannot be used. */
function isTlsLink(link: Cause): boolean {
  if (link instanceof InvalidArgumentError) return link.option.startsWith("tls.");
  return typeof link.code === "string" && TLS_CODE.test(link.code);
}

/**
 * What went wrong, in one line: the error's own words and, for a network
 * failure, the cause's; a TLS failure and a blocked port explained.
 *
 * @example
 * ```ts
 * describeError(error); // "the request failed: connect ECONNREFUSED 127.0.0.1:9 (NetworkError)"
 * ```
 */
export function describeError(error: unknown): string {
  const links = chain(error);
  const tls = tlsCause(links);
  if (tls !== undefined) return tlsMessage(tls);
  const material = links.find((link) => link instanceof InvalidArgumentError && link.option.startsWith("tls."));
  if (material !== undefined) return `TLS failure: ${inFlagWords(String(material.message))}`;
  const deepest = [...links].reverse().find((link) => typeof link.message === "string" && link.message !== "");
  if (deepest !== undefined && /\bbad port\b/i.test(String(deepest.message))) return badPort();
  if (error instanceof NetworkError) return `the request failed: ${causeText(links[2] ?? links[1])}`;
  if (error instanceof AuthflowError) {
    const hint =
      error.code === "ERR_INSECURE_TRANSPORT" && !error.message.includes("allowInsecureAuth")
        ? " [authflow: --insecure-auth]"
        : "";
    return inFlagWords(`${error.message}${hint} (${error.name})`);
  }
  if (!(error instanceof Error)) return String(error);
  if (error.message === "fetch failed") return `the request failed: ${causeText(links[1])}`;
  return inFlagWords(error.message);
}

function causeText(cause: Cause | undefined): string {
  return String(cause?.message ?? cause?.code ?? "network error");
}

/** The TLS error of the chain: authflow's TlsError (it names the option that fixes it) over the platform's code. */
function tlsCause(links: readonly Cause[]): Cause | undefined {
  const tls = links.filter((link) => typeof link.code === "string" && TLS_CODE.test(link.code));
  return tls.find((link) => link.code === "ERR_AUTHFLOW_TLS" && typeof link.message === "string") ?? tls.at(-1);
}

function tlsMessage(cause: Cause): string {
  const code = String(cause.code);
  if (code === "ERR_AUTHFLOW_TLS") return `TLS failure: ${inFlagWords(String(cause.message ?? ""))}`;
  const why = /SELF_SIGNED|UNABLE_TO_(GET_ISSUER|VERIFY)|DEPTH_ZERO/.test(code)
    ? "the server's certificate is not signed by a CA this machine trusts; for a private CA: --cacert ca.pem"
    : /EXPIRED|NOT_YET_VALID/.test(code)
      ? "the server's certificate is out of its validity dates"
      : /ALTNAME|HOSTNAME/.test(code)
        ? "the server's certificate is for another host name"
        : /WRONG_VERSION_NUMBER|EPROTO|PACKET_LENGTH/.test(code)
          ? "the server did not answer in TLS (an http:// port reached with https://?)"
          : "the TLS handshake failed";
  // OpenSSL's own text ("…:SSL routines:ssl3_get_record:…") says nothing more than the code.
  const message = String(cause.message ?? "");
  const detail = message === "" || message.includes("routines:") ? code : `${code}: ${message.split("\n")[0]}`;
  return `TLS failure: ${why} (${detail})`;
}

function badPort(): string {
  return (
    "the port is on the Fetch standard's list of blocked ports (6000 X11, 6665–6669 IRC, 10080…), " +
    "which the platform's fetch refuses; authflow's CLI sends without fetch, so this came from a library call"
  );
}

// The library's option names, as the flags the user typed.
const FLAG_WORDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/`timeout`/g, "--timeout"],
  [/\bmaxRedirects\b/g, "--max-redirects"],
  [/\bset allowInsecureAuth: true in the proxy options\b/g, "pass --insecure-auth"],
  [/\bset allowInsecureAuth: true\b/g, "pass --insecure-auth"],
  [/\ballowInsecureAuth(: true)?/g, "--insecure-auth"],
  [/\bmaxReplayBytes\b/g, "the 1 MiB kept to resend a streamed body (-d @- from a pipe; use -d @FILE)"],
  [/\bclientSecret\b/g, "the client secret (--client-secret-env)"],
  [/\btokenUrl\b/g, "--token-url"],
  [/\ballowedIssuers\b/g, "--allowed-issuer"],
  [/\bthis client has dpop: false\b/g, "DPoP is off"],
  [/\bgive its certificate as tls\.ca \(PEM\)/g, "give its certificate with --cacert FILE (PEM)"],
  [/\bgive tls\.cert and tls\.key\b/g, "give --cert FILE and --key FILE"],
  [/\btls\.cert and tls\.key\b/g, "--cert and --key"],
  [/\btls\.ca\b/g, "--cacert"],
  [/\btls\.cert\b/g, "--cert"],
  [/\btls\.key\b/g, "--key"],
  [/\btls\.passphrase is missing or wrong\b/g, "its passphrase ($AUTHFLOW_KEY_PASSPHRASE, or the one typed) is wrong"],
  [/\btls\.passphrase\b/g, "the passphrase ($AUTHFLOW_KEY_PASSPHRASE)"],
  [/\bas proxy\.ca \(PEM\)/g, "with --cacert FILE (PEM)"],
  [/\bproxy\.ca\b/g, "--cacert"],
  [/\bgive proxy\.auth\b/g, "give --proxy-user USER"],
  [/\bproxy\.auth\b/g, "--proxy-user"],
  [/\bclientId\b/g, "--client-id"],
];

/**
 * `message` with library option names replaced by the CLI flags that set them.
 *
 * @example
 * ```ts
 * inFlagWords("no response within 200 ms; raise `timeout`"); // "…; raise --timeout"
 * ```
 */
export function inFlagWords(message: string): string {
  return FLAG_WORDS.reduce((text, [pattern, flag]) => text.replace(pattern, flag), message);
}

/**
 * The exit status's name, for the error line.
 *
 * @example
 * ```ts
 * exitNote(28); // " [exit 28: timeout]"
 * ```
 */
export function exitNote(status: number): string {
  if (status === EXIT.timeout) return " [exit 28: timeout]";
  if (status === EXIT.tls) return " [exit 35: TLS]";
  if (status === EXIT.proxy) return " [exit 56: proxy]";
  if (status === EXIT.discovery) return " [exit 9: resource discovery]";
  return "";
}
