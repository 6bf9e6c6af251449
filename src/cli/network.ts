/**
 * How a CLI run connects: the dispatcher every request of the run goes
 * through — the API's, the token endpoint's, discovery's — with the TLS of
 * `--cacert`/`--cert`/`--key` and the proxy of `-x` or, by default, the
 * environment (the library's `proxy: "env"` rules: curl's variables,
 * httpoxy, loopback direct). Proxy credentials answer whatever the 407
 * offers, Digest first; Basic to an `http://` proxy that is not loopback
 * only with `--insecure-auth`.
 */
import type { Dispatcher } from "undici";
import type { ResolvedTls, TlsOptions } from "../engine/tls.js";
import { RejectionGuard } from "../guard/guard.js";
import type { ProxyEndpoint, ResolvedProxy } from "../schemes/proxy-options.js";
import { resolveProxy } from "../schemes/proxy-options.js";
import { proxyDispatcher } from "../undici/proxy-agent.js";
import { tlsAgent } from "../undici/tls.js";
import type { NetworkOptions } from "./args-network.js";
import { loadTls } from "./tls-files.js";
import { UsageError } from "./usage.js";

/**
 * The environment variable `--proxy-user USER` reads the password from.
 *
 * @example
 * ```ts
 * const password = process.env[PROXY_PASSWORD_VARIABLE];
 * ```
 */
export const PROXY_PASSWORD_VARIABLE = "AUTHFLOW_PROXY_PASSWORD";

/** Bytes of a streamed body kept to send it again after a proxy's 407 (the library's default). */
const MAX_REPLAY_BYTES = 1024 * 1024;

/**
 * The connections of a run.
 *
 * @example
 * ```ts
 * const network: Network = await openNetwork(command.network, context);
 * await network.close();
 * ```
 */
export interface Network {
  /** The dispatcher to send through; undefined for the transport's own (no TLS flag, no proxy). */
  readonly dispatcher: Dispatcher | undefined;
  /** The TLS options, for ClientCredentialsAuth (certificate-bound tokens) and for naming TLS failures. */
  readonly tls: TlsOptions | undefined;
  readonly resolvedTls: ResolvedTls | undefined;
  /** Secrets held (proxy password, key passphrase, the key's text), kept out of everything printed. */
  readonly secrets: readonly string[];
  /** The proxy user and password, for the Basic spelling of the pair. */
  readonly proxyPair: readonly [user: string, password: string] | undefined;
  readonly warnings: readonly string[];
  close(): Promise<void>;
}

/**
 * What opening the network needs from the outside world.
 *
 * @example
 * ```ts
 * const context: NetworkContext = { env: process.env, prompt: ask, insecureAuth: false, connectTimeoutMs: 30_000 };
 * ```
 */
export interface NetworkContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  prompt(question: string): Promise<string | undefined>;
  /** `--insecure-auth`: Basic to an http:// proxy that is not loopback allowed. */
  readonly insecureAuth: boolean;
  /** The longest wait for a connection, in ms (0: undici's default). */
  readonly connectTimeoutMs: number;
}

/**
 * The dispatcher for `options` (asks on the terminal for a key passphrase or
 * a proxy password left out).
 *
 * @example
 * ```ts
 * const network = await openNetwork(command.network, { env: process.env, prompt: ask, insecureAuth: false, connectTimeoutMs: 30_000 });
 * const transport = createTransport({ dispatcher: network.dispatcher, tls: network.resolvedTls });
 * ```
 */
export async function openNetwork(options: NetworkOptions, context: NetworkContext): Promise<Network> {
  const tls = await loadTls(options, context);
  const guard = new RejectionGuard({});
  const proxy = await proxyFor(options, context, guard);
  const warnings = [...proxy.warnings];
  let dispatcher: Dispatcher | undefined;
  if (proxy.resolved !== undefined) dispatcher = proxyDispatcher(proxy.resolved, tls.resolved, MAX_REPLAY_BYTES);
  else if (tls.options !== undefined) {
    const timeout = context.connectTimeoutMs === 0 ? {} : { connect: { timeout: context.connectTimeoutMs } };
    dispatcher = tlsAgent(tls.options, timeout);
  }
  return {
    dispatcher,
    tls: tls.options,
    resolvedTls: tls.resolved,
    secrets: [...tls.secrets, ...(proxy.pair === undefined ? [] : [proxy.pair[1]])],
    proxyPair: proxy.pair,
    warnings,
    close: async () => {
      await dispatcher?.close();
    },
  };
}

