import type { FetchLike } from "../engine/flow.js";
import { inBrowser } from "../engine/runtime.js";
import { AuthRejectedError, ProxyError, ResourceDiscoveryError, TlsError } from "../errors.js";
import { refusesPlainHttp } from "../policy/rules.js";
import { raceAbort, Timers } from "./retry.js";
import { readCapped } from "./token-endpoint.js";

/**
 * RFC 9728 protected resource metadata: where it is, fetching it (bounded),
 * and checking it. The fetch carries no credentials and follows no redirect.
 */

/** RFC 9728 §3: the well-known suffix, inserted between the host and the resource's path (§3.1). */
export const RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource";

/**
 * The parts of protected resource metadata (RFC 9728 §2) authflow uses, checked.
 *
 * @example
 * ```ts
 * const metadata: ResourceMetadata = { resource: "https://mcp.example.com/mcp", authorizationServers: ["https://as.example.com"], dpopRequired: false };
 * ```
 */
export interface ResourceMetadata {
  /** The resource identifier, as the metadata states it: what tokens are requested for (`resource=`, RFC 8707). */
  readonly resource: string;
  readonly authorizationServers: readonly string[];
  /** `dpop_bound_access_tokens_required` (RFC 9728 §2). */
  readonly dpopRequired: boolean;
}

/**
 * The resource identifier of a request URL: its origin and path, without
 * query or fragment (RFC 9728 §1.2: an identifier has no fragment and should
 * have no query). Tokens are discovered and cached per identifier.
 *
 * @example
 * ```ts
 * resourceIdentifier(new URL("https://mcp.example.com/mcp?session=1")); // "https://mcp.example.com/mcp"
 * ```
 */
export function resourceIdentifier(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * The RFC 9728 §3.1 metadata URL of a resource identifier: the well-known
 * path inserted between the host and the path.
 *
 * @example
 * ```ts
 * metadataUrlOf("https://api.example.com/v1/orders"); // "https://api.example.com/.well-known/oauth-protected-resource/v1/orders"
 * ```
 */
export function metadataUrlOf(identifier: string): string {
  const url = new URL(identifier);
  return `${url.origin}${RESOURCE_METADATA_PATH}${url.pathname === "/" ? "" : url.pathname}`;
}

/**
 * Checks a metadata document fetched for `identifier` (pure): a JSON object
 * whose `resource` is that identifier (§3.3 — otherwise a resource could
 * borrow another's metadata and collect tokens meant for it) and whose
 * `authorization_servers` is a list of strings. For the root path, the
 * identifier with and without its trailing slash are the same resource.
 *
 * @example
 * ```ts
 * validateResourceMetadata("https://api.example.com/v1", { resource: "https://api.example.com/v1", authorization_servers: ["https://as.example.com"] });
 * ```
 */
export function validateResourceMetadata(identifier: string, document: unknown): ResourceMetadata {
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw failure(identifier, "its protected resource metadata is not a JSON object (RFC 9728 §3.2)");
  }
  const {
    resource,
    authorization_servers: servers,
    dpop_bound_access_tokens_required: dpop,
  } = document as Record<string, unknown>;
  if (typeof resource !== "string" || !sameResource(resource, identifier)) {
    const named = typeof resource === "string" ? JSON.stringify(resource.slice(0, 200)) : "no resource";
    throw failure(
      identifier,
      `its metadata names ${named}, not the resource it was fetched for; refusing it (RFC 9728 §3.3)`,
    );
  }
  if (!Array.isArray(servers) || servers.length === 0 || servers.some((server) => typeof server !== "string")) {
    throw failure(identifier, "its metadata names no authorization_servers (RFC 9728 §2)");
  }
  if (dpop !== undefined && typeof dpop !== "boolean") {
    throw failure(identifier, "its metadata's dpop_bound_access_tokens_required is not a boolean (RFC 9728 §2)");
  }
  return { resource, authorizationServers: servers as string[], dpopRequired: dpop === true };
}

