/**
 * `proxyAgent`: an undici dispatcher that sends through an authenticating
 * proxy — http: targets in absolute form (src/undici/proxy-forward.ts),
 * https: targets through CONNECT tunnels (src/undici/proxy-tunnel.ts),
 * `noProxy` hosts direct — for `undici.request`, `fetch(…, { dispatcher })`,
 * `setGlobalDispatcher`, and `Client({ proxy })` on Node. Proxy credentials
 * go to the proxy only: a `Proxy-Authorization` on a request to an origin
 * (direct, or inside a tunnel) is dropped.
 */
import type { Agent, Dispatcher } from "undici";
import { type ResolvedTls, resolveTls, type TlsOptions } from "../engine/tls.js";
import { InvalidArgumentError } from "../errors.js";
import { RejectionGuard, type RejectionGuardOptions } from "../guard/guard.js";
import { tlsConnector } from "../node/tls-connector.js";
import { tlsConnectOptions } from "../node/tls-options.js";
import { type UndiciModule, undiciModule } from "../node/undici-runtime.js";
import type { ProxyEndpoint, ProxyOptions, ResolvedProxy } from "../schemes/proxy-options.js";
import { resolveProxy } from "../schemes/proxy-options.js";
import { type ForwardRoute, forward } from "./proxy-forward.js";
import { withoutProxyCredentials } from "./proxy-headers.js";
import { proxyConnector } from "./proxy-tls.js";
import { tunnelConnector } from "./proxy-tunnel.js";

/**
 * Options of {@link proxyAgent}: the proxy, and for the origins behind it.
 *
 * @example
 * ```ts
 * const options: ProxyAgentOptions = { url: "http://proxy:3128", auth: ["u", "p"], tls: { ca: privateCa } };
 * ```
 */
export interface ProxyAgentOptions extends ProxyOptions {
  /**
   * TLS for the origins: inside tunnels (a private CA, a client certificate
   * for mTLS end to end) and `noProxy` hosts. Its `ca` verifies an https://
   * proxy too unless `ca` (the proxy's own) is given; the certificate never
   * goes to the proxy.
   */
  tls?: TlsOptions;
  /** The bad-credential guard for the proxy's 407s (default on: 3 refusals, then 30 s of fail-fast); `false`: off. */
  rejectionGuard?: RejectionGuardOptions | false;
  /** Bytes of a streamed request body kept to re-send it after a 407 (default 1 MiB). */
  maxReplayBytes?: number;
}

/** Default bound of a streamed body kept for a re-send after a 407. */
const MAX_REPLAY_BYTES = 1024 * 1024;
/** A CONNECT waits this long for the proxy's answer (a proxy that never answers never hangs a request). */
const CONNECT_HEADERS_TIMEOUT_MS = 30_000;

/**
 * An undici Dispatcher that goes through the proxy of `options`: compose
 * `authInterceptor` on it for the origins' own credentials.
 *
 * @example
 * ```ts
 * import { request } from "undici";
 * import { authInterceptor, proxyAgent } from "authflow/undici";
 *
 * const dispatcher = proxyAgent({ url: "http://proxy.internal:3128", auth: ["alice", "s3cret"] })
 *   .compose(authInterceptor(new BearerAuth(token)));
 * const { statusCode } = await request("https://api.example.com/orders", { dispatcher });
 * ```
 */
export function proxyAgent(options: ProxyAgentOptions): Dispatcher {
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_TYPE",
      "options",
      "proxyAgent needs { url, auth?, noProxy?, tls? }",
    );
  }
  const tls = options.tls === undefined ? undefined : resolveTls("tls", options.tls);
  const guard = options.rejectionGuard === false ? null : new RejectionGuard(options.rejectionGuard ?? {});
  const { url, auth, noProxy, allowInsecureAuth, ca } = options;
  const given: ProxyOptions = {
    url,
    ...(auth === undefined ? {} : { auth }),
    ...(noProxy === undefined ? {} : { noProxy }),
    ...(ca === undefined ? {} : { ca }),
  };
  if (allowInsecureAuth !== undefined) given.allowInsecureAuth = allowInsecureAuth;
  const proxy = resolveProxy("proxy", given, { allowInsecureAuth: false, guard }) as ResolvedProxy;
  return proxyDispatcher(proxy, tls, options.maxReplayBytes ?? MAX_REPLAY_BYTES);
}

/**
 * The dispatcher for a resolved proxy setting (also `Client({ proxy })`'s):
 * an Agent for direct requests, composed with the routing to the proxies.
 *
 * @example
 * ```ts
 * const dispatcher = proxyDispatcher(resolveProxy("proxy", "env", context), undefined, 1 << 20);
 * ```
 */
