import type { Challenge } from "../headers/challenge.js";
import { type DigestAlgorithm, type ResolvedAlgorithm, resolveAlgorithm } from "./digest-hash.js";

/** A Digest challenge checked against RFC 7616 §3.3 and resolved to what we will answer. */
export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque: string | undefined;
  /** The `algorithm` parameter as the server spelled it (echoed back), or undefined when absent. */
  readonly algorithmParam: string | undefined;
  readonly resolved: ResolvedAlgorithm;
  /** The qop we answer with; undefined for an RFC 2069 server that offered none. */
  readonly qop: "auth" | "auth-int" | undefined;
  readonly stale: boolean;
  readonly userhash: boolean;
  /** `charset=UTF-8` (RFC 7616 §3.3): the server reads `username*` (RFC 8187). */
  readonly utf8: boolean;
  /** The raw `domain` URIs (RFC 7616 §3.3), space-separated in the challenge. */
  readonly domain: readonly string[];
}

/** What {@link selectDigestChallenge} found: the strongest usable challenge, and what was offered. */
export interface DigestSelection {
  readonly selected: DigestChallenge | undefined;
  /** One entry per challenge: the algorithm for Digest challenges, the scheme for others. */
  readonly offered: string[];
}

/** RFC 7616 §3.3 qop: prefer `auth`; `auth-int` only when it is the only one offered. */
function chooseQop(value: string): "auth" | "auth-int" | null {
  let authInt = false;
  for (const option of value.split(",")) {
    const trimmed = option.trim().toLowerCase();
    if (trimmed === "auth") return "auth";
    if (trimmed === "auth-int") authInt = true;
  }
  return authInt ? "auth-int" : null;
}

/** `domain` URIs kept per challenge: the lookup scans them, so their number is bounded. */
const MAX_DOMAIN_URIS = 16;

function splitDomain(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(" ")
    .filter((uri) => uri.length > 0)
    .slice(0, MAX_DOMAIN_URIS);
}

/**
 * Checks one parsed challenge. Returns undefined when it cannot be answered:
 * missing realm or nonce, unknown or refused algorithm, no qop we speak, or a
 * `-sess` algorithm without qop (A1 needs a cnonce, which only qop carries).
 */
export function toDigestChallenge(
  challenge: Challenge,
  allowed: ReadonlySet<DigestAlgorithm> | undefined,
): DigestChallenge | undefined {
  const { params } = challenge;
  const { realm, nonce } = params;
  if (challenge.token68 !== undefined || realm === undefined || nonce === undefined) return undefined;
  const resolved = resolveAlgorithm(params.algorithm);
  if (resolved === undefined || (allowed !== undefined && !allowed.has(resolved.algorithm))) return undefined;
  let qop: "auth" | "auth-int" | undefined;
  if (params.qop !== undefined) {
    const chosen = chooseQop(params.qop);
    if (chosen === null) return undefined;
    qop = chosen;
  } else if (resolved.session) {
    return undefined;
  }
  return {
    realm,
    nonce,
    opaque: params.opaque,
    algorithmParam: params.algorithm,
    resolved,
    qop,
    stale: params.stale?.toLowerCase() === "true",
    userhash: params.userhash?.toLowerCase() === "true",
    utf8: params.charset?.toLowerCase() === "utf-8",
    domain: splitDomain(params.domain),
  };
}

/**
 * Picks the strongest Digest challenge (RFC 7616 §3.7: a server may offer one
 * per algorithm). SHA-512-256 > SHA-256 > SHA-512 > SHA > MD5; on a tie the
 * server's first. Never the last one seen, which is how requests downgrades
 * SHA-256 to MD5 (scenario DIG-01 in SECURITY.md).
 */
export function selectDigestChallenge(
  challenges: readonly Challenge[],
  allowed: ReadonlySet<DigestAlgorithm> | undefined,
): DigestSelection {
  let selected: DigestChallenge | undefined;
  const offered: string[] = [];
  for (const challenge of challenges) {
    if (challenge.scheme.toLowerCase() !== "digest") {
      offered.push(challenge.scheme);
      continue;
    }
    offered.push(challenge.params.algorithm ?? "MD5");
    const candidate = toDigestChallenge(challenge, allowed);
    if (candidate !== undefined && (selected === undefined || candidate.resolved.rank > selected.resolved.rank)) {
      selected = candidate;
    }
  }
  return { selected, offered };
}

/** RFC 9110 §5.6.4 quoted-string: backslash-escape `"` and `\`. */
export function quote(value: string): string {
  if (value.indexOf('"') < 0 && value.indexOf("\\") < 0) return `"${value}"`;
  let escaped = "";
  for (const char of value) escaped += char === '"' || char === "\\" ? `\\${char}` : char;
  return `"${escaped}"`;
}

/** True when every character is printable ASCII, so `username` can carry it as is. */
export function isPrintableAscii(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code > 0x7e) return false;
  }
  return true;
}

// RFC 8187 §3.2.1 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
const ATTR_CHARS = new Set("!#$&+-.^_`|~");
const encoder = new TextEncoder();

/** RFC 8187 ext-value with the UTF-8 charset: `UTF-8''J%C3%A4s%C3%B8n`. */
export function encodeExtValue(value: string): string {
  let encoded = "UTF-8''";
  for (const byte of encoder.encode(value)) {
    const char = String.fromCharCode(byte);
    const alphanumeric =
      (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
    encoded += alphanumeric || ATTR_CHARS.has(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}
