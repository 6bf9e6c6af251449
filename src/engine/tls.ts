/**
 * TLS options (a private CA, a client certificate): their type, their
 * checks at construction, and what the transports and the OAuth cache key
 * need of them. Portable: the PEM text is only looked at; where the runtime
 * has `node:tls` (Node, Bun, Deno) it is also loaded once, so a bad key is an
 * error at construction, not at the first request.
 */
import { InvalidArgumentError } from "../errors.js";

/**
 * TLS for authflow's own connections, as PEM text (read files yourself:
 * `readFileSync(path, "utf8")`). Node and Bun: `ca` replaces the platform's
 * trusted roots, as curl's `--cacert` does; Deno adds it to them.
 *
 * @example
 * ```ts
 * const tls: TlsOptions = {
 *   ca: readFileSync("/etc/company/ca.pem", "utf8"),
 *   cert: readFileSync("client.crt", "utf8"),
 *   key: readFileSync("client.key", "utf8"),
 * };
 * const client = new Client({ baseURL: "https://api.internal", tls });
 * ```
 */
export interface TlsOptions {
  /** CA certificates to trust (PEM; one string may hold several), e.g. a company's private CA. */
  ca?: string | readonly string[];
  /** The client certificate (PEM), presented to servers that ask for one (mutual TLS, RFC 8705). Needs `key`. */
  cert?: string;
  /** The client certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1; encrypted with `passphrase` or not). */
  key?: string;
  /** The passphrase of an encrypted `key`. Never logged. */
  passphrase?: string;
}

/**
 * {@link TlsOptions} checked and normalised: `ca` as a list, every field
 * present (undefined when not given).
 *
 * @example
 * ```ts
 * const resolved: ResolvedTls = resolveTls("tls", { ca: pem });
 * resolved.ca; // [pem]
 * ```
 */
export interface ResolvedTls {
  readonly ca: readonly string[] | undefined;
  readonly cert: string | undefined;
  readonly key: string | undefined;
  readonly passphrase: string | undefined;
}

const CERTIFICATE = "-----BEGIN CERTIFICATE-----";
const PEM_HINT = "PEM text, not a file path: read the file first (readFileSync(path, 'utf8')); the value is not shown";

/**
 * Checks `value` as the {@link TlsOptions} of `option` and normalises it:
 * a coded {@link InvalidArgumentError} names the field at fault (`tls.key`…)
 * and never repeats its value.
 *
 * @example
 * ```ts
 * resolveTls("tls", { cert: pem }); // throws InvalidArgumentError (tls.key: a certificate needs its key)
 * ```
 */
export function resolveTls(option: string, value: unknown): ResolvedTls {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidArgumentError("ERR_INVALID_ARG_TYPE", option, `${option} must be an object ({ ca, cert, key })`);
  }
  const given = value as Record<string, unknown>;
  const ca = certificateList(`${option}.ca`, given.ca);
  const cert = pemField(`${option}.cert`, given.cert, (text) => text.includes(CERTIFICATE), "a PEM certificate");
  const key = pemField(`${option}.key`, given.key, isPrivateKey, "a PEM private key");
  const passphrase = given.passphrase;
  if (passphrase !== undefined && (typeof passphrase !== "string" || passphrase === "")) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_TYPE",
      `${option}.passphrase`,
      `${option}.passphrase must be a string`,
    );
  }
  if ((cert === undefined) !== (key === undefined)) {
    const missing = cert === undefined ? "cert" : "key";
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      `${option}.${missing}`,
      `${option}.cert and ${option}.key go together: give ${option}.${missing} too`,
    );
  }
  if (passphrase !== undefined && key === undefined) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      `${option}.passphrase`,
      `${option}.passphrase needs ${option}.key`,
    );
  }
  const resolved: ResolvedTls = { ca, cert, key, passphrase: passphrase as string | undefined };
  checkLoadable(option, resolved);
  return resolved;
}

