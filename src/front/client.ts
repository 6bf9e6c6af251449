import type { Auth, AuthLike } from "../engine/auth.js";
import { bodySource, type RequestBody } from "../engine/body.js";
import type { FetchLike } from "../engine/flow.js";
import type { TlsOptions } from "../engine/tls.js";
import type { PlatformTransport } from "../engine/transport.js";
import {
  checkRequestOptions,
  DEFAULT_OPTIONS,
  type RedirectingOptions,
  resolveRedirectingOptions,
} from "../policy/options.js";
import { checkBoolean, checkFunction } from "../policy/validate.js";
import type { ProxySetting } from "../schemes/proxy-options.js";
import { headersOf, NO_HEADERS } from "./headers.js";
import { nameNetworkError } from "./network-error.js";
import { appendParams, baseURLOf, type RequestParams, resolveURL } from "./request-url.js";
import { type SendPolicy, send } from "./send.js";
import { resolveAuth } from "./to-auth.js";
import { checkRequestAuthTransport, clientTransport } from "./transport.js";

/** Exported for tests (the resolution itself lives in request-url.ts). */
export { resolveURL };

/**
 * Options of a {@link Client}, merged once at construction.
 *
 * @example
 * ```ts
 * const client = new Client({
 *   baseURL: "https://api.example.com/v1",
 *   auth: new BearerAuth(BearerAuth.fromEnv("API_TOKEN")),
 *   headers: { "user-agent": "my-app/1.0" },
 *   timeout: 10_000,
 * });
 * ```
 */
export interface ClientOptions extends RedirectingOptions {
  /** Prefix for relative URLs; the client's own credentials are bound to its origin. A relative path never leaves it. */
  baseURL?: string | URL;
  /** Credentials for every request (an Auth, a `[user, pass]` tuple, or a function). */
  auth?: AuthLike | null;
  /** Default headers, under each request's own. */
  headers?: HeadersInit;
  /** The transport: any fetch-compatible function (default: global `fetch`). */
  fetch?: FetchLike;
  /** Follow redirects (default true). The client follows them itself, applying the origin rules. */
  followRedirects?: boolean;
  /**
   * TLS for the client's connections: a private CA (`ca`), a client
   * certificate (`cert`, `key`, `passphrase`). Node (an undici dispatcher of
   * the client's own), Bun and Deno; elsewhere a TlsError at construction.
   * Left out, a `ClientCredentialsAuth` given as `auth` lends its own `tls`,
   * so certificate-bound tokens (RFC 8705) go over connections that present
   * the certificate. Its `ca` also verifies an https:// proxy unless
   * `proxy.ca` is given. Not with `fetch`. @example { ca: readFileSync("ca.pem", "utf8") }
   */
  tls?: TlsOptions;
  /**
   * A proxy (Node): its URL, `{ url, auth, noProxy }`, `"env"` (the
   * `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` variables, curl's rules), or
   * `false` (default). http: targets go in absolute form, https: targets
   * through a CONNECT tunnel; a 407 is answered with `auth` (`[user, pass]`:
   * Digest or Basic, whichever the proxy offers). Left out, a
   * `ClientCredentialsAuth` given as `auth` lends its own `proxy` (one object
   * for the token endpoint and the API); `false` keeps this client direct
   * even then. Not with `fetch`.
   * @example { url: "http://proxy.internal:3128", auth: ["alice", "s3cret"] }
   */
  proxy?: ProxySetting;
}

/**
 * Options of one request. Each overrides the client's.
 *
 * @example
 * ```ts
 * await client.post("/items", { json: { name: "x" }, params: { dryRun: true }, auth: null });
 * ```
 */
export interface RequestOptions {
  /** This request's credentials; `null` turns the client's off. */
  auth?: AuthLike | null;
  /** This request's headers, over the client's. */
  headers?: HeadersInit;
  /** Query parameters appended to the URL; arrays repeat the name, `undefined` values are skipped. */
  params?: RequestParams;
  /** A value sent as JSON (sets `content-type: application/json`). */
  json?: unknown;
  /** The body: a string, bytes, Blob, URLSearchParams, FormData, a stream, or a function returning a stream (replayable). */
  body?: RequestBody | null;
  /** Aborts the request, auth steps and redirects included. */
  signal?: AbortSignal;
  /** Milliseconds for this request, auth steps included; `false` for no limit. */
  timeout?: number | false;
  /** Follow redirects for this request (default: the client's). */
  followRedirects?: boolean;
  /** Most redirects for this request (default: the client's). */
  maxRedirects?: number;
}

