import type { Token } from "../stores/store.js";
import { isSealed, open, seal } from "./crypto.js";

/**
 * Why a stored value was not turned back into a token: `"undecryptable"` when
 * it was sealed under another key (or is plain while a key is set, or sealed
 * while none is), `"malformed"` when it is not a token at all.
 */
export type DecodeFailure = "undecryptable" | "malformed";

/**
 * Turns tokens into the strings kept in Redis and back: JSON, sealed with
 * AES-GCM when a key is given. Reading never throws: a value this codec cannot
 * read is reported and treated as a miss, so the caller fetches a new token.
 *
 * @example
 * ```ts
 * const codec = new TokenCodec(await importEncryptionKey(material));
 * const text = await codec.encode(token, "authflow:token:3f0c…");
 * await codec.decode(text, "authflow:token:3f0c…"); // token
 * ```
 */
export class TokenCodec {
  readonly #key: Promise<CryptoKey> | undefined;

  /** `key`: seal values with it; undefined keeps them as plain JSON. */
  constructor(key: Promise<CryptoKey> | undefined) {
    this.#key = key;
    // A key that fails to import surfaces on use; do not leave the rejection unhandled meanwhile.
    key?.catch(() => {});
  }

  /** True when values are sealed. */
  get encrypted(): boolean {
    return this.#key !== undefined;
  }

  /** The stored form of `token` under the Redis key `name`. */
  async encode(token: Token, name: string): Promise<string> {
    const json = JSON.stringify({
      accessToken: token.accessToken,
      tokenType: token.tokenType,
      expiresAt: token.expiresAt,
      scope: token.scope,
      raw: token.raw,
    });
    return this.#key === undefined ? json : seal(await this.#key, name, json);
  }

  /** The token in `text` stored under `name`, or why there is none. */
  async decode(text: string, name: string): Promise<Token | DecodeFailure> {
    let json: string | undefined = text;
    if (this.#key !== undefined) json = await open(await this.#key, name, text);
    else if (isSealed(text)) json = undefined;
    if (json === undefined) return "undecryptable";
    return parseToken(json) ?? "malformed";
  }
}

/** A token from its JSON form, checked field by field; undefined for anything else. */
function parseToken(json: string): Token | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { accessToken, tokenType, expiresAt, scope, raw } = value as Record<string, unknown>;
  if (typeof accessToken !== "string" || accessToken === "" || typeof tokenType !== "string") return undefined;
  if (expiresAt !== undefined && (typeof expiresAt !== "number" || !Number.isFinite(expiresAt))) return undefined;
  if (scope !== undefined && typeof scope !== "string") return undefined;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return undefined;
  return {
    accessToken,
    tokenType,
    ...(expiresAt === undefined ? {} : { expiresAt }),
    ...(scope === undefined ? {} : { scope }),
    raw: raw as Record<string, unknown>,
  };
}