function certificateList(option: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((entry) => typeof entry !== "string")) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_TYPE",
      option,
      `${option} must be a PEM string or an array of them`,
    );
  }
  for (const entry of list as string[])
    pemField(option, entry, (text) => text.includes(CERTIFICATE), "PEM certificates");
  return [...(list as string[])];
}

function pemField(option: string, value: unknown, valid: (text: string) => boolean, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") {
    throw new InvalidArgumentError("ERR_INVALID_ARG_TYPE", option, `${option} must be a string (${what})`);
  }
  if (!valid(value))
    throw new InvalidArgumentError("ERR_INVALID_ARG_VALUE", option, `${option} must be ${what}: ${PEM_HINT}`);
  return value;
}

function isPrivateKey(text: string): boolean {
  return /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(text);
}

interface NodeTls {
  createSecureContext(options: Record<string, unknown>): unknown;
}

/**
 * Loads the material once with the runtime's `node:tls` where it has one,
 * so an unreadable key, a wrong passphrase or a key that is not the
 * certificate's fails here, naming the field. OpenSSL's reason is shown: it
 * never quotes the key.
 */
function checkLoadable(option: string, tls: ResolvedTls): void {
  const host = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
  let nodeTls: NodeTls | undefined;
  try {
    nodeTls = host.process?.getBuiltinModule?.("node:tls") as NodeTls | undefined;
  } catch {
    return;
  }
  if (typeof nodeTls?.createSecureContext !== "function") return;
  const load = (field: string, options: Record<string, unknown>) => {
    try {
      nodeTls.createSecureContext(options);
    } catch (error) {
      throw materialError(option, field, error);
    }
  };
  if (tls.ca !== undefined) load("ca", { ca: [...tls.ca] });
  if (tls.cert === undefined) return;
  load("cert", { cert: tls.cert });
  load("key", { cert: tls.cert, key: tls.key, passphrase: tls.passphrase ?? "" });
}

function materialError(option: string, field: string, error: unknown): InvalidArgumentError {
  const reason = (error as { message?: unknown })?.message;
  const detail = typeof reason === "string" ? reason.slice(0, 160) : "unreadable";
  if (field === "key" && /decrypt|interrupted or cancelled|bad password|passphrase/i.test(detail)) {
    return new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      `${option}.passphrase`,
      `${option}.key is encrypted and ${option}.passphrase is missing or wrong (OpenSSL: ${detail})`,
    );
  }
  if (field === "key" && /mismatch/i.test(detail)) {
    return new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      `${option}.key`,
      `${option}.key is not the private key of ${option}.cert (OpenSSL: ${detail})`,
    );
  }
  return new InvalidArgumentError(
    "ERR_INVALID_ARG_VALUE",
    `${option}.${field}`,
    `${option}.${field} could not be loaded (OpenSSL: ${detail}); the value is not shown`,
  );
}

/**
 * The base64 body of the first certificate in `pem`, whitespace removed: the
 * DER bytes in text form, for comparing certificates and hashing them.
 *
 * @example
 * ```ts
 * certificateBody(pem) === certificateBody(pem.replaceAll("\n", "\r\n")); // true
 * ```
 */
export function certificateBody(pem: string): string {
  const start = pem.indexOf(CERTIFICATE);
  const end = pem.indexOf("-----END CERTIFICATE-----", start);
  if (start === -1 || end === -1) return "";
  return pem.slice(start + CERTIFICATE.length, end).replace(/\s+/g, "");
}

/**
 * True when both name the same client certificate (or neither has one).
 *
 * @example
 * ```ts
 * sameCertificate(resolveTls("tls", a), resolveTls("tls", a)); // true
 * ```
 */
export function sameCertificate(first: ResolvedTls, second: ResolvedTls): boolean {
  if (first.cert === undefined || second.cert === undefined) return first.cert === second.cert;
  return certificateBody(first.cert) === certificateBody(second.cert);
}
