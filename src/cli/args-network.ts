import { UsageError } from "./usage.js";

/**
 * How the command line asks to connect: TLS files (`--cacert`, `--cert`,
 * `--key`) and the proxy (`-x`, `--proxy-user`, `--noproxy`), checked for
 * consistency but not yet read (see network.ts).
 *
 * @example
 * ```ts
 * const options: NetworkOptions = networkOptions({ cacert: "ca.pem", proxy: "http://proxy:3128" });
 * ```
 */
export interface NetworkOptions {
  /** `--cacert FILE`: CA certificates (PEM) trusted instead of the system's. */
  readonly caFile: string | undefined;
  /** `--cert FILE`: the client certificate (PEM; the key may be in the same file). */
  readonly certFile: string | undefined;
  /** `--key FILE`: its private key (PEM). */
  readonly keyFile: string | undefined;
  /** The proxy: `-x URL`, `none` for `-x ''`, `env` (the default: the environment's). */
  readonly proxy: { readonly kind: "url"; readonly url: URL } | { readonly kind: "none" } | { readonly kind: "env" };
  /** `--proxy-user USER[:PASS]`, or the user:pass@ of `-x`; the password undefined when left out. */
  readonly proxyUser:
    | { readonly user: string; readonly password: string | undefined; readonly inUrl: boolean }
    | undefined;
  /** `--noproxy LIST`: replaces `no_proxy`; `*` for every host. */
  readonly noProxy: readonly string[] | undefined;
}

type Values = Readonly<Record<string, string | boolean | string[] | undefined>>;

/**
 * Reads the TLS and proxy flags.
 *
 * @throws UsageError for a flag without its partner or a proxy URL that cannot work.
 * @example
 * ```ts
 * networkOptions({ proxy: "proxy.internal:3128", "proxy-user": "alice" }).proxy; // { kind: "url", url: http://proxy.internal:3128/ }
 * ```
 */
export function networkOptions(values: Values): NetworkOptions {
  const caFile = text(values, "cacert");
  const certFile = text(values, "cert");
  const keyFile = text(values, "key");
  if (keyFile !== undefined && certFile === undefined) {
    throw new UsageError("--key goes with --cert FILE (the client certificate it is the key of)");
  }
  const proxy = proxySetting(text(values, "proxy"));
  const fromUrl = proxy.kind === "url" ? userInUrl(proxy.url) : undefined;
  const given = text(values, "proxy-user");
  if (fromUrl !== undefined && given !== undefined) {
    throw new UsageError("the proxy credentials were given twice: in the -x URL (user:pass@) and in --proxy-user");
  }
  const noProxy = text(values, "noproxy");
  return {
    caFile,
    certFile,
    keyFile,
    proxy,
    proxyUser: fromUrl ?? (given === undefined ? undefined : userAndPassword(given)),
    noProxy: noProxy === undefined ? undefined : noProxy.split(/[,\s]+/).filter((entry) => entry !== ""),
  };
}

/** `-x URL` (http:// assumed without a scheme, as curl does); `-x ''` for no proxy at all. */
function proxySetting(value: string | undefined): NetworkOptions["proxy"] {
  if (value === undefined) return { kind: "env" };
  if (value.trim() === "") return { kind: "none" };
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    // Not repeated: a proxy URL may hold a password.
    throw new UsageError("-x needs a proxy URL, e.g. -x http://proxy.internal:3128");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`-x takes an http:// or https:// proxy (got ${url.protocol}; SOCKS is not supported)`);
  }
  if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.hash !== "") {
    throw new UsageError("-x takes the proxy's scheme, host and port only (no path or query)");
  }
  return { kind: "url", url };
}

function userInUrl(url: URL): NetworkOptions["proxyUser"] {
  if (url.username === "" && url.password === "") return undefined;
  // `http://alice@proxy`: the password is read from the environment or asked for, as with --proxy-user alice.
  const password = url.password === "" ? undefined : decoded(url.password);
  return { user: decoded(url.username), password, inUrl: true };
}

function userAndPassword(text: string): NonNullable<NetworkOptions["proxyUser"]> {
  const colon = text.indexOf(":");
  const user = colon < 0 ? text : text.slice(0, colon);
  if (user === "") throw new UsageError("--proxy-user needs a user name before the colon: --proxy-user USER[:PASS]");
  return { user, password: colon < 0 ? undefined : text.slice(colon + 1), inUrl: false };
}

/** Userinfo as the URL keeps it, percent-encoded; a malformed escape is kept as written. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function text(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}
