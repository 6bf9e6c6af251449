import { sha256Hex } from "../hashes/sha.js";

/**
 * Credential identities for the bad-credential guard: a keyed digest
 * (HMAC-SHA-256, RFC 2104) of the credentials under a random key drawn once
 * per process, so the guard can tell "the same credentials again" without
 * keeping them. The key never leaves this module and is never persisted: the
 * state it keys is in-process too.
 */

const BLOCK_BYTES = 64;
const encoder = new TextEncoder();

/**
 * The HMAC key's inner and outer pads (RFC 2104 §2), from 64 random bytes
 * drawn at first use: workerd refuses random values in a module's global scope.
 */
let pads: readonly [Uint8Array, Uint8Array] | undefined;

function keyPads(): readonly [Uint8Array, Uint8Array] {
  if (pads !== undefined) return pads;
  const key = crypto.getRandomValues(new Uint8Array(BLOCK_BYTES));
  const inner = new Uint8Array(BLOCK_BYTES);
  const outer = new Uint8Array(BLOCK_BYTES);
  for (let index = 0; index < BLOCK_BYTES; index++) {
    inner[index] = (key[index] as number) ^ 0x36;
    outer[index] = (key[index] as number) ^ 0x5c;
  }
  key.fill(0);
  pads = [inner, outer];
  return pads;
}

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let index = 0; index < bytes.length; index++)
    bytes[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  return bytes;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/=+$/, "").replaceAll("+", "-").replaceAll("/", "_");
}

/**
 * The keyed digest of `parts` (each prefixed with its length, so no two lists
 * of parts share a message): 128 bits of HMAC-SHA-256 in base64url, after
 * `kind` so identities of different kinds never meet.
 *
 * @example
 * ```ts
 * keyedIdentity("d", username, password); // "d:Pq3…" (22 characters after the kind)
 * ```
 */
export function keyedIdentity(kind: string, ...parts: string[]): string {
  const [innerPad, outerPad] = keyPads();
  const message = encoder.encode(parts.map((part) => `${part.length}:${part}`).join(""));
  const inner = new Uint8Array(BLOCK_BYTES + message.length);
  inner.set(innerPad);
  inner.set(message, BLOCK_BYTES);
  const outer = new Uint8Array(BLOCK_BYTES + 32);
  outer.set(outerPad);
  outer.set(hexToBytes(sha256Hex(inner)), BLOCK_BYTES);
  inner.fill(0);
  message.fill(0);
  return `${kind}:${base64url(hexToBytes(sha256Hex(outer).slice(0, 32)))}`;
}

/**
 * The identity of credential headers as sent: `name: value` lines, names
 * lower-cased and sorted, so a header set by `BasicAuth`, by a function or by
 * hand counts as the same credentials.
 *
 * @example
 * ```ts
 * headerIdentity([["authorization", "Basic dTpw"]]); // same as BasicAuth("u", "p")'s identity
 * ```
 */
export function headerIdentity(headers: ReadonlyArray<readonly [string, string]>): string {
  const lines = headers.map(([name, value]) => `${name.toLowerCase()}: ${value}`).sort();
  return keyedIdentity("h", ...lines);
}

const objectIdentities = new WeakMap<object, string>();
let objects = 0;

/**
 * The identity of an Auth that says nothing of its credentials (a custom
 * class): the object itself. Held weakly; the number is never reused.
 */
export function objectIdentity(auth: object): string {
  let identity = objectIdentities.get(auth);
  if (identity === undefined) {
    identity = `o:${++objects}`;
    objectIdentities.set(auth, identity);
  }
  return identity;
}
