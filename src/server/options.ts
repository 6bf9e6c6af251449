import { InvalidArgumentError } from "../errors.js";
import {
  checkBoolean,
  checkInteger,
  checkNumber,
  checkObject,
  checkOneOf,
  checkString,
  checkStringArray,
} from "../validate.js";
import type { ResolvedLimits, TestServerOptions } from "./router.js";

const MIB = 1024 * 1024;
/** Defaults of TestServerLimits: 1 MiB per body, 8 MiB across requests in flight, 30 s to receive a request. */
export const DEFAULT_LIMITS: ResolvedLimits = {
  bodyBytes: MIB,
  totalBodyBytes: 8 * MIB,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
};

const AUTH_METHODS = ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"];

/**
 * Checks every option of `startTestServer` before anything listens, with the
 * coded checks every front door uses; returns the limits with defaults filled in.
 *
 * @example
 * ```ts
 * const limits = checkServerOptions({ port: 8080 }); // throws InvalidArgumentError for { port: -1 }
 * ```
 */
export function checkServerOptions(options: TestServerOptions): ResolvedLimits {
  checkObject("startTestServer options", options);
  checkInteger("startTestServer.port", options.port, 0, 65_535);
  checkString("startTestServer.host", options.host);
  // 0 is allowed on purpose: tokens with `expires_in: 0` test a client's edge case.
  checkNumber("startTestServer.tokenTtlSeconds", options.tokenTtlSeconds, 0);
  checkNumber("startTestServer.oauthClockSkewSeconds", options.oauthClockSkewSeconds, -Number.MAX_VALUE);
  checkBoolean("startTestServer.faults", options.faults);
  checkBoolean("startTestServer.openRedirects", options.openRedirects);
  checkClients(options.clients);
  return checkLimits(options.limits);
}

function checkLimits(limits: TestServerOptions["limits"]): ResolvedLimits {
  checkObject("startTestServer.limits", limits);
  checkInteger("startTestServer.limits.bodyBytes", limits?.bodyBytes, 1);
  checkInteger("startTestServer.limits.totalBodyBytes", limits?.totalBodyBytes, 1);
  checkInteger("startTestServer.limits.requestTimeoutMs", limits?.requestTimeoutMs, 1);
  const requestTimeoutMs = limits?.requestTimeoutMs ?? DEFAULT_LIMITS.requestTimeoutMs;
  return {
    bodyBytes: limits?.bodyBytes ?? DEFAULT_LIMITS.bodyBytes,
    totalBodyBytes: limits?.totalBodyBytes ?? DEFAULT_LIMITS.totalBodyBytes,
    requestTimeoutMs,
    // Node wants headersTimeout <= requestTimeout.
    headersTimeoutMs: Math.min(DEFAULT_LIMITS.headersTimeoutMs, requestTimeoutMs),
  };
}

function checkClients(clients: unknown): void {
  if (clients === undefined) return;
  if (!Array.isArray(clients)) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_TYPE",
      "startTestServer.clients",
      "startTestServer.clients must be an array of client registrations",
    );
  }
  const seen = new Set<string>();
  clients.forEach((client: unknown, index) => {
    const name = `startTestServer.clients[${index}]`;
    checkObject(name, client ?? null);
    const registration = client as Record<string, unknown>;
    checkString(`${name}.clientId`, registration.clientId, false);
    checkOneOf(`${name}.authMethod`, registration.authMethod ?? null, AUTH_METHODS);
    const secretMethod = String(registration.authMethod).startsWith("client_secret_");
    checkString(`${name}.clientSecret`, registration.clientSecret, !secretMethod);
    if (registration.authMethod === "private_key_jwt") checkObject(`${name}.publicKey`, registration.publicKey ?? null);
    checkStringArray(`${name}.scopes`, registration.scopes);
    const clientId = registration.clientId as string;
    if (seen.has(clientId)) {
      throw new InvalidArgumentError("ERR_INVALID_ARG_VALUE", name, `${name}.clientId is registered twice`);
    }
    seen.add(clientId);
  });
}
