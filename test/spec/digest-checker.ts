/**
 * An independent Digest checker: the RFC 7616 §3.4 formulas on node:crypto,
 * and an `Authorization` reader of its own. Nothing here calls authflow's
 * hashes or parser, so a test that agrees with it checks the library.
 */
import { createHash } from "node:crypto";
import { expect } from "vitest";

const NODE_HASHES: Readonly<Record<string, string>> = {
  md5: "md5",
  sha: "sha1",
  "sha-256": "sha256",
  "sha-512": "sha512",
  "sha-512-256": "sha512-256",
};

/** H(data) for a Digest `algorithm` (its `-sess` form hashes alike); strings are UTF-8. */
export function digestHash(algorithm: string, data: string | Uint8Array): string {
  const name = NODE_HASHES[algorithm.toLowerCase().replace(/-sess$/, "")];
  if (name === undefined) throw new Error(`no node:crypto hash for ${algorithm}`);
  return createHash(name).update(data).digest("hex");
}

/** Everything a Digest `response` depends on (RFC 7616 §3.4.1). */
export interface DigestInput {
  readonly algorithm: string;
  readonly username: string;
  readonly password: string;
  readonly realm: string;
  readonly method: string;
  readonly uri: string;
  readonly nonce: string;
  readonly qop?: string | undefined;
  readonly nc?: string | undefined;
  readonly cnonce?: string | undefined;
  readonly body?: Uint8Array | undefined;
}

/** The expected `response`: KD(HA1, nonce:nc:cnonce:qop:HA2), or the RFC 2069 KD(HA1, nonce:HA2). */
export function expectedResponse(input: DigestInput): string {
  const H = (data: string | Uint8Array) => digestHash(input.algorithm, data);
  let ha1 = H(`${input.username}:${input.realm}:${input.password}`);
  // RFC 7616 §3.4.2: -sess binds A1 to the nonce and cnonce.
  if (input.algorithm.toLowerCase().endsWith("-sess")) ha1 = H(`${ha1}:${input.nonce}:${input.cnonce}`);
  const a2 =
    input.qop === "auth-int"
      ? `${input.method}:${input.uri}:${H(input.body ?? new Uint8Array(0))}`
      : `${input.method}:${input.uri}`;
  const ha2 = H(a2);
  if (input.qop === undefined) return H(`${ha1}:${input.nonce}:${ha2}`);
  return H(`${ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${ha2}`);
}

/**
 * The parameters of a `Digest` credentials value (RFC 9110 §11.4), quoted
 * strings unescaped. Fails the test if the value does not read cleanly.
 */
export function digestParams(value: string | null): Record<string, string> {
  expect(value, "a Digest Authorization header").toMatch(/^Digest /);
  const text = (value as string).slice("Digest ".length);
  const pattern = /([A-Za-z0-9*_-]+)=(?:"((?:[^"\\]|\\.)*)"|([^",\s]+))\s*(?:,\s*|$)/y;
  const params: Record<string, string> = {};
  let end = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const [, name, quoted, token] = match;
    expect(params, `parameter ${name} appears once`).not.toHaveProperty(name as string);
    params[name as string] = quoted === undefined ? (token as string) : quoted.replace(/\\(.)/g, "$1");
    end = pattern.lastIndex;
  }
  expect(end, `the whole header reads as parameters: ${value}`).toBe(text.length);
  return params;
}

/** Checks `params` (an answer the flow sent) against the independent computation. */
export function expectValidResponse(
  params: Record<string, string>,
  credentials: { username: string; password: string; method?: string; body?: Uint8Array },
): void {
  const expected = expectedResponse({
    algorithm: params.algorithm ?? "MD5",
    username: credentials.username,
    password: credentials.password,
    realm: params.realm as string,
    method: credentials.method ?? "GET",
    uri: params.uri as string,
    nonce: params.nonce as string,
    qop: params.qop,
    nc: params.nc,
    cnonce: params.cnonce,
    body: credentials.body,
  });
  expect(params.response).toBe(expected);
}
