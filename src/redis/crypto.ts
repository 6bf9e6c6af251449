import { InvalidArgumentError } from "../errors.js";
/**
 * AES-256-GCM sealing of values kept in Redis, with WebCrypto only. Each value
 * gets a fresh random 96-bit IV (NIST SP 800-38D §8.2.2: never reuse one under
 * a key), and the Redis key name is bound as additional authenticated data, so
 * a value copied under another key name does not open.
 */

/**
 * A 256-bit AES key: 32 bytes, the same 32 bytes as a 64-character hex string
 * or as base64 / base64url, or a WebCrypto AES-GCM `CryptoKey` able to
 * `encrypt` and `decrypt`.
 *
 * @example
 * ```ts
 * const key: EncryptionKeyInput = process.env.AUTHFLOW_TOKEN_KEY!; // openssl rand -base64 32
 * ```
 */
export type EncryptionKeyInput = Uint8Array | string | CryptoKey;

/** The marker and version of a sealed value; the rest is `iv.ciphertext` in base64url. */
const SEALED_PREFIX = "aesgcm1:";
const IV_BYTES = 12;
const KEY_BYTES = 32;

/**
 * The key bytes of `input`, checked now so a bad key fails at construction,
 * not at the first token. A CryptoKey passes through.
 *
 * @example
 * ```ts
 * keyMaterial("00".repeat(32)); // Uint8Array(32)
 * ```
 */
export function keyMaterial(input: EncryptionKeyInput): Uint8Array<ArrayBuffer> | CryptoKey {
  if (typeof input === "string") return checkedLength(decodeKeyString(input));
  if (input instanceof Uint8Array) return checkedLength(new Uint8Array(input));
  if (isCryptoKey(input)) {
    if (input.algorithm.name !== "AES-GCM" || !input.usages.includes("encrypt") || !input.usages.includes("decrypt")) {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        "encryptionKey",
        "encryptionKey must be an AES-GCM CryptoKey with the encrypt and decrypt usages",
      );
    }
    return input;
  }
  throw new InvalidArgumentError(
    "ERR_INVALID_ARG_VALUE",
    "encryptionKey",
    "encryptionKey must be 32 bytes, a hex or base64 string of 32 bytes, or a CryptoKey",
  );
}

/**
 * A WebCrypto key for {@link seal} and {@link open}; raw bytes are imported
 * non-extractable.
 *
 * @example
 * ```ts
 * const key = await importEncryptionKey(keyMaterial(process.env.AUTHFLOW_TOKEN_KEY!));
 * ```
 */
export async function importEncryptionKey(material: Uint8Array<ArrayBuffer> | CryptoKey): Promise<CryptoKey> {
  if (!(material instanceof Uint8Array)) return material;
  return crypto.subtle.importKey("raw", material, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/**
 * `plaintext` encrypted under `key` with `name` as additional data.
 *
 * @example
 * ```ts
 * const sealed = await seal(key, "authflow:token:3f0c…", '{"accessToken":"…"}'); // "aesgcm1:…"
 * ```
 */
export async function seal(key: CryptoKey, name: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const encoder = new TextEncoder();
  const parameters = { name: "AES-GCM", iv, additionalData: encoder.encode(name) };
  const ciphertext = await crypto.subtle.encrypt(parameters, key, encoder.encode(plaintext));
  return `${SEALED_PREFIX}${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ciphertext))}`;
}

/**
 * The plaintext of a value {@link seal} made under the same key and `name`;
 * undefined when it is not a sealed value, or was sealed under another key or
 * name, or was tampered with.
 *
 * @example
 * ```ts
 * await open(key, "authflow:token:3f0c…", sealed); // '{"accessToken":"…"}'
 * ```
 */
export async function open(key: CryptoKey, name: string, sealed: string): Promise<string | undefined> {
  if (!isSealed(sealed)) return undefined;
  const [ivText, ciphertextText] = sealed.slice(SEALED_PREFIX.length).split(".");
  if (ivText === undefined || ciphertextText === undefined) return undefined;
  const iv = fromBase64Url(ivText);
  if (iv.length !== IV_BYTES) return undefined;
  try {
    const parameters = { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(name) };
    const plaintext = await crypto.subtle.decrypt(parameters, key, fromBase64Url(ciphertextText));
    return new TextDecoder("utf-8", { fatal: true }).decode(plaintext);
  } catch {
    // Wrong key, another key name, or altered bytes: the GCM tag says no.
    return undefined;
  }
}

/**
 * True when `value` has the shape {@link seal} produces.
 *
 * @example
 * ```ts
 * isSealed('{"accessToken":"…"}'); // false
 * ```
 */
export function isSealed(value: string): boolean {
  return value.startsWith(SEALED_PREFIX);
}

/** A 64-character hex string is hex; anything else must be base64 or base64url. */
function decodeKeyString(text: string): Uint8Array<ArrayBuffer> {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Uint8Array.from(Buffer.from(trimmed, "hex"));
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      "encryptionKey",
      "encryptionKey as a string must be 64 hex characters or base64 of 32 bytes",
    );
  }
  return Uint8Array.from(Buffer.from(trimmed.replace(/-/g, "+").replace(/_/g, "/"), "base64"));
}

function checkedLength(bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  if (bytes.length !== KEY_BYTES) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      "encryptionKey",
      `encryptionKey must be ${KEY_BYTES} bytes (AES-256), got ${bytes.length}`,
    );
  }
  return bytes;
}

function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== "undefined" && value instanceof CryptoKey;
}

function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(Buffer.from(text, "base64url"));
}
