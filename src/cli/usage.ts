import { flagHelp, REQUEST_FLAGS, SERVE_FLAGS } from "./flags.js";

/**
 * A command line that cannot be run as written: the CLI prints the message
 * and the short usage, and exits 2.
 *
 * @example
 * ```ts
 * throw new UsageError("--timeout needs a number of seconds, e.g. --timeout 10");
 * ```
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Printed after a usage error. */
export const SHORT_USAGE = `usage: authflow [METHOD] URL [ITEM…] [options]
       authflow serve [--port N] [--host H] [--token-ttl S] [--faults] [--tls [--mtls]]
       authflow session list | delete NAME
       authflow demo
Run 'authflow help' for every option, 'authflow help serve|session|demo' for the others.`;

/** `authflow help serve`, `authflow serve --help`. */
export const SERVE_HELP = `authflow serve — the embedded test server, in the foreground until Ctrl-C

usage: authflow serve [--port N] [--host H] [--token-ttl S] [--faults] [--tls [--mtls]]

A TEST SERVER, NOT FOR PRODUCTION: httpbin's authentication routes and an OAuth 2.0
token endpoint that hands out tokens for fixed, published client secrets, with no
authentication of its own. Keep it on loopback: any other address is warned about.

With --tls it serves https with a certificate from a CA made for this run; the CA's
certificate is written to a temporary file whose path it prints, with a command to
paste (npx authflow --cacert FILE GET https://127.0.0.1:PORT/…); the file is
removed when the server stops. --mtls adds a client certificate and key next to it.

${flagHelp(SERVE_FLAGS, false)}`;

/** `authflow help session`. */
export const SESSION_HELP = `authflow session — the sessions kept by --session NAME

usage: authflow session list
       authflow session delete NAME

A session keeps OAuth 2.0 access tokens (until they expire) and Digest challenges
between runs, so three runs make one token request. It never holds a password, a
client secret, a private key or a refresh token. Files of mode 0600 in
$XDG_CACHE_HOME/authflow/sessions/NAME (default ~/.cache/…; ~/Library/Caches on
macOS, %LOCALAPPDATA% on Windows). Runs that share a session at the same time
take turns (lock files) and never corrupt it.

  list          every session: its tokens and when the last expires, its challenges
  delete NAME   forget the session NAME

Use --session-read-only to use a session without updating it.`;

/** `authflow help demo`. */
export const DEMO_HELP = `authflow demo — every scheme end to end against the embedded test server

usage: authflow demo

Starts the test server, runs Basic, Digest, Bearer, OAuth 2.0 client credentials,
DPoP (RFC 9449) and RFC 9728 discovery through the library, prints one line per
step with the round trips and token requests counted, and exits 0 when every
step passed.`;

/** `authflow help`, `authflow --help`. */
export const HELP = `authflow — authenticated HTTP from the command line

usage: authflow [METHOD] URL [ITEM…] [options]     (options may come anywhere)
       authflow serve | session | demo | help [TOPIC]

METHOD defaults to GET, or POST when a body is given. URL without a scheme
means http:// ("example.com/x"); ":3000/x" means http://localhost:3000/x.

Request items (httpie's shorthand, after the URL)
  name=value        a JSON field ({"name":"value"}); a form field next to a file
  name:=json        a raw JSON field: count:=3 tags:='["a","b"]'
  name=@FILE        a field from a file's text; name:=@FILE from its JSON
  name@FILE         a file upload: the body becomes multipart/form-data
  Name:value        a header ('Name:' drops a default header, 'Name;' sends it empty)
  name==value       a query parameter

${flagHelp(REQUEST_FLAGS)}

Output
  The body goes to stdout: raw bytes when piped; on a terminal, JSON up to 4 MiB
  pretty-printed and coloured (NO_COLOR turns colours off, FORCE_COLOR=1 forces them,
  into a pager too), other text streamed with control characters shown escaped
  (\\x1b), binary bodies not shown. The status line goes to stderr.

Commands
  serve     the embedded TEST server (httpbin's auth routes, OAuth 2.0) in the foreground,
            not for production: see 'authflow help serve'
  session   list or delete the sessions --session keeps: 'authflow help session'
  demo      starts the test server and runs every scheme end to end
  help      this help, or 'authflow help serve|session|demo'

Exit status: 0 done; 1 failure (network, rejected credentials, authflow errors);
2 usage error; 3, 4, 5 with --check-status for a 3xx, 4xx, 5xx answer (a proxy's
final 407 included); 9 resource discovery refused (--allowed-issuer);
28 timeout; 35 TLS failure (a certificate, the handshake, --cacert/--cert/--key
unusable); 56 the proxy refused the tunnel (CONNECT); 130 prompt cancelled.

Environment: AUTHFLOW_PASSWORD (-a), AUTHFLOW_PROXY_PASSWORD (--proxy-user),
AUTHFLOW_KEY_PASSPHRASE (an encrypted --key); http_proxy, https_proxy, all_proxy,
no_proxy (and upper case; HTTP_PROXY is ignored when REQUEST_METHOD is set, as curl
does): loopback hosts never go through them, only through -x.

Examples
  authflow https://httpbin.org/basic-auth/user/pass -a user
  authflow --anyauth -a user https://httpbin.org/digest-auth/auth/user/pass
  API_TOKEN=… authflow --token-env API_TOKEN https://api.example.com/me
  CLIENT_SECRET=… authflow https://api.example.com/orders --token-url https://auth.example.com/token \\
      --client-id my-service --client-secret-env CLIENT_SECRET --session orders
  authflow POST https://api.example.com/items name=x count:=3 --netrc
  authflow https://example.com/upload -F file=@report.pdf -F title=Q3 -a user
  authflow --download https://example.com/files/archive.tar.gz
  authflow --cacert ca.pem --cert client.pem --key client-key.pem https://api.internal/me
  authflow -x http://proxy.internal:3128 --proxy-user alice https://api.example.com/
  authflow https://mcp.example.com/mcp --client-id svc --client-secret-env SECRET \\
      --allowed-issuer https://auth.example.com --dpop`;
