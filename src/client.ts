import { type Auth, type AuthLike, toAuth } from "./auth.js";
import { bodySource, type RequestBody } from "./body.js";
import type { FetchLike } from "./flow.js";
import { RejectionGuard, type RejectionGuardOptions } from "./guard.js";
import { normaliseOrigins } from "./origin.js";
import { headersOf, NO_HEADERS } from "./redact.js";
import { DEFAULT_SENSITIVE_HEADERS, type SendPolicy, send } from "./send.js";

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
export interface ClientOptions {
  /** Prefix for relative URLs; the client's own credentials are bound to its origin. */
  baseURL?: string | URL;
  /** Credentials for every request (an Auth, a `[user, pass]` tuple, or a function). */
  auth?: AuthLike | null;
  /** Default headers, under each request's own. */
  headers?: HeadersInit;
  /** The transport: any fetch-compatible function (default: global `fetch`). */
  fetch?: FetchLike;
  /** Milliseconds to wait for the response headers; `false` for no limit (default 30 000). */
  timeout?: number | false;
  /** Follow redirects (default true). The client follows them itself, applying the origin rules. */
  followRedirects?: boolean;
  /** Most redirects followed for one request (default 20). */
  maxRedirects?: number;
  /** Allow credentials over plain `http:` to hosts that are not loopback (default false). */
  allowInsecureAuth?: boolean;
  /** Origins (besides the request's own) that may receive credentials on redirect, e.g. `["https://auth.example.com"]`. */
  trustedOrigins?: readonly string[];
  /** Most requests one auth flow may send (default 8). */
  maxFlowSteps?: number;
  /** Bytes of a streamed body kept to re-send it after a challenge (default 1 MiB). */
  maxReplayBytes?: number;
  /** Extra header names that carry credentials and must not follow a redirect to another origin. */
  sensitiveHeaders?: readonly string[];
  /** The bad-credential guard (on by default: 3 failures, then 30 s of fail-fast); `false` turns it off. */
  rejectionGuard?: RejectionGuardOptions | false;
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
  headers?: HeadersInit;
  /** Query parameters appended to the URL; arrays repeat the name, `undefined` values are skipped. */
  params?:
    | URLSearchParams
    | Record<string, string | number | boolean | undefined | readonly (string | number | boolean)[]>;
  /** A value sent as JSON (sets `content-type: application/json`). */
  json?: unknown;
  body?: RequestBody | null;
  signal?: AbortSignal;
  timeout?: number | false;
  followRedirects?: boolean;
  maxRedirects?: number;
}