export function proxyDispatcher(
  proxy: ResolvedProxy,
  tls: ResolvedTls | undefined,
  maxReplayBytes: number,
  refusalToken?: string,
): Dispatcher {
  const undici = undiciModule();
  const routes = new ProxyRoutes(undici, proxy, tls, { maxReplayBytes, refusalToken });
  const agent = new undici.Agent({ connect: tlsConnector(tlsConnectOptions(tls)) });
  closesRoutes(agent, routes);
  return agent.compose((dispatch) => (options, handler) => routes.dispatch(dispatch, options, handler));
}

/** The direct Agent's close also closes the proxies' connections (composed dispatchers call it as they are). */
function closesRoutes(agent: Agent, routes: ProxyRoutes): void {
  // The callback form: undici's promise form calls this.close again, which is this very function.
  const closeOwn = agent.close.bind(agent) as (callback: (error: Error | null) => void) => void;
  const own = () => new Promise<void>((resolve, reject) => closeOwn((error) => (error ? reject(error) : resolve())));
  const closeAll = (callback?: () => void): Promise<void> | undefined => {
    const done = Promise.all([routes.close(), own()]).then(() => undefined);
    if (callback === undefined) return done;
    done.then(callback, callback);
    return undefined;
  };
  Object.defineProperty(agent, "close", { value: closeAll, configurable: true });
}

/** The connections of one proxy: a pool for absolute-form requests, one for CONNECTs, and the tunnels. */
interface Route {
  readonly forward: ForwardRoute;
  readonly connects: Dispatcher;
  readonly tunnels: Dispatcher;
}

/** Which way each request goes, and the connections of each proxy (made on first use). */
class ProxyRoutes {
  readonly #undici: UndiciModule;
  readonly #proxy: ResolvedProxy;
  readonly #tls: ResolvedTls | undefined;
  readonly #maxReplayBytes: number;
  /** Set for the Client's transport: a final 407 travels through fetch marked (src/undici/proxy-refusal.ts). */
  readonly #refusalToken: string | undefined;
  readonly #routes = new Map<string, Route>();
  /** The last target origin parsed: requests repeat their origin, and a URL parse per request is measurable. */
  #last: { readonly origin: string; readonly url: URL } | undefined;

  constructor(
    undici: UndiciModule,
    proxy: ResolvedProxy,
    tls: ResolvedTls | undefined,
    settings: { readonly maxReplayBytes: number; readonly refusalToken: string | undefined },
  ) {
    this.#undici = undici;
    this.#proxy = proxy;
    this.#tls = tls;
    this.#maxReplayBytes = settings.maxReplayBytes;
    this.#refusalToken = settings.refusalToken;
  }

  dispatch(
    direct: Dispatcher.Dispatch,
    options: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
  ): boolean {
    const target = this.#target(options.origin);
    const endpoint = target === undefined ? undefined : this.#proxy.endpointFor(target);
    if (endpoint === undefined || target === undefined) return direct(withoutProxyCredentials(options), handler);
    const route = this.#route(endpoint);
    if (target.protocol === "https:" || options.upgrade || options.method === "CONNECT") {
      return route.tunnels.dispatch(withoutProxyCredentials(options), handler);
    }
    return forward(route.forward, target, options, handler, this.#refusalToken);
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.#routes.values()].flatMap((route) => [
        route.forward.pool.close(),
        route.connects.close(),
        route.tunnels.close(),
      ]),
    );
  }

  #target(origin: Dispatcher.DispatchOptions["origin"]): URL | undefined {
    if (origin === undefined) return undefined;
    const text = typeof origin === "string" ? origin : origin.origin;
    const last = this.#last;
    if (last !== undefined && last.origin === text) return last.url;
    const url = new URL(text);
    this.#last = { origin: text, url };
    return url;
  }

  #route(endpoint: ProxyEndpoint): Route {
    let route = this.#routes.get(endpoint.origin);
    if (route !== undefined) return route;
    const { Pool, Agent } = this.#undici;
    // The proxy's own TLS (an https:// proxy): its ca, else the origins'; the client certificate is for origins only.
    const toProxy = proxyConnector(
      endpoint,
      endpoint.ca ?? this.#tls?.ca,
      endpoint.ca === undefined ? "tls.ca" : "proxy.ca",
    );
    const pool = new Pool(endpoint.origin, { connect: toProxy });
    const connects = new Pool(endpoint.origin, { connect: toProxy, headersTimeout: CONNECT_HEADERS_TIMEOUT_MS });
    const guard = this.#proxy.guard;
    const secure = tlsConnector(tlsConnectOptions(this.#tls));
    const tunnels = new Agent({ connect: tunnelConnector({ endpoint, pool: connects, guard }, secure) });
    route = { forward: { endpoint, pool, guard, maxReplayBytes: this.#maxReplayBytes }, connects, tunnels };
    this.#routes.set(endpoint.origin, route);
    return route;
  }
}
