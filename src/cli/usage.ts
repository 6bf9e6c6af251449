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
export const SHORT_USAGE = `usage: authflow [METHOD] URL [options]
       authflow serve [--port N] [--host H] [--token-ttl S] [--faults]
       authflow demo
Run 'authflow --help' for every option.`;

/** `authflow serve --help`. */
export const SERVE_HELP = `authflow serve — the embedded test server, in the foreground until Ctrl-C

usage: authflow serve [--port N] [--host H] [--token-ttl S] [--faults]

A TEST SERVER, NOT FOR PRODUCTION: httpbin's authentication routes and an OAuth 2.0
token endpoint that hands out tokens for fixed, published client secrets, with no
authentication of its own. Keep it on loopback: any other address is warned about.

  -p, --port N        the port (default 0: a free one)
      --host H        the address to listen on (default 127.0.0.1); one that is not
                      loopback (127.0.0.0/8, ::1, localhost) lets other machines use it
      --token-ttl S   lifetime of issued tokens in seconds (default 3600)
      --faults        turn on fault injection (POST/DELETE /oauth/_faults); off by default,
                      since anyone who can reach the server could make its token endpoint fail
  -h, --help          this help`;

/** `authflow --help`. */
export const HELP = `authflow — authenticated HTTP from the command line

usage: authflow [METHOD] URL [options]     (options may come before or after)
       authflow serve [--port N] [--host H] [--token-ttl S] [--faults]
       authflow demo

METHOD defaults to GET, or POST when a body is given. URL without a scheme
means http:// ("example.com/x"); ":3000/x" means http://localhost:3000/x.

Credentials
  -a, --auth USER[:PASS]        Basic (default) or Digest user; PASS left out is read from
                                $AUTHFLOW_PASSWORD or asked for (no echo) on a terminal
  -A, --auth-type TYPE          basic | digest | bearer | oauth2 (inferred from the options)
      --token TOKEN             bearer token (visible to others: prefer --token-env)
      --token-env VAR           bearer token from environment variable VAR
      --token-url URL           OAuth 2.0 client credentials: the token endpoint
      --issuer URL              ... or the issuer, found by RFC 8414 discovery
      --client-id ID            ... the client id
      --client-secret-env VAR   ... the client secret from VAR (else asked for on a terminal)
      --client-auth METHOD      ... client_secret_basic (default), client_secret_post,
                                    client_secret_jwt, private_key_jwt
      --private-key FILE        ... the private_key_jwt key (JWK JSON or PKCS#8 PEM)
      --scope "A B"             ... scopes, space-separated
      --audience AUD            ... the audience parameter
      --netrc                   Basic credentials for the host from $NETRC or ~/.netrc
      --netrc-file FILE         ... from FILE

Request
  -H, --header 'Name: value'    add a header (repeatable)
  -d, --data DATA               the body; @FILE reads a file, @- reads stdin
      --json                    send and accept JSON (Content-Type and Accept)
      --max-redirects N         redirects to follow (default 20; 0 to not follow)
      --timeout SECONDS         wait at most this long for the response headers (default 30, 0: none)
      --insecure-auth           allow credentials over plain http:// to hosts other than loopback

Output
  The body goes to stdout: raw bytes when piped; on a terminal, JSON up to 4 MiB
  pretty-printed and coloured (NO_COLOR turns colours off), other text streamed with
  control characters shown escaped (\\x1b), binary bodies not shown. The status line
  goes to stderr; nothing the server sent is printed raw there.
  -v, --verbose                 every request and response header on stderr, secrets
                                redacted; the stack trace of an error
      --check-status            exit 3, 4 or 5 for a 3xx, 4xx or 5xx answer

  -h, --help                    this help
      --version                 the version

serve   the embedded TEST server (httpbin's auth routes, OAuth 2.0) in the foreground,
          not for production: see 'authflow serve --help'
demo    starts the test server and runs every scheme end to end

Exit status: 0 done; 1 network or authentication failure; 2 usage error;
3, 4, 5 with --check-status for a 3xx, 4xx, 5xx answer.

Examples
  authflow https://httpbin.org/basic-auth/user/pass -a user
  authflow -A digest -a user https://httpbin.org/digest-auth/auth/user/pass
  API_TOKEN=… authflow --token-env API_TOKEN https://api.example.com/me
  CLIENT_SECRET=… authflow https://api.example.com/orders --token-url https://auth.example.com/token \\
      --client-id my-service --client-secret-env CLIENT_SECRET --scope orders:read
  authflow POST https://api.example.com/items --json -d '{"name":"x"}' --netrc`;
