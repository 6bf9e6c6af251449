/**
 * `--cacert`, `--cert` and `--key` read into the library's TLS options: the
 * files as PEM text, an encrypted key's passphrase from
 * `$AUTHFLOW_KEY_PASSPHRASE` or the terminal, checked once by the library
 * (`resolveTls`: a bad file, a wrong passphrase or a key that is not the
 * certificate's fails here, before any connection).
 */
import { readFile } from "node:fs/promises";
import { type ResolvedTls, resolveTls, type TlsOptions } from "../engine/tls.js";
import { InvalidArgumentError } from "../errors.js";
import type { NetworkOptions } from "./args-network.js";
import { privateKeySecrets } from "./secret-forms.js";
import { UsageError } from "./usage.js";

/**
 * The environment variable an encrypted `--key`'s passphrase is read from.
 *
 * @example
 * ```ts
 * const passphrase = process.env[KEY_PASSPHRASE_VARIABLE];
 * ```
 */
export const KEY_PASSPHRASE_VARIABLE = "AUTHFLOW_KEY_PASSPHRASE";

/**
 * The TLS options of a run, checked, and the secrets they hold (never printed).
 *
 * @example
 * ```ts
 * const { options, secrets }: LoadedTls = await loadTls(command.network, context);
 * ```
 */
export interface LoadedTls {
  /** As `Client` and `ClientCredentialsAuth` take them; undefined when no TLS flag was given. */
  readonly options: TlsOptions | undefined;
  readonly resolved: ResolvedTls | undefined;
  /** The passphrase and the key's text, line by line. */
  readonly secrets: readonly string[];
}

/**
 * What reading the files needs from the outside world.
 *
 * @example
 * ```ts
 * const context: TlsContext = { env: process.env, prompt: async () => undefined };
 * ```
 */
export interface TlsContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Asks without echo on the terminal; undefined when there is none. */
  prompt(question: string): Promise<string | undefined>;
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const KEY_BLOCK = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]*?-----END \1-----/;
// PKCS#8 `ENCRYPTED PRIVATE KEY`, or OpenSSL's traditional form with a `Proc-Type: 4,ENCRYPTED` header.
const ENCRYPTED = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/;

/**
 * Reads the TLS files of `options`.
 *
 * @throws InvalidArgumentError naming `tls.ca`, `tls.cert`, `tls.key` or `tls.passphrase` (shown as the flag) for a
 * file that cannot be read or used; UsageError when an encrypted key's passphrase can be neither read nor asked for.
 * @example
 * ```ts
 * const tls = await loadTls(command.network, { env: process.env, prompt: ask });
 * ```
 */
export async function loadTls(options: NetworkOptions, context: TlsContext): Promise<LoadedTls> {
  const { caFile, certFile, keyFile } = options;
  if (caFile === undefined && certFile === undefined) return { options: undefined, resolved: undefined, secrets: [] };
  const ca = caFile === undefined ? undefined : certificates(await read(caFile, "ca"), caFile, "ca");
  const identity = certFile === undefined ? undefined : await clientIdentity(certFile, keyFile, context);
  const tls: TlsOptions = {
    ...(ca === undefined ? {} : { ca }),
    ...(identity === undefined ? {} : identity.options),
  };
  const secrets = identity?.secrets ?? [];
  return { options: tls, resolved: resolveTls("tls", tls), secrets };
}

async function clientIdentity(
  certFile: string,
  keyFile: string | undefined,
  context: TlsContext,
): Promise<{ options: TlsOptions; secrets: string[] }> {
  const certText = await read(certFile, "cert");
  const cert = certificates(certText, certFile, "cert").join("\n");
  // curl's rule: without --key, the key is looked for in the --cert file.
  const keyText = keyFile === undefined ? certText : await read(keyFile, "key");
  const key = KEY_BLOCK.exec(keyText)?.[0];
  if (key === undefined) {
    const where =
      keyFile === undefined
        ? `--cert ${certFile} holds no private key: give --key FILE`
        : `--key ${keyFile} holds no PEM private key`;
    throw new InvalidArgumentError("ERR_INVALID_ARG_VALUE", "tls.key", where);
  }
  const secrets = privateKeySecrets(key);
  if (!ENCRYPTED.test(key)) return { options: { cert, key }, secrets };
  const passphrase = await passphraseFor(keyFile ?? certFile, context);
  return { options: { cert, key, passphrase }, secrets: [passphrase, ...secrets] };
}

async function passphraseFor(file: string, context: TlsContext): Promise<string> {
  const given = context.env[KEY_PASSPHRASE_VARIABLE];
  if (given !== undefined && given !== "") return given;
  const answer = await context.prompt(`Passphrase for ${file}: `);
  if (answer === undefined) {
    throw new UsageError(
      `the key in ${file} is encrypted, and there is no terminal to ask for its passphrase: set ${KEY_PASSPHRASE_VARIABLE}`,
    );
  }
  return answer;
}

/** Every certificate of a PEM file (a CA bundle holds several). */
function certificates(text: string, file: string, field: "ca" | "cert"): string[] {
  const found = text.match(CERTIFICATE_BLOCK) ?? [];
  if (found.length === 0) {
    const flag = field === "ca" ? "--cacert" : "--cert";
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      `tls.${field}`,
      `${flag} ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----); convert DER with openssl x509 -inform der`,
    );
  }
  return found;
}

async function read(file: string, field: "ca" | "cert" | "key"): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const flag = field === "ca" ? "--cacert" : `--${field}`;
    const code = (error as { code?: unknown }).code;
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      `tls.${field}`,
      `cannot read ${flag} ${file} (${typeof code === "string" ? code : "error"})`,
    );
  }
}
