/**
 * A server that refuses the client certificate in TLS 1.3 says so with an
 * alert after the handshake (RFC 8446 §4.4.2.4), when the request is already
 * written. undici then sees the socket's end and reports "other side
 * closed", which replaces the alert. Closing the socket on its TLS error
 * keeps that error as the request's cause, for every caller of the
 * dispatcher (fetch, undici.request, the CLI): a TlsError, not a hang-up.
 */
import type { buildConnector } from "undici";
import { undiciModule } from "./undici-runtime.js";

/**
 * undici's connector for `options`, whose sockets end on their first TLS
 * error (`ERR_SSL_*`) so that it is what the request fails with.
 *
 * @example
 * ```ts
 * const agent = new Agent({ connect: tlsConnector({ ca, cert, key }) });
 * ```
 */
export function tlsConnector(options: buildConnector.BuildOptions): buildConnector.connector {
  const base = undiciModule().buildConnector(options);
  return (connectOptions, callback) =>
    base(connectOptions, (...args: buildConnector.CallbackArgs) => {
      const socket = args[1];
      // Added before undici's own listeners: the socket is gone before its end can replace the error.
      socket?.on("error", (error: Error & { code?: unknown }) => {
        if (typeof error.code === "string" && error.code.startsWith("ERR_SSL_")) socket.destroy();
      });
      callback(...args);
    });
}