const DEFAULTS = {
  timeout: 30_000,
  followRedirects: true,
  maxRedirects: 20,
  allowInsecureAuth: false,
  maxFlowSteps: 8,
  maxReplayBytes: 1024 * 1024,
};

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
  readonly #policy: Omit<SendPolicy, "auth" | "timeout" | "followRedirects" | "maxRedirects">;
  readonly #options: typeof DEFAULTS;
  /** The policy of a request that overrides nothing: built once, not per request. */
  readonly #usual: SendPolicy;

  constructor(options: ClientOptions = {}) {
    this.#auth = toAuth(options.auth);
    const base = options.baseURL === undefined ? undefined : new URL(String(options.baseURL));
    this.#baseOrigin = base?.origin;
    this.#prefix = base?.href.replace(/\/?$/, "/");
    const headers = headersOf(options.headers);
    this.#headers = headers.keys().next().done === true ? undefined : headers;
    this.#options = { ...DEFAULTS, ...definedOnly(options) } as typeof DEFAULTS;
    const transport = options.fetch ?? ((request: Request) => fetch(request));
    this.#policy = {
      fetch: transport,
      // The global fetch (looked up per call, as the default transport does) takes (url, init) directly.
      direct: options.fetch === undefined ? (url, init) => fetch(url, init) : undefined,
      namesNetworkErrors: true,
      trustedOrigins: normaliseOrigins(options.trustedOrigins),
      allowInsecureAuth: this.#options.allowInsecureAuth,
      maxFlowSteps: this.#options.maxFlowSteps,
      sensitiveHeaders: new Set([
        ...DEFAULT_SENSITIVE_HEADERS,
        ...(options.sensitiveHeaders ?? []).map((name) => name.toLowerCase()),
      ]),
      guard: options.rejectionGuard === false ? null : new RejectionGuard(options.rejectionGuard),
    };
    this.#usual = this.#policyFor(this.#auth, {});
  }

  /**
   * Sends a request. `url` is resolved against `baseURL` (its path is kept:
   * `baseURL` `https://h/api` + `users` → `https://h/api/users`).
   *
   * @example
   * ```ts
   * const response = await client.request("PATCH", "/items/1", { json: { done: true } });
   * ```
   */
  request(method: string, url: string | URL, options: RequestOptions = {}): Promise<Response> {
    // Not async (one promise layer fewer per request); a bad URL or header still rejects, never throws.
    try {
      return this.#send(method, url, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #send(method: string, url: string | URL, options: RequestOptions): Promise<Response> {
    const target = this.#resolve(url, options.params);
    const explicit = options.auth !== undefined;
    // A client's own credentials are bound to its baseURL's origin (axios CVE-2025-27152).
    const clientCredentials =
      this.#baseOrigin === undefined ||
      target.origin === this.#baseOrigin ||
      this.#policy.trustedOrigins.includes(target.origin);
    const headers = this.#mergeHeaders(options, clientCredentials);
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    }
    const auth = explicit ? toAuth(options.auth) : clientCredentials ? this.#auth : null;
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
        body: bodySource(body, this.#options.maxReplayBytes),
        signal: options.signal,
      },
      usual ? this.#usual : this.#policyFor(auth, options),
    );
  }

  #policyFor(auth: Auth | null, options: RequestOptions): SendPolicy {
    const timeout = options.timeout ?? this.#options.timeout;
    return {
      ...this.#policy,
      auth,
      timeout: timeout === false ? 0 : timeout,
      followRedirects: options.followRedirects ?? this.#options.followRedirects,
      maxRedirects: options.maxRedirects ?? this.#options.maxRedirects,
    };
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
      for (const name of this.#policy.sensitiveHeaders) headers.delete(name);
    if (options.headers !== undefined) {
      for (const [name, value] of headersOf(options.headers)) headers.set(name, value);
    }
    return headers;
  }
}

/**
 * Resolves `url` under `prefix` (the base URL with a trailing slash) the way
 * httpx does: the base path is a prefix, not replaced. Exported for tests only.
 */
export function resolveURL(url: string | URL, prefix: string | undefined): URL {
  if (url instanceof URL) return new URL(url);
  if (prefix === undefined || SCHEME.test(url)) return new URL(url);
  const path = url.startsWith("/") ? url.slice(1) : url;
  // A plain path (no dot segment, escape, backslash or white space) resolves under the prefix to the
  // concatenation: one parse instead of two. Anything else takes the parser's relative resolution.
  if (PLAIN_PATH.test(path) && !path.includes("/.")) return new URL(prefix + path);
  // "./" keeps a first segment with a colon ("/h:x" without its slash) a path, not a scheme.
  return new URL(SCHEME.test(path) ? `./${path}` : path, prefix);
}

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

const PLAIN_PATH = /^[\w~!$&'()*+,;=:@-][^%\\\s]*$/;

function appendParams(url: URL, params: NonNullable<RequestOptions["params"]>): void {
  if (params instanceof URLSearchParams) {
    for (const [name, value] of params) url.searchParams.append(name, value);
    return;
  }
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) url.searchParams.append(name, String(item));
    else url.searchParams.append(name, String(value));
  }
}

function definedOnly(options: ClientOptions): Partial<typeof DEFAULTS> {
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(DEFAULTS)) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) result[key] = value;
  }
  return result as Partial<typeof DEFAULTS>;
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
