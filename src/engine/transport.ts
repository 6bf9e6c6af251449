/**
 * authflow's own transport, for what the platform's fetch cannot be told in
 * a standard way: TLS options (a private CA, a client certificate) and
 * proxies. Built synchronously, at construction:
 * - Node: an undici dispatcher handed to the global fetch (`dispatcher`),
 *   one per transport, connections reused. src/node/transport.ts is loaded
 *   on the first request (undici with it), so `import("authflow")` stays
 *   cheap and a browser bundle has no reason to pull undici in;
 * - Bun: its fetch's own `tls` option; Deno: `Deno.createHttpClient`;
 * - anywhere else a {@link TlsError} (`unsupported-runtime`) at
 *   construction: a TLS option is never silently ignored.
 */
import { ProxyError, TlsError } from "../errors.js";
import type { FetchLike } from "./flow.js";
import { inBrowser } from "./runtime.js";
import type { ResolvedTls } from "./tls.js";
import { tlsFailure } from "./tls-failure.js";

/** `fetch`'s (url, init) form: the send path's direct call. */
export type DirectFetch = (url: string, init: RequestInit) => Promise<Response>;

/**
 * A fetch with TLS options applied, in both forms the send path uses; a
 * failed handshake rejects with a {@link TlsError}.
 *
 * @example
 * ```ts
 * const transport = platformTransport({ tls: resolveTls("tls", { ca }) });
 * const response = await transport.fetch(new Request("https://api.internal/health"));
 * ```
 */
export interface PlatformTransport {
  readonly fetch: FetchLike;
  readonly direct: DirectFetch;
  /** The TLS options it applies. */
  readonly tls: ResolvedTls | undefined;
  /** Closes its connections (Node); later requests open new ones. */
  close(): Promise<void>;
}

/** What src/node/transport.ts builds: the dispatcher-backed fetch. */
export interface NodeTransport {
  readonly fetch: FetchLike;
  readonly direct: DirectFetch;
  close(): Promise<void>;
}

/** What src/node/transport.ts exports. */
export interface NodeTransportModule {
  createNodeTransport(options: TransportOptions): NodeTransport;
}

/** The options of {@link platformTransport}. */
export interface TransportOptions {
  readonly tls?: ResolvedTls | undefined;
  /**
   * A resolved proxy setting (src/schemes/proxy-options.ts `ResolvedProxy`),
   * handed to the Node transport as it is: the engine does not look into it.
   */
  readonly proxy?: object | undefined;
}

/**
 * The transport for `options` in this runtime. Throws {@link TlsError}
 * (`unsupported-runtime`) where TLS cannot be configured (browsers, edge
 * workers), naming the runtimes that can.
 *
 * @example
 * ```ts
 * const transport = platformTransport({ tls: resolveTls("tls", { ca: privateCa }) });
 * ```
 */
export function platformTransport(options: TransportOptions): PlatformTransport {
  const { tls } = options;
  if (options.proxy !== undefined) {
    if (isNode()) return new LazyNodeTransport(options);
    throw new ProxyError(
      "proxies (the proxy option) need Node: here, configure the platform's own proxy, or pass a fetch that uses it",
      { proxy: "" },
    );
  }
  const host = globalThis as { Bun?: unknown; Deno?: DenoHost };
  if (host.Bun !== undefined) return nativeTransport(tls, (init) => ({ ...init, tls: bunTls(tls) }));
  if (host.Deno !== undefined) {
    const client = denoClient(host.Deno, tls);
    return nativeTransport(
      tls,
      (init) => ({ ...init, client }),
      () => client.close(),
    );
  }
  if (isNode()) return new LazyNodeTransport(options);
  throw new TlsError(
    "TLS options (tls) need a runtime whose fetch can be configured: Node, Bun or Deno. " +
      (inBrowser
        ? "In a browser, the browser's own certificate store and client-certificate prompt apply: remove tls."
        : "Here, configure TLS in the platform, or pass a fetch that does."),
    { origin: "", reason: "unsupported-runtime" },
  );
}

/** Node proper: Deno and Bun answer to `process` (`release.name` "node") too, so they are ruled out first. */
function isNode(): boolean {
  const host = globalThis as {
    Bun?: unknown;
    Deno?: unknown;
    process?: { release?: { name?: unknown }; getBuiltinModule?: unknown; versions?: { node?: unknown } };
  };
  const process = host.process;
  return (
    !inBrowser &&
    host.Bun === undefined &&
    host.Deno === undefined &&
    process?.release?.name === "node" &&
    typeof process.versions?.node === "string" &&
    typeof process.getBuiltinModule === "function"
  );
}

