import type { ClientAuthMethod } from "../index.js";
import { UsageError } from "./usage.js";

/**
 * The credentials a command line asks for, checked for consistency but not
 * yet resolved: a password or secret left out is read later from the
 * environment or asked for (see credentials.ts).
 */
export type CredentialOptions =
  | { readonly type: "none" }
  | {
      readonly type: "basic" | "digest";
      readonly username: string;
      /** Given after the colon of `-a USER:PASS`; undefined when left out. */
      readonly password: string | undefined;
    }
  | {
      readonly type: "bearer";
      /** From `--token` or `-A bearer -a TOKEN`. */
      readonly token: string | undefined;
      readonly tokenEnv: string | undefined;
    }
  | {
      readonly type: "oauth2";
      readonly tokenUrl: string | undefined;
      readonly issuer: string | undefined;
      readonly clientId: string;
      readonly clientSecretEnv: string | undefined;
      readonly clientAuth: ClientAuthMethod;
      readonly privateKeyFile: string | undefined;
      readonly scope: string | undefined;
      readonly audience: string | undefined;
      /** `--dpop`: a DPoP-bound token and a proof on every request (RFC 9449). */
      readonly dpop: boolean;
      /** `--allowed-issuer URL…`: resource discovery (RFC 9728) instead of a token URL or issuer. */
      readonly allowedIssuers: readonly string[];
    }
  | { readonly type: "netrc"; readonly path: string | undefined };

/** The option values node:util's parseArgs gives. */
type Values = Readonly<Record<string, string | boolean | string[] | undefined>>;

const AUTH_TYPES = ["basic", "digest", "bearer", "oauth2"] as const;
type AuthType = (typeof AUTH_TYPES)[number];
const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = [
  "client_secret_basic",
  "client_secret_post",
  "client_secret_jwt",
  "private_key_jwt",
  "tls_client_auth",
  "self_signed_tls_client_auth",
];
/** RFC 8705 §2: the client authenticates by its certificate, so there is no secret. */
const MUTUAL_TLS = new Set<ClientAuthMethod>(["tls_client_auth", "self_signed_tls_client_auth"]);

/** The options that belong to each kind of credential. */
const GROUPS: Readonly<Record<"basic" | "bearer" | "oauth2" | "netrc", readonly string[]>> = {
  basic: ["auth"],
  bearer: ["token", "token-env"],
  oauth2: [
    "token-url",
    "issuer",
    "allowed-issuer",
    "client-id",
    "client-secret-env",
    "client-auth",
    "private-key",
    "scope",
    "audience",
    "dpop",
  ],
  netrc: ["netrc", "netrc-file"],
};

/**
 * Works out which credentials the options ask for and checks they fit
 * together: `-A` when given, else the one group of options used.
 *
 * @throws UsageError when options conflict or something needed is missing.
 * @example
 * ```ts
 * checkCredentials({ "auth-type": "digest", auth: "alice" }); // { type: "digest", username: "alice", password: undefined }
 * ```
 */
export function checkCredentials(values: Values): CredentialOptions {
  const used = (Object.keys(GROUPS) as (keyof typeof GROUPS)[]).filter((group) =>
    GROUPS[group].some((name) => values[name] !== undefined),
  );
  const explicit = text(values, "auth-type");
  if (explicit !== undefined && !(AUTH_TYPES as readonly string[]).includes(explicit)) {
    // curl's -A is the User-Agent: say so when the value looks like one.
    const agent = /[/\s]/.test(explicit) ? "; curl's -A (User-Agent) is -H 'User-Agent: …' here" : "";
    throw new UsageError(`-A takes one of ${AUTH_TYPES.join(", ")} (got ${explicit})${agent}`);
  }
  const type = (explicit as AuthType | undefined) ?? inferred(used, values);
  if (type === "none" || type === "netrc") return type === "none" ? { type } : netrc(values, used);
  rejectOthers(type, used, values);
  if (type === "basic" && used.includes("netrc")) return netrc(values, used);
  if (type === "bearer") return bearer(values);
  if (type === "oauth2") return oauth2(values);
  return userAndPassword(type, values);
}

function inferred(used: readonly string[], values: Values): AuthType | "none" | "netrc" {
  if (used.length > 1) {
    throw new UsageError(
      `conflicting credentials: ${used.map((group) => given(group, values)).join(" and ")}; use one kind (or say which with -A)`,
    );
  }
  if (used[0] === "netrc") return "netrc";
  return (used[0] as AuthType | undefined) ?? "none";
}

/** The first option of `group` the command line used, as typed: `-a`, `--dpop`. */
function given(group: string, values: Values): string {
  const name = GROUPS[group as keyof typeof GROUPS].find((option) => values[option] !== undefined) ?? "";
  return name === "auth" ? "-a" : `--${name}`;
}

/** Options of another kind of credential than `type` are a mistake, not something to ignore. */
function rejectOthers(type: AuthType, used: readonly string[], values: Values): void {
  const allowed: Record<AuthType, readonly string[]> = {
    basic: ["basic", "netrc"],
    digest: ["basic"],
    bearer: ["basic", "bearer"],
    oauth2: ["oauth2"],
  };
  const stray = used.find((group) => !allowed[type].includes(group));
  if (stray === undefined) return;
  throw new UsageError(`${given(stray, values)} does not apply to -A ${type}`);
}