/**
 * An HTTP client with authentication: every scheme runs through one auth-flow
 * engine, redirects are followed with the origin rules (credentials only to
 * the same origin or `trustedOrigins`, never https→http), and credentials are
 * refused over plain HTTP except to loopback. Responses are standard
 * `Response` objects; a final 401 is returned, not thrown.
 *
 * @example
 * ```ts
 * const client = new Client({ baseURL: "https://httpbin.org", auth: ["my_user", "my_pass123"] });
 * const response = await client.get("/basic-auth/my_user/my_pass123");
 * console.log(response.status); // 200
 * ```
 */
export class Client {
  readonly #auth: Auth | null;
  /** `baseURL`'s origin, serialised once. */
  readonly #baseOrigin: string | undefined;
  /** `baseURL` with one trailing slash: relative URLs resolve under it. */
  readonly #prefix: string | undefined;
  /** The default headers, or undefined for none (a request then starts from an empty Headers). */
  readonly #headers: Headers | undefined;
  readonly #maxReplayBytes: number;
  /** The policy of a request that overrides nothing: built once, not per request. */
  readonly #usual: SendPolicy;
  /** authflow's own transport (for `tls`, `proxy`), or undefined for the plain fetch. */
  readonly #transport: PlatformTransport | undefined;
  readonly #callerFetch: boolean;

