import { readFile } from "node:fs/promises";
import {
  type Auth,
  BasicAuth,
  BearerAuth,
  ClientCredentialsAuth,
  DigestAuth,
  type FetchLike,
  MissingCredentialsError,
  NetrcAuth,
  type PrivateKeyInput,
  type TlsOptions,
  type TokenStore,
} from "../index.js";
import { AnyAuth } from "./anyauth.js";
import type { CredentialOptions } from "./args-auth.js";
import { privateKeySecrets } from "./secret-forms.js";
import { UsageError } from "./usage.js";

/** What resolving the credentials needs from the outside world. */
export interface CredentialContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Asks for a secret without echo on the terminal; undefined when there is no terminal at all. */
  prompt(question: string): Promise<string | undefined>;
  /** The transport for the token endpoint (the verbose log wraps it). */
  readonly fetch: FetchLike;
  readonly insecureAuth: boolean;
  /** `--anyauth`: a user and password answer Digest or Basic, whichever the server asks for. */
  readonly anyauth?: boolean;
  /** Where OAuth 2.0 tokens are kept (`--session`); a fresh memory store when undefined. */
  readonly store?: TokenStore | undefined;
  /**
   * `--cacert`/`--cert`/`--key`: the fetch above applies them; given to
   * ClientCredentialsAuth too, so that tokens bound to the certificate
   * (RFC 8705 §3) are cached under its thumbprint.
   */
  readonly tls?: TlsOptions | undefined;
}

/** An `Auth` ready to use, the secrets it holds (kept out of everything printed), and warnings. */
export interface ResolvedCredentials {
  readonly auth: Auth | null;
  readonly secrets: readonly string[];
  /** The user name or client id the secrets go with, for their Basic spelling (`base64(user:pass)`). */
  readonly username?: string;
  readonly warnings: readonly string[];
}

/** The environment variable `-a USER` reads the password from. */
export const PASSWORD_VARIABLE = "AUTHFLOW_PASSWORD";

const SEEN_BY_OTHERS = "where other users (ps) and your shell history can see it";

/**
 * Turns checked command-line credentials into an `Auth`: a password or
 * secret left out comes from the environment or is asked for on the
 * terminal; one given on the command line works but earns a warning.
 *
 * @throws UsageError when a secret is needed and cannot be asked for.
 * @example
 * ```ts
 * const { auth, warnings } = await resolveCredentials({ type: "basic", username: "u", password: undefined }, context);
 * ```
 */
export async function resolveCredentials(
  options: CredentialOptions,
  context: CredentialContext,
): Promise<ResolvedCredentials> {
  switch (options.type) {
    case "none":
      return { auth: null, secrets: [], warnings: [] };
    case "netrc":
      return { auth: new NetrcAuth(options.path), secrets: [], warnings: [] };
    case "basic":
    case "digest":
      return userAndPassword(options, context);
    case "bearer":
      return bearer(options, context);
    case "oauth2":
      return clientCredentials(options, context);
  }
}

async function userAndPassword(
  options: Extract<CredentialOptions, { type: "basic" | "digest" }>,
  context: CredentialContext,
): Promise<ResolvedCredentials> {
  const warnings =
    options.password === undefined
      ? []
      : [
          `the password was given on the command line (-a USER:PASS), ${SEEN_BY_OTHERS}; leave it out to be asked, or set ${PASSWORD_VARIABLE}`,
        ];
  const password =
    options.password ??
    nonEmpty(context.env[PASSWORD_VARIABLE]) ??
    (await ask(
      context,
      `Password for ${options.username}: `,
      `no password for ${options.username}, and no terminal to ask on: set ${PASSWORD_VARIABLE}`,
    ));
  const auth =
    context.anyauth === true
      ? new AnyAuth(options.username, password)
      : options.type === "digest"
        ? new DigestAuth(options.username, password)
        : new BasicAuth(options.username, password);
  return { auth, secrets: [password], username: options.username, warnings };
}