interface ProxyChoice {
  readonly resolved: ResolvedProxy | undefined;
  readonly pair: readonly [string, string] | undefined;
  readonly warnings: readonly string[];
}

async function proxyFor(options: NetworkOptions, context: NetworkContext, guard: RejectionGuard): Promise<ProxyChoice> {
  const settings = { allowInsecureAuth: context.insecureAuth, guard };
  const { proxy, proxyUser } = options;
  if (proxy.kind === "none") {
    return { resolved: undefined, pair: undefined, warnings: proxyUser === undefined ? [] : [UNUSED_USER] };
  }
  if (proxy.kind === "url") {
    const pair = proxyUser === undefined ? undefined : await proxyPassword(proxyUser, context);
    const url = new URL(proxy.url.origin);
    const given = {
      url,
      ...(pair === undefined ? {} : { auth: [pair[0], pair[1]] as [string, string] }),
      ...(options.noProxy === undefined ? {} : { noProxy: options.noProxy }),
    };
    const resolved = resolveProxy("-x", given, settings);
    return { resolved, pair, warnings: warnings(proxyUser) };
  }
  // The environment's proxy, by the library's rules; --noproxy replaces no_proxy.
  const environment =
    options.noProxy === undefined
      ? context.env
      : { ...context.env, no_proxy: options.noProxy.join(","), NO_PROXY: options.noProxy.join(",") };
  const fromEnvironment = resolveProxy("the proxy", "env", { ...settings, environment });
  if (proxyUser === undefined) return { resolved: fromEnvironment, pair: undefined, warnings: [] };
  if (fromEnvironment === undefined) return { resolved: undefined, pair: undefined, warnings: [UNUSED_USER] };
  const pair = await proxyPassword(proxyUser, context);
  return { resolved: withUser(fromEnvironment, pair, settings), pair, warnings: warnings(proxyUser) };
}

const UNUSED_USER =
  "--proxy-user is not used: no proxy is set (-x URL, or http_proxy / https_proxy / all_proxy in the environment)";

function warnings(user: NetworkOptions["proxyUser"]): string[] {
  if (user?.password === undefined) return [];
  const where = user.inUrl ? "in the -x URL" : "with --proxy-user USER:PASS";
  return [
    `the proxy password was given on the command line (${where}), where other users (ps) and your shell history can see it; leave it out to be asked, or set ${PROXY_PASSWORD_VARIABLE}`,
  ];
}

async function proxyPassword(
  user: NonNullable<NetworkOptions["proxyUser"]>,
  context: NetworkContext,
): Promise<readonly [string, string]> {
  if (user.password !== undefined) return [user.user, user.password];
  const fromEnvironment = context.env[PROXY_PASSWORD_VARIABLE];
  if (fromEnvironment !== undefined && fromEnvironment !== "") return [user.user, fromEnvironment];
  const answer = await context.prompt(`Proxy password for ${user.user}: `);
  if (answer === undefined) {
    throw new UsageError(
      `no proxy password for ${user.user}, and no terminal to ask on: set ${PROXY_PASSWORD_VARIABLE}`,
    );
  }
  return [user.user, answer];
}

/** The environment's proxies with `--proxy-user`'s credentials: the same routing, other credentials. */
function withUser(
  proxy: ResolvedProxy,
  pair: readonly [string, string],
  settings: { readonly allowInsecureAuth: boolean; readonly guard: RejectionGuard },
): ResolvedProxy {
  const endpoints = new Map<string, ProxyEndpoint | undefined>();
  return {
    guard: proxy.guard,
    endpointFor(target) {
      const endpoint = proxy.endpointFor(target);
      if (endpoint === undefined) return undefined;
      if (!endpoints.has(endpoint.origin)) {
        const given = { url: endpoint.url, auth: [pair[0], pair[1]] as [string, string] };
        endpoints.set(endpoint.origin, resolveProxy("the proxy", given, settings)?.endpointFor(target));
      }
      return endpoints.get(endpoint.origin);
    },
  };
}
