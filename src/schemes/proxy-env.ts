/**
 * The proxy settings of the environment, as curl reads them: `http_proxy`
 * for http: targets, `https_proxy` for https:, `all_proxy` for both when
 * the scheme's own is unset, `no_proxy` for the hosts that go direct; each
 * in lower case first, then upper case. One exception, httpoxy
 * (CVE-2016-5385): under CGI (`REQUEST_METHOD` set) a client's `Proxy:`
 * request header arrives as `HTTP_PROXY`, so the upper-case `HTTP_PROXY` is
 * ignored there. Pure over the environment object it is given.
 */

/** The environment as a plain record (Node's `process.env`). */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * What the environment says.
 *
 * @example
 * ```ts
 * proxyEnvironment({ https_proxy: "http://proxy:3128", NO_PROXY: ".internal" });
 * // { http: undefined, https: "http://proxy:3128", noProxy: ".internal" }
 * ```
 */
export interface ProxyEnvironment {
  /** The proxy URL for http: targets, as written (a scheme may be missing: http:// is meant). */
  readonly http: string | undefined;
  /** The proxy URL for https: targets. */
  readonly https: string | undefined;
  /** The `no_proxy` list, as written. */
  readonly noProxy: string;
}

/**
 * Reads the proxy variables of `environment` by curl's rules, with the
 * httpoxy exception.
 *
 * @example
 * ```ts
 * proxyEnvironment({ REQUEST_METHOD: "GET", HTTP_PROXY: "http://attacker:8080" }).http; // undefined
 * ```
 */
export function proxyEnvironment(environment: Environment): ProxyEnvironment {
  const read = (name: string, upperCase = true): string | undefined => {
    const lower = nonEmpty(environment[name]);
    if (lower !== undefined || !upperCase) return lower;
    return nonEmpty(environment[name.toUpperCase()]);
  };
  const cgi = nonEmpty(environment.REQUEST_METHOD) !== undefined;
  const all = read("all_proxy");
  return {
    http: read("http_proxy", !cgi) ?? all,
    https: read("https_proxy") ?? all,
    noProxy: read("no_proxy") ?? "",
  };
}

/**
 * The running process's environment where there is one (Node, Bun; Deno with
 * `--allow-env`), else an empty one.
 *
 * @example
 * ```ts
 * const settings = proxyEnvironment(processEnvironment());
 * ```
 */
export function processEnvironment(): Environment {
  const host = globalThis as { process?: { env?: Environment } };
  try {
    return host.process?.env ?? {};
  } catch {
    // Deno without --allow-env throws on access.
    return {};
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}
