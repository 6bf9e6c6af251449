import type { Agent } from "undici";
import { resolveTls, type TlsOptions } from "../engine/tls.js";
import { tlsConnector } from "../node/tls-connector.js";
import { tlsConnectOptions } from "../node/tls-options.js";
import { undiciModule } from "../node/undici-runtime.js";

/**
 * An undici Agent whose connections use `tls` (a private CA, a client
 * certificate), checked like `Client({ tls })`: for `withAuth`, the
 * interceptor, or any undici call that needs them. `options` are the
 * Agent's others (its `connect` TLS fields are replaced).
 *
 * @example
 * ```ts
 * import { tlsAgent } from "authflow/undici";
 * const dispatcher = tlsAgent({ ca: readFileSync("ca.pem", "utf8") });
 * const api = withAuth((input, init) => fetch(input, { ...init, dispatcher }), auth);
 * ```
 */
export function tlsAgent(tls: TlsOptions, options: Agent.Options = {}): Agent {
  const { Agent } = undiciModule();
  const connect = typeof options.connect === "object" ? options.connect : {};
  return new Agent({
    ...options,
    connect: tlsConnector({ ...connect, ...tlsConnectOptions(resolveTls("tls", tls)) }),
  });
}