async function bearer(
  options: Extract<CredentialOptions, { type: "bearer" }>,
  context: CredentialContext,
): Promise<ResolvedCredentials> {
  if (options.tokenEnv !== undefined) {
    const value = context.env[options.tokenEnv];
    // BearerAuth.fromEnv reads the variable at request time and names it when it is missing.
    return { auth: BearerAuth.fromEnv(options.tokenEnv), secrets: value === undefined ? [] : [value], warnings: [] };
  }
  const warnings =
    options.token === undefined
      ? []
      : [
          `the bearer token was given on the command line, ${SEEN_BY_OTHERS}; use --token-env VAR, or leave it out to be asked`,
        ];
  const token =
    options.token ??
    (await ask(context, "Bearer token: ", "no bearer token, and no terminal to ask on: use --token-env VAR"));
  return { auth: new BearerAuth(token), secrets: [token], warnings };
}

async function clientCredentials(
  options: Extract<CredentialOptions, { type: "oauth2" }>,
  context: CredentialContext,
): Promise<ResolvedCredentials> {
  const secret = SECRETLESS.has(options.clientAuth) ? undefined : await clientSecret(options, context);
  const keyText = options.privateKeyFile === undefined ? undefined : await readKeyFile(options.privateKeyFile);
  const auth = new ClientCredentialsAuth({
    clientId: options.clientId,
    clientAuth: options.clientAuth,
    fetch: context.fetch,
    allowInsecureAuth: context.insecureAuth,
    ...endpointOptions(options),
    ...(secret === undefined ? {} : { clientSecret: secret }),
    ...(keyText === undefined ? {} : { privateKey: privateKeyOf(keyText, options.privateKeyFile as string) }),
    ...(options.scope === undefined ? {} : { scope: options.scope }),
    ...(options.audience === undefined ? {} : { audience: options.audience }),
    ...(context.store === undefined ? {} : { store: context.store }),
    ...(context.tls?.cert === undefined ? {} : { tls: context.tls }),
    ...(options.dpop ? { dpop: true } : {}),
  });
  const secrets = [
    ...(secret === undefined ? [] : [secret]),
    ...(keyText === undefined ? [] : privateKeySecrets(keyText)),
  ];
  return { auth, secrets, username: options.clientId, warnings: [] };
}

/** RFC 7523 and RFC 8705 §2: methods that authenticate without a client secret. */
const SECRETLESS = new Set(["private_key_jwt", "tls_client_auth", "self_signed_tls_client_auth"]);

/** The token endpoint, the issuer, or the issuers discovery may use (RFC 9728). */
function endpointOptions(
  options: Extract<CredentialOptions, { type: "oauth2" }>,
): { tokenUrl: string } | { issuer: string } | { allowedIssuers: readonly string[] } | Record<string, never> {
  if (options.tokenUrl !== undefined) return { tokenUrl: options.tokenUrl };
  if (options.issuer !== undefined) return { issuer: options.issuer };
  return options.allowedIssuers.length === 0 ? {} : { allowedIssuers: options.allowedIssuers };
}

async function clientSecret(
  options: Extract<CredentialOptions, { type: "oauth2" }>,
  context: CredentialContext,
): Promise<string> {
  const name = options.clientSecretEnv;
  if (name === undefined) {
    return ask(
      context,
      `Client secret for ${options.clientId}: `,
      "no client secret, and no terminal to ask on: use --client-secret-env VAR",
    );
  }
  const value = nonEmpty(context.env[name]);
  if (value === undefined) {
    throw new MissingCredentialsError(`environment variable ${name} (--client-secret-env) is not set or empty`);
  }
  return value;
}

/** The text of a `--private-key` file. */
async function readKeyFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new MissingCredentialsError(
      `cannot read --private-key ${path} (${(error as { code?: string }).code ?? "error"})`,
    );
  }
}

/** A JWK (JSON) or a PKCS#8 PEM private key. */
function privateKeyOf(text: string, path: string): PrivateKeyInput {
  if (!text.trimStart().startsWith("{")) return text;
  try {
    return JSON.parse(text) as JsonWebKey;
  } catch {
    throw new MissingCredentialsError(`--private-key ${path} starts with '{' but is not a JSON Web Key`);
  }
}

async function ask(context: CredentialContext, question: string, otherwise: string): Promise<string> {
  const answer = await context.prompt(question);
  if (answer === undefined) throw new UsageError(otherwise);
  return answer;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