function userAndPassword(type: "basic" | "digest", values: Values): CredentialOptions {
  const auth = text(values, "auth");
  if (auth === undefined) throw new UsageError(`-A ${type} needs -a USER[:PASS]`);
  const colon = auth.indexOf(":");
  const username = colon < 0 ? auth : auth.slice(0, colon);
  if (username === "") throw new UsageError("-a needs a user name before the colon: -a USER[:PASS]");
  return { type, username, password: colon < 0 ? undefined : auth.slice(colon + 1) };
}

function bearer(values: Values): CredentialOptions {
  const token = text(values, "token") ?? text(values, "auth");
  const tokenEnv = text(values, "token-env");
  if (values.token !== undefined && values.auth !== undefined) {
    throw new UsageError("give the bearer token once: --token or -a, not both");
  }
  if (token !== undefined && tokenEnv !== undefined) {
    throw new UsageError("give the bearer token once: --token-env or --token, not both");
  }
  return { type: "bearer", token, tokenEnv };
}

function oauth2(values: Values): CredentialOptions {
  const tokenUrl = text(values, "token-url");
  const issuer = text(values, "issuer");
  const allowedIssuers = Array.isArray(values["allowed-issuer"]) ? values["allowed-issuer"] : [];
  const clientId = text(values, "client-id");
  checkEndpoint(tokenUrl, issuer, allowedIssuers);
  if (clientId === undefined) throw new UsageError("-A oauth2 needs --client-id ID");
  const clientAuth = (text(values, "client-auth") ?? "client_secret_basic") as ClientAuthMethod;
  if (!CLIENT_AUTH_METHODS.includes(clientAuth)) {
    throw new UsageError(`--client-auth takes one of ${CLIENT_AUTH_METHODS.join(", ")} (got ${clientAuth})`);
  }
  const privateKeyFile = text(values, "private-key");
  const clientSecretEnv = text(values, "client-secret-env");
  checkClientAuth(clientAuth, { privateKeyFile, clientSecretEnv, values });
  return {
    type: "oauth2",
    tokenUrl,
    issuer,
    clientId,
    clientSecretEnv,
    clientAuth,
    privateKeyFile,
    scope: text(values, "scope"),
    audience: text(values, "audience"),
    dpop: values.dpop === true,
    allowedIssuers,
  };
}

/** One way to the token endpoint: `--token-url`, `--issuer`, or discovery from the resource (`--allowed-issuer`). */
function checkEndpoint(tokenUrl: string | undefined, issuer: string | undefined, allowed: readonly string[]): void {
  if (allowed.length > 0 && (tokenUrl !== undefined || issuer !== undefined)) {
    throw new UsageError(
      `--allowed-issuer is for discovering the authorization server from the resource; it does not go with ${tokenUrl === undefined ? "--issuer" : "--token-url"}`,
    );
  }
  for (const url of allowed) checkAbsolute(url, "--allowed-issuer");
  if (allowed.length > 0) return;
  if ((tokenUrl === undefined) === (issuer === undefined)) {
    throw new UsageError(
      "-A oauth2 needs one of --token-url URL, --issuer URL, or --allowed-issuer URL (to discover it from the resource)",
    );
  }
  checkAbsolute(tokenUrl ?? (issuer as string), tokenUrl === undefined ? "--issuer" : "--token-url");
}

/** What each client authentication method needs, and what does not apply to it. */
function checkClientAuth(
  method: ClientAuthMethod,
  given: { privateKeyFile: string | undefined; clientSecretEnv: string | undefined; values: Values },
): void {
  const { privateKeyFile, clientSecretEnv, values } = given;
  if (method === "private_key_jwt" && privateKeyFile === undefined) {
    throw new UsageError("--client-auth private_key_jwt needs --private-key FILE (a JWK or PKCS#8 PEM)");
  }
  if (method !== "private_key_jwt" && privateKeyFile !== undefined) {
    throw new UsageError("--private-key applies to --client-auth private_key_jwt only");
  }
  const secretless = method === "private_key_jwt" || MUTUAL_TLS.has(method);
  if (secretless && clientSecretEnv !== undefined) {
    throw new UsageError(`--client-secret-env does not apply to --client-auth ${method}`);
  }
  if (MUTUAL_TLS.has(method) && values.cert === undefined) {
    throw new UsageError(
      `--client-auth ${method} authenticates with a client certificate: give --cert FILE and --key FILE`,
    );
  }
}

function netrc(values: Values, used: readonly string[]): CredentialOptions {
  if (used.length > 1) throw new UsageError("--netrc cannot be combined with other credentials");
  return { type: "netrc", path: text(values, "netrc-file") };
}

function checkAbsolute(url: string, option: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${option} needs an absolute URL, e.g. https://auth.example.com/oauth/token`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new UsageError(`${option} needs an http: or https: URL (got ${parsed.protocol})`);
  }
}

function text(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}
