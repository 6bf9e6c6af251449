/**
 * The Node transport of `Client({ tls, proxy })` and
 * `ClientCredentialsAuth({ tls, proxy })`: the global fetch with an undici
 * dispatcher of its own (one per transport, connections reused; a proxy
 * agent when there is a proxy), loaded by src/engine/transport.ts on the
 * first request. A failed handshake rejects with a TlsError naming the
 * cause; a proxy's refusal with the ProxyError itself, not "fetch failed".
 */
import type { Dispatcher } from "undici";
import type { ResolvedTls } from "../engine/tls.js";
import { tlsFailure } from "../engine/tls-failure.js";
import type { DirectFetch, NodeTransport, TransportOptions } from "../engine/transport.js";
import { AuthflowError } from "../errors.js";
import type { ResolvedProxy } from "../schemes/proxy-options.js";
import { proxyDispatcher } from "../undici/proxy-agent.js";
import { restoreRefusal } from "../undici/proxy-refusal.js";
import { tlsConnector } from "./tls-connector.js";
import { tlsConnectOptions } from "./tls-options.js";
import { undiciModule } from "./undici-runtime.js";

/**
 * The fetch of a transport: the platform's, through `dispatcher`.
 *
 * @example
 * ```ts
 * const node = createNodeTransport({ tls: resolveTls("tls", { ca }) });
 * await node.fetch(new Request("https://api.internal/"));
 * ```
 */
export function createNodeTransport(options: TransportOptions): NodeTransport {
  const { tls, proxy } = options;
  if (proxy !== undefined) {
    const token = crypto.randomUUID();
    const dispatcher = proxyDispatcher(proxy as ResolvedProxy, tls, MAX_REPLAY_BYTES, token);
    return dispatcherTransport(dispatcher, tls, token);
  }
  const { Agent } = undiciModule();
  const dispatcher = new Agent({ connect: tlsConnector(tlsConnectOptions(tls)) });
  return dispatcherTransport(dispatcher, tls);
}

/** Bytes of a streamed body kept to re-send it after a proxy's 407 (as the Client's own default). */
const MAX_REPLAY_BYTES = 1024 * 1024;

/**
 * A {@link NodeTransport} over any dispatcher (a TLS agent, a proxy agent).
 *
 * @example
 * ```ts
 * const node = dispatcherTransport(new Agent(), undefined);
 * ```
 */
export function dispatcherTransport(
  dispatcher: Dispatcher,
  tls: ResolvedTls | undefined,
  refusalToken?: string,
): NodeTransport {
  const failed = (url: string) => (error: unknown) => {
    // fetch wraps a dispatcher's error as "fetch failed": a proxy's refusal, the guard's or the plain-HTTP rule's is the answer.
    const inner = (error as { cause?: unknown } | null)?.cause;
    if (inner instanceof AuthflowError) throw inner;
    throw tlsFailure(error, originOf(url), tls) ?? error;
  };
  // A proxy's final 407 comes through fetch marked (src/undici/proxy-refusal.ts): the Response is the 407 again.
  const restored =
    refusalToken === undefined
      ? (answer: Promise<Response>) => answer
      : (answer: Promise<Response>) => answer.then((response) => restoreRefusal(response, refusalToken));
  const direct: DirectFetch = (url, init) => {
    // The send path's init is its own fresh object: setting a field on it is safe.
    (init as { dispatcher?: Dispatcher }).dispatcher = dispatcher;
    return restored(fetch(url, init)).catch(failed(url));
  };
  return {
    fetch: (request, init) =>
      restored(fetch(request, { ...init, dispatcher } as RequestInit)).catch(failed(request.url)),
    direct,
    close: () => dispatcher.close(),
  };
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "";
  }
}
