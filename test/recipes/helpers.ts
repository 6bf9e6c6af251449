/**
 * What the library recipes share: the credentials the test server's routes
 * take, an OAuth client it knows, and a transport that remembers the bodies
 * it sent (through the real global fetch, over real sockets).
 */
import { ClientCredentialsAuth, type FetchLike } from "../../src/index.js";
import type { TestServer } from "../../src/server/index.js";

/**
 * The user in the test server's `/basic-auth/:user/:passwd` and `/digest-auth/…` routes.
 *
 * @example
 * ```ts
 * await api.get(`basic-auth/${USER}/${PASSWORD}`);
 * ```
 */
export const USER = "alice";

/**
 * The password that goes with {@link USER}.
 *
 * @example
 * ```ts
 * withAuth(fetch, [USER, PASSWORD]);
 * ```
 */
export const PASSWORD = "s3cret";

/**
 * A URL no request may reach: plain HTTP to a name that is not loopback
 * (`.test` is reserved, RFC 2606), so authflow refuses to send credentials
 * there (InsecureTransportError) before any look-up or connection.
 *
 * @example
 * ```ts
 * await expect(authed(REMOTE_PLAIN_HTTP)).rejects.toBeInstanceOf(InsecureTransportError);
 * ```
 */
export const REMOTE_PLAIN_HTTP = "http://api.example.test/anything";

/**
 * Client credentials for the test server's `basic-client`.
 *
 * @example
 * ```ts
 * const auth = clientCredentials(server);
 * ```
 */
export function clientCredentials(server: TestServer): ClientCredentialsAuth {
  return new ClientCredentialsAuth({
    tokenUrl: `${server.url}/oauth/token`,
    clientId: "basic-client",
    clientSecret: "basic-secret",
  });
}

/**
 * `withAuth` options whose bad-credential guard holds back a password after
 * one rejection (for a minute), so a test reaches `AuthRejectedError` with
 * one wrong request.
 *
 * @example
 * ```ts
 * const authed = withAuth(fetch, ["mallory", "guess"], GUARD_AFTER_ONE);
 * ```
 */
export const GUARD_AFTER_ONE = { rejectionGuard: { maxFailures: 1, cooldownMs: 60_000 } } as const;

/**
 * A fetch that keeps the text of every body it sends, then sends the request with the global fetch.
 *
 * @example
 * ```ts
 * expect(recording.sent).toEqual([`POST /path - {"a":1}`, `POST /path Digest {"a":1}`]);
 * ```
 */
export interface RecordingFetch {
  readonly fetch: FetchLike;
  /** `"METHOD path scheme body"` for each request sent, in order (`-` for no Authorization). */
  readonly sent: string[];
}

/**
 * A transport for `withAuth` that records what each request carried, to show
 * which body reached the server on each step of an exchange.
 *
 * @example
 * ```ts
 * const recording = recordingFetch();
 * const authed = withAuth(recording.fetch, new DigestAuth(USER, PASSWORD));
 * ```
 */
export function recordingFetch(): RecordingFetch {
  const sent: string[] = [];
  const fetchFunction: FetchLike = async (request, init) => {
    const body = request.body === null ? "" : await request.clone().text();
    const scheme = request.headers.get("authorization")?.split(" ")[0] ?? "-";
    sent.push(`${request.method} ${new URL(request.url).pathname} ${scheme} ${body}`.trim());
    return fetch(request, init);
  };
  return { fetch: fetchFunction, sent };
}