/** Bun's and Deno's fetch take the TLS setting in `init`: one wrapper for both forms. */
function nativeTransport(
  tls: ResolvedTls | undefined,
  withTls: (init: RequestInit | undefined) => RequestInit,
  close: () => void = () => {},
): PlatformTransport {
  const failed = (url: string) => (error: unknown) => {
    throw tlsFailure(error, originOf(url), tls) ?? error;
  };
  return {
    tls,
    fetch: (request, init) => fetch(request, withTls(init)).catch(failed(request.url)),
    direct: (url, init) => fetch(url, withTls(init)).catch(failed(url)),
    async close() {
      close();
    },
  };
}

function bunTls(tls: ResolvedTls | undefined): Record<string, unknown> {
  if (tls === undefined) return {};
  const { ca, cert, key, passphrase } = tls;
  return {
    ...(ca === undefined ? {} : { ca: [...ca] }),
    ...(cert === undefined ? {} : { cert, key }),
    ...(passphrase === undefined ? {} : { passphrase }),
  };
}

interface DenoHost {
  createHttpClient?: (options: Record<string, unknown>) => { close(): void };
}

function denoClient(deno: DenoHost, tls: ResolvedTls | undefined): { close(): void } {
  if (typeof deno.createHttpClient !== "function") {
    throw new TlsError("this Deno has no Deno.createHttpClient: TLS options (tls) need Deno 1.25 or later", {
      origin: "",
      reason: "unsupported-runtime",
    });
  }
  if (tls?.passphrase !== undefined) {
    throw new TlsError("Deno cannot read an encrypted key: give tls.key unencrypted (and no tls.passphrase)", {
      origin: "",
      reason: "unsupported-runtime",
      option: "tls.passphrase",
    });
  }
  return deno.createHttpClient({
    ...(tls?.ca === undefined ? {} : { caCerts: [...tls.ca] }),
    ...(tls?.cert === undefined ? {} : { cert: tls.cert, key: tls.key }),
  });
}

let nodeModule: Promise<NodeTransportModule> | undefined;

/**
 * Node: the dispatcher is built on the first request, with the module that
 * holds undici; every later request calls it directly (no promise in between).
 */
class LazyNodeTransport implements PlatformTransport {
  readonly tls: ResolvedTls | undefined;
  readonly #options: TransportOptions;
  #ready: NodeTransport | undefined;
  #loading: Promise<NodeTransport> | undefined;

  constructor(options: TransportOptions) {
    this.tls = options.tls;
    this.#options = options;
  }

  readonly fetch: FetchLike = (request, init) => {
    const ready = this.#ready;
    return ready === undefined ? this.#load().then((node) => node.fetch(request, init)) : ready.fetch(request, init);
  };

  readonly direct: DirectFetch = (url, init) => {
    const ready = this.#ready;
    return ready === undefined ? this.#load().then((node) => node.direct(url, init)) : ready.direct(url, init);
  };

  async close(): Promise<void> {
    const loading = this.#loading;
    this.#loading = undefined;
    this.#ready = undefined;
    if (loading !== undefined) await (await loading.catch(() => undefined))?.close();
  }

  #load(): Promise<NodeTransport> {
    this.#loading ??= loadNodeModule().then((module) => {
      const node = module.createNodeTransport(this.#options);
      this.#ready = node;
      return node;
    });
    // A failed load is not kept: the next request tries again.
    this.#loading.catch(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }
}

function loadNodeModule(): Promise<NodeTransportModule> {
  nodeModule ??= import("../node/transport.js");
  nodeModule.catch(() => {
    nodeModule = undefined;
  });
  return nodeModule;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "";
  }
}

/**
 * Internal capability of an Auth that owns a transport (ClientCredentialsAuth
 * with `tls` or `proxy`): its tokens may be bound to its client certificate
 * (RFC 8705 §3), and its token endpoint may be reachable only through its
 * proxy, so a Client given this Auth connects with the same options where it
 * sets none of its own — one object configures both. Not public API.
 */
export const transportIdentity: unique symbol = Symbol.for("authflow.transportIdentity");

/** What the Auth hands over: its TLS options, its proxy, and its transport when it built one. */
export interface TransportIdentity {
  readonly tls: ResolvedTls | undefined;
  /** A resolved proxy setting (src/schemes/proxy-options.ts `ResolvedProxy`), passed on as it is. */
  readonly proxy: object | undefined;
  readonly transport: PlatformTransport | undefined;
}

/** What implementing {@link transportIdentity} looks like. */
export interface TransportAuth {
  [transportIdentity](): TransportIdentity | undefined;
}

/** The TLS identity `auth` hands over, if it has one. */
export function transportIdentityOf(auth: object | null): TransportIdentity | undefined {
  const method = (auth as Partial<TransportAuth> | null)?.[transportIdentity];
  return typeof method === "function" ? method.call(auth) : undefined;
}
