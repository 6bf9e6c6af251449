import { X509Certificate } from "node:crypto";
import { createSecureContext } from "node:tls";
import { InvalidArgumentError } from "../errors.js";
import {
  checkBoolean,
  checkInteger,
  checkNumber,
  checkObject,
  checkOneOf,
  checkString,
  checkStringArray,
} from "../policy/validate.js";
import { isSerialisedOrigin } from "./cors.js";
import { parseDistinguishedName } from "./distinguished-names.js";
import type { ResolvedLimits, TestServerOptions } from "./router.js";

const MIB = 1024 * 1024;
/** Defaults of TestServerLimits: 1 MiB per body, 8 MiB across requests in flight, 30 s to receive a request. */
export const DEFAULT_LIMITS: ResolvedLimits = {
  bodyBytes: MIB,
  totalBodyBytes: 8 * MIB,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
};

const AUTH_METHODS = [
  "client_secret_basic",
  "client_secret_post",
  "client_secret_jwt",
  "private_key_jwt",
  "tls_client_auth",
  "self_signed_tls_client_auth",
];

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
  checkTls(options.tls);
  checkCors(options.cors);
  checkDpop(options.dpop);
  checkResourceMetadata(options.resourceMetadata);
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
    checkTlsClient(name, registration);
    const clientId = registration.clientId as string;
    if (seen.has(clientId)) {
      throw new InvalidArgumentError("ERR_INVALID_ARG_VALUE", name, `${name}.clientId is registered twice`);
    }
    seen.add(clientId);
  });
}

/** RFC 8705 registrations: a subject DN for tls_client_auth, a certificate or thumbprint for the self-signed method. */
function checkTlsClient(name: string, registration: Record<string, unknown>): void {
  if (registration.authMethod === "tls_client_auth") {
    const option = `${name}.tlsClientAuthSubjectDn`;
    checkString(option, registration.tlsClientAuthSubjectDn, false);
    if (parseDistinguishedName(registration.tlsClientAuthSubjectDn as string) === undefined) {
      throw invalid(option, `${option} must be an RFC 4514 name without multi-valued RDNs, e.g. CN=svc,O=acme`);
    }
  }
  if (registration.authMethod !== "self_signed_tls_client_auth") return;
  checkString(`${name}.certificate`, registration.certificate);
  checkString(`${name}.certificateThumbprint`, registration.certificateThumbprint);
  if (registration.certificate === undefined && registration.certificateThumbprint === undefined) {
    throw invalid(name, `${name} needs a certificate (PEM) or a certificateThumbprint for self_signed_tls_client_auth`);
  }
  if (registration.certificate !== undefined)
    checkCertificate(`${name}.certificate`, registration.certificate as string);
  const thumbprint = registration.certificateThumbprint;
  if (thumbprint !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(thumbprint as string)) {
    throw invalid(
      `${name}.certificateThumbprint`,
      `${name}.certificateThumbprint must be a base64url SHA-256 (43 characters)`,
    );
  }
}

function checkCertificate(option: string, pem: string): void {
  try {
    new X509Certificate(pem);
  } catch {
    throw invalid(option, `${option} must be a PEM certificate`);
  }
}

function checkTls(tls: TestServerOptions["tls"]): void {
  if (tls === undefined) return;
  checkObject("startTestServer.tls", tls ?? null);
  checkString("startTestServer.tls.cert", tls.cert, false);
  checkString("startTestServer.tls.key", tls.key, false);
  checkString("startTestServer.tls.passphrase", tls.passphrase);
  checkBoolean("startTestServer.tls.requestCert", tls.requestCert);
  const cas = typeof tls.ca === "string" ? [tls.ca] : tls.ca;
  checkStringArray("startTestServer.tls.ca", cas);
  for (const [index, ca] of (cas ?? []).entries()) checkCertificate(`startTestServer.tls.ca[${index}]`, ca);
  if (tls.requestCert === true && (cas === undefined || cas.length === 0)) {
    // Without a CA of its own, tls_client_auth would accept any publicly trusted certificate with the right subject.
    throw invalid(
      "startTestServer.tls.ca",
      "startTestServer.tls.requestCert needs tls.ca: the CA client certificates must chain to",
    );
  }
  try {
    createSecureContext({
      cert: tls.cert,
      key: tls.key,
      ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
    });
  } catch (error) {
    // OpenSSL's reason names what is wrong (bad PEM, key and certificate that do not match) and never the key itself.
    const reason = (error as Error).message.split("\n")[0];
    throw invalid(
      "startTestServer.tls",
      `startTestServer.tls: the certificate and key could not be loaded (${reason})`,
    );
  }
}

function checkCors(cors: TestServerOptions["cors"]): void {
  if (cors === undefined || typeof cors === "boolean") return;
  checkObject("startTestServer.cors", cors ?? null);
  checkStringArray("startTestServer.cors.origins", cors.origins ?? null);
  cors.origins.forEach((origin, index) => {
    if (!isSerialisedOrigin(origin)) {
      const option = `startTestServer.cors.origins[${index}]`;
      throw invalid(
        option,
        `${option} must be an http(s) origin like http://127.0.0.1:5173 (no path; not * or null: use cors: true)`,
      );
    }
  });
}

function checkDpop(dpop: TestServerOptions["dpop"]): void {
  if (dpop === undefined) return;
  checkObject("startTestServer.dpop", dpop ?? null);
  checkBoolean("startTestServer.dpop.requireNonce", dpop.requireNonce);
  checkOneOf("startTestServer.dpop.nonceMode", dpop.nonceMode, ["rotating", "one-time"]);
  checkNumber("startTestServer.dpop.nonceLifetimeSeconds", dpop.nonceLifetimeSeconds, 1, 86_400);
  checkNumber("startTestServer.dpop.iatToleranceSeconds", dpop.iatToleranceSeconds, 1, 86_400);
  checkInteger("startTestServer.dpop.replayCacheSize", dpop.replayCacheSize, 1, 10_000_000);
}

function checkResourceMetadata(metadata: TestServerOptions["resourceMetadata"]): void {
  if (metadata === undefined) return;
  checkObject("startTestServer.resourceMetadata", metadata ?? null);
  checkBoolean("startTestServer.resourceMetadata.dpopRequired", metadata.dpopRequired);
  checkBoolean("startTestServer.resourceMetadata.linkInChallenge", metadata.linkInChallenge);
  checkString("startTestServer.resourceMetadata.resource", metadata.resource);
  checkStringArray("startTestServer.resourceMetadata.authorizationServers", metadata.authorizationServers);
  const urls = [metadata.resource, ...(metadata.authorizationServers ?? [])].filter((url) => url !== undefined);
  for (const url of urls) {
    if (!URL.canParse(url)) {
      throw invalid("startTestServer.resourceMetadata", "startTestServer.resourceMetadata URLs must be absolute URLs");
    }
  }
}

function invalid(option: string, message: string): InvalidArgumentError {
  return new InvalidArgumentError("ERR_INVALID_ARG_VALUE", option, message);
}
