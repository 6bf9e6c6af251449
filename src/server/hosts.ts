import { isLoopback } from "../policy/origin.js";

/**
 * True when `host` — a listen address or host name as given to
 * `startTestServer({ host })` — can only be reached from this machine:
 * 127.0.0.0/8, `::1` (bracketed or not), `::ffff:127.x.y.z` and `localhost`.
 * `0.0.0.0`, `::` and every other address bind to a network.
 *
 * @example
 * ```ts
 * if (!isLoopbackHost(host)) console.error(`warning: ${host} exposes the test server to the network`);
 * isLoopbackHost("127.0.0.1"); // true
 * isLoopbackHost("0.0.0.0"); // false
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  // Only a bare host: anything that would make the URL parser read a path, userinfo or zone is not one.
  if (typeof host !== "string" || host === "" || /[\s/?#@\\%]/.test(host)) return false;
  const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  try {
    return isLoopback(new URL(`http://${bracketed}/`));
  } catch {
    return false;
  }
}

/**
 * The origin a request was sent to, from its Host header; undefined when
 * the header is absent or not a host[:port].
 *
 * @example
 * ```ts
 * requestOrigin("192.168.1.5:8080"); // "http://192.168.1.5:8080"
 * ```
 */
export function requestOrigin(hostHeader: string | undefined): string | undefined {
  if (hostHeader === undefined || /[\s/?#@\\%]/.test(hostHeader)) return undefined;
  try {
    return new URL(`http://${hostHeader}/`).origin;
  } catch {
    return undefined;
  }
}

/** A path on this server, read the same by every URL parser: one slash, then no backslash, space or control character. */
function isPlainPath(target: string): boolean {
  if (target[0] !== "/" || target[1] === "/") return false;
  for (let index = 0; index < target.length; index++) {
    const code = target.charCodeAt(index);
    if (code <= 0x20 || code === 0x7f || code === 0x5c /* backslash */) return false;
  }
  return true;
}

/**
 * Where `/redirect-to?url=target` may send a client: a path on this server
 * (sent as given), or an http(s) URL whose host is loopback or the host the
 * request was sent to (sent as the URL parser serialises it, so no client
 * reads another host into it). Undefined: not allowed.
 *
 * @example
 * ```ts
 * redirectTarget("/anything", "http://127.0.0.1:8080"); // "/anything"
 * redirectTarget("https://example.com/", "http://127.0.0.1:8080"); // undefined
 * ```
 */
export function redirectTarget(target: string, requestOrigin: string): string | undefined {
  if (isPlainPath(target)) return target;
  let url: URL;
  try {
    url = new URL(target, requestOrigin);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (url.username !== "" || url.password !== "") return undefined;
  const sameHost = url.hostname === new URL(requestOrigin).hostname;
  return sameHost || isLoopback(url) ? url.href : undefined;
}

/**
 * The origin a client addressed this server by, for the checks that compare
 * URLs (DPoP `htu`, RFC 9728 resource identifiers): the `Host` header read
 * with this server's scheme, when it names this server — the same port, and
 * a loopback host, the address listened on, or any host when listening on
 * every interface — else `serverOrigin`. A `Host` naming another server is
 * never taken, so a proof made for another server does not pass here.
 *
 * @example
 * ```ts
 * publicOrigin("localhost:8080", "http://127.0.0.1:8080"); // "http://localhost:8080"
 * publicOrigin("evil.example:8080", "http://127.0.0.1:8080"); // "http://127.0.0.1:8080"
 * ```
 */
export function publicOrigin(hostHeader: string | undefined, serverOrigin: string): string {
  if (hostHeader === undefined || /[\s/?#@\\%]/.test(hostHeader)) return serverOrigin;
  const server = new URL(serverOrigin);
  let addressed: URL;
  try {
    addressed = new URL(`${server.protocol}//${hostHeader}/`);
  } catch {
    return serverOrigin;
  }
  if (addressed.port !== server.port) return serverOrigin;
  const everyInterface = server.hostname === "0.0.0.0" || server.hostname === "[::]";
  const ours = isLoopback(addressed) || everyInterface || addressed.hostname === server.hostname;
  return ours ? addressed.origin : serverOrigin;
}