  constructor(options: ClientOptions = {}) {
    const resolved = resolveRedirectingOptions(options, DEFAULT_OPTIONS.timeout);
    checkFunction("fetch", options.fetch);
    checkBoolean("followRedirects", options.followRedirects);
    this.#auth = resolveAuth("auth", options.auth);
    const base = options.baseURL === undefined ? undefined : baseURLOf(options.baseURL);
    this.#baseOrigin = base?.origin;
    this.#prefix = base === undefined ? undefined : `${base.origin}${base.pathname.replace(/\/?$/, "/")}`;
    const headers = headersOf(options.headers, resolved.credentialHeaders);
    this.#headers = headers.keys().next().done === true ? undefined : headers;
    this.#maxReplayBytes = resolved.maxReplayBytes;
    this.#transport = clientTransport(options, this.#auth, resolved);
    this.#callerFetch = options.fetch !== undefined;
    const own = this.#transport;
    const transport = own?.fetch ?? options.fetch ?? ((request: Request) => fetch(request));
    this.#usual = {
      fetch: transport,
      // The global fetch (looked up per call, as the default transport does) takes (url, init) directly.
      direct: own?.direct ?? (options.fetch === undefined ? (url, init) => fetch(url, init) : undefined),
      nameNetworkError,
      auth: this.#auth,
      trustedOrigins: resolved.trustedOrigins,
      allowInsecureAuth: resolved.allowInsecureAuth,
      maxFlowSteps: resolved.maxFlowSteps,
      sensitiveHeaders: resolved.credentialHeaders,
      guard: resolved.guard,
      timeout: resolved.timeout,
      followRedirects: options.followRedirects ?? true,
      maxRedirects: resolved.maxRedirects,
    };
  }

  /**
   * Sends a request. `url` is resolved against `baseURL` (its path is kept:
   * `baseURL` `https://h/api` + `users` → `https://h/api/users`); a relative
   * `url` never leaves `baseURL`'s origin, whatever its slashes.
   *
   * @example
   * ```ts
   * const response = await client.request("PATCH", "/items/1", { json: { done: true } });
   * ```
   */
  request(method: string, url: string | URL, options: RequestOptions = {}): Promise<Response> {
    // Not async (one promise layer fewer per request); a bad URL, header or option still rejects, never throws.
    try {
      return this.#send(method, url, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #send(method: string, url: string | URL, options: RequestOptions): Promise<Response> {
    checkRequestOptions(options);
    const target = this.#resolve(url, options.params);
    const explicit = options.auth !== undefined;
    // A client's own credentials are bound to its baseURL's origin (axios CVE-2025-27152).
    const clientCredentials =
      this.#baseOrigin === undefined ||
      target.origin === this.#baseOrigin ||
      this.#usual.trustedOrigins.includes(target.origin);
    const headers = this.#mergeHeaders(options, clientCredentials);
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    }
    const auth = explicit ? resolveAuth("auth", options.auth) : clientCredentials ? this.#auth : null;
    if (explicit) checkRequestAuthTransport(auth, this.#transport, this.#callerFetch);
    const usual =
      auth === this.#auth &&
      options.timeout === undefined &&
      options.followRedirects === undefined &&
      options.maxRedirects === undefined;
    return send(
      {
        url: target,
        method: method.toUpperCase(),
        headers,
        body: bodySource(body, this.#maxReplayBytes),
        signal: options.signal,
      },
      usual ? this.#usual : this.#policyFor(auth, options),
    );
  }

  #policyFor(auth: Auth | null, options: RequestOptions): SendPolicy {
    const usual = this.#usual;
    const { timeout } = options;
    return {
      ...usual,
      auth,
      timeout: timeout === undefined ? usual.timeout : timeout === false ? 0 : timeout,
      followRedirects: options.followRedirects ?? usual.followRedirects,
      maxRedirects: options.maxRedirects ?? usual.maxRedirects,
    };
  }

  /**
   * Closes the connections of the client's own transport (`tls`, `proxy`):
   * idle ones at once, busy ones once their requests end. A later request
   * opens new ones. A client on the platform's fetch has nothing to close.
   *
   * @example
   * ```ts
   * const client = new Client({ proxy: "http://proxy:3128" });
   * try { await client.get("https://api.example.com/"); } finally { await client.close(); }
   * ```
   */
  async close(): Promise<void> {
    await this.#transport?.close();
  }

  /** `GET url`. @example `const data = await (await client.get("/items", { params: { page: 2 } })).json();` */
  get(url: string | URL, options?: RequestOptions): Promise<Response> {
    return this.request("GET", url, options);
  }
  /** `POST url`. @example `await client.post("/items", { json: { name: "x" } });` */
  post(url: string | URL, options?: RequestOptions): Promise<Response> {
    return this.request("POST", url, options);
  }
  /** `PUT url`. @example `await client.put("/items/1", { body: bytes });` */
  put(url: string | URL, options?: RequestOptions): Promise<Response> {
    return this.request("PUT", url, options);
  }
  /** `PATCH url`. @example `await client.patch("/items/1", { json: { done: true } });` */
  patch(url: string | URL, options?: RequestOptions): Promise<Response> {
    return this.request("PATCH", url, options);
  }
  /** `DELETE url`. @example `await client.delete("/items/1");` */
  delete(url: string | URL, options?: RequestOptions): Promise<Response> {
    return this.request("DELETE", url, options);
  }
  /** `HEAD url`. @example `(await client.head("/items")).headers.get("etag");` */
  head(url: string | URL, options?: RequestOptions): Promise<Response> {
    return this.request("HEAD", url, options);
  }
  /** `OPTIONS url`. @example `await client.options("/items");` */
  options(url: string | URL, options?: RequestOptions): Promise<Response> {
    return this.request("OPTIONS", url, options);
  }

  #resolve(url: string | URL, params: RequestOptions["params"]): URL {
    const target = resolveURL(url, this.#prefix);
    if (params !== undefined) appendParams(target, params);
    return target;
  }

  #mergeHeaders(options: RequestOptions, clientCredentials: boolean): Headers {
    // Nothing to merge and nothing to add: the shared empty headers, which the send path only reads.
    if (this.#headers === undefined && options.headers === undefined && options.json === undefined) {
      return NO_HEADERS;
    }
    const headers = new Headers(this.#headers);
    if (!clientCredentials && this.#headers !== undefined)
      for (const name of this.#usual.sensitiveHeaders) headers.delete(name);
    if (options.headers !== undefined) {
      for (const [name, value] of headersOf(options.headers, this.#usual.sensitiveHeaders)) headers.set(name, value);
    }
    return headers;
  }
}

let defaultClient: Client | undefined;

/**
 * Sends one request with a shared default {@link Client} (no baseURL, default
 * options).
 *
 * @example
 * ```ts
 * const response = await request("GET", "https://httpbin.org/basic-auth/u/p", { auth: ["u", "p"] });
 * ```
 */
export function request(method: string, url: string | URL, options?: RequestOptions): Promise<Response> {
  defaultClient ??= new Client();
  return defaultClient.request(method, url, options);
}

/** `GET url` with the default client. @example `await get("https://api.example.com/me", { auth: new BearerAuth(token) });` */
export const get = (url: string | URL, options?: RequestOptions): Promise<Response> => request("GET", url, options);
/** `POST url` with the default client. @example `await post(url, { json: { a: 1 }, auth: ["u", "p"] });` */
export const post = (url: string | URL, options?: RequestOptions): Promise<Response> => request("POST", url, options);
/** `PUT url` with the default client. @example `await put(url, { body: "text", auth });` */
export const put = (url: string | URL, options?: RequestOptions): Promise<Response> => request("PUT", url, options);
/** `PATCH url` with the default client. @example `await patch(url, { json: { done: true }, auth });` */
export const patch = (url: string | URL, options?: RequestOptions): Promise<Response> => request("PATCH", url, options);
/** `HEAD url` with the default client. @example `await head(url, { auth });` */
export const head = (url: string | URL, options?: RequestOptions): Promise<Response> => request("HEAD", url, options);
/** `DELETE url` with the default client (exported as `delete`). @example `await del(url, { auth });` */
export const del = (url: string | URL, options?: RequestOptions): Promise<Response> => request("DELETE", url, options);