/** Limits of one metadata fetch. */
export interface MetadataFetchOptions {
  /** Accept plain http: off loopback. */
  readonly allowInsecure: boolean;
  /** The longest the fetch may take, body included. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Fetches and checks the metadata of `identifier` from `metadataUrl`. The
 * URL must be on the resource's own origin (a resource names its metadata,
 * not another server to contact) and use TLS unless loopback or
 * `allowInsecure`. Bounded by `timeoutMs` even if the server never finishes;
 * a redirect or a status other than 200 is a {@link ResourceDiscoveryError}.
 *
 * @example
 * ```ts
 * const metadata = await fetchResourceMetadata(identifier, metadataUrlOf(identifier), fetch, { allowInsecure: false, timeoutMs: 10_000 });
 * ```
 */
export async function fetchResourceMetadata(
  identifier: string,
  metadataUrl: string,
  fetch: FetchLike,
  options: MetadataFetchOptions,
): Promise<ResourceMetadata> {
  const url = checkMetadataUrl(identifier, metadataUrl, options.allowInsecure);
  const controller = new AbortController();
  const timedOut = failure(
    identifier,
    `its metadata at ${url.origin}${url.pathname} gave no answer within ${options.timeoutMs} ms`,
  );
  const cancel = new Timers(false).start(options.timeoutMs, () => controller.abort(timedOut), true);
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted === true) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await raceAbort(fetchDocument(identifier, url, fetch, controller.signal), controller.signal);
  } finally {
    cancel();
    options.signal?.removeEventListener("abort", onAbort);
  }
}

async function fetchDocument(
  identifier: string,
  url: URL,
  fetch: FetchLike,
  signal: AbortSignal,
): Promise<ResourceMetadata> {
  const shown = `${url.origin}${url.pathname}`;
  let response: Response;
  try {
    response = await fetch(
      new Request(url, {
        headers: { accept: "application/json" },
        redirect: "manual",
        signal,
        ...(inBrowser ? { credentials: "omit" as const } : {}),
      }),
    );
  } catch (error) {
    if (signal.aborted) throw signal.reason ?? error;
    // The transport's own answer (a proxy's refusal, the guard's, a certificate problem) says more than a wrap.
    if (error instanceof ProxyError || error instanceof AuthRejectedError || error instanceof TlsError) throw error;
    throw failure(identifier, `its metadata at ${shown} could not be fetched`, new Error((error as Error)?.name));
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw failure(identifier, `its metadata at ${shown} answered ${response.status}, not 200 (RFC 9728 §3.1)`);
  }
  let text: string;
  try {
    text = await readCapped(response, `the metadata at ${shown}`);
  } catch (error) {
    if (signal.aborted) throw signal.reason ?? error;
    throw failure(identifier, `its metadata at ${shown} could not be read (${(error as Error)?.message})`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the body.
    throw failure(identifier, `its metadata at ${shown} is not JSON (RFC 9728 §3.2)`);
  }
  return validateResourceMetadata(identifier, document);
}

/** The metadata URL, parsed and judged: the resource's origin, http(s), TLS unless loopback. */
function checkMetadataUrl(identifier: string, metadataUrl: string, allowInsecure: boolean): URL {
  let url: URL;
  try {
    url = new URL(metadataUrl);
  } catch {
    throw failure(identifier, "its resource_metadata is not a URL (RFC 9728 §5.1)");
  }
  const origin = new URL(identifier).origin;
  if (url.origin !== origin || url.username !== "" || url.password !== "") {
    throw failure(
      identifier,
      `its resource_metadata points at ${url.protocol === "http:" || url.protocol === "https:" ? url.origin : url.protocol}, ` +
        "another server; authflow reads a resource's metadata only from the resource's own origin",
    );
  }
  if (refusesPlainHttp(url, allowInsecure)) {
    throw failure(identifier, "its metadata would come over plain HTTP; use https:, or set allowInsecureAuth: true");
  }
  return url;
}

/** RFC 9728 §3.3, with the root's identifier spelled with or without its slash. */
function sameResource(stated: string, identifier: string): boolean {
  if (stated === identifier) return true;
  return identifier.endsWith("/") && new URL(identifier).pathname === "/" && stated === identifier.slice(0, -1);
}

function failure(identifier: string, reason: string, cause?: unknown): ResourceDiscoveryError {
  return new ResourceDiscoveryError(`resource discovery for ${identifier} failed: ${reason}`, {
    resource: identifier,
    ...(cause === undefined ? {} : { cause }),
  });
}
