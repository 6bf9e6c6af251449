import { parseChallenges } from "../index.js";
import type { CredentialOptions } from "./args-auth.js";

/**
 * The schemes a `WWW-Authenticate` value offers, lower-cased, in order; empty
 * when there is none or it does not parse.
 *
 * @example
 * ```ts
 * offeredSchemes('Digest realm="r", nonce="n", Basic realm="r"'); // ["digest", "basic"]
 * ```
 */
export function offeredSchemes(header: string | null): string[] {
  if (header === null) return [];
  try {
    return parseChallenges(header).map((challenge) => challenge.scheme.toLowerCase());
  } catch {
    return [];
  }
}

/** The scheme each kind of credentials answers with. */
const SENDS: Readonly<Record<CredentialOptions["type"], string | undefined>> = {
  none: undefined,
  basic: "basic",
  netrc: "basic",
  digest: "digest",
  bearer: "bearer",
  oauth2: "bearer",
};

/** How to answer each scheme from the command line. */
const HOW: Readonly<Record<string, string>> = {
  basic: "-a USER",
  digest: "-A digest -a USER (or --anyauth -a USER)",
  bearer: "--token-env VAR, or OAuth 2.0 with --token-url/--issuer and --client-id",
};

/**
 * After a final 401: what the server asked for, and how to give it — when
 * the command sent nothing, or a scheme the server did not offer. Undefined
 * when the scheme was right (the credentials themselves were refused) or the
 * server named no scheme.
 *
 * @example
 * ```ts
 * schemeHint('Digest realm="api"', "basic", false);
 * // 'the server asks for Digest (realm "api"), not Basic: use -A digest -a USER (or --anyauth -a USER)'
 * ```
 */
export function schemeHint(
  header: string | null,
  type: CredentialOptions["type"],
  anyauth: boolean,
): string | undefined {
  if (header === null) return undefined;
  let challenges: ReturnType<typeof parseChallenges>;
  try {
    challenges = parseChallenges(header);
  } catch {
    return undefined;
  }
  const sent = anyauth ? undefined : SENDS[type];
  const schemes = challenges.map((challenge) => challenge.scheme.toLowerCase());
  if (schemes.length === 0 || (sent !== undefined && schemes.includes(sent))) return undefined;
  if (anyauth && schemes.some((scheme) => scheme === "basic" || scheme === "digest")) return undefined;
  const first = challenges.find((challenge) => HOW[challenge.scheme.toLowerCase()] !== undefined) ?? challenges[0];
  if (first === undefined) return undefined;
  const name = first.scheme.toLowerCase();
  const realm = first.params.realm === undefined ? "" : ` (realm ${JSON.stringify(first.params.realm)})`;
  const offered = `${capitalised(name)}${realm}`;
  const how = HOW[name];
  const others =
    schemes.length > 1 ? `; it offers ${challenges.map((c) => capitalised(c.scheme.toLowerCase())).join(", ")}` : "";
  if (sent === undefined) {
    return `the server asks for ${offered}${others}${how === undefined ? "" : `: answer with ${how}`}`;
  }
  const use = how === undefined ? "authflow does not speak it" : `use ${how}`;
  return `the server asks for ${offered}, not ${capitalised(sent)}${others}: ${use}`;
}

function capitalised(scheme: string): string {
  return scheme === "dpop" ? "DPoP" : `${scheme.charAt(0).toUpperCase()}${scheme.slice(1)}`;
}
