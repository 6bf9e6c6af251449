/**
 * base64url without padding (RFC 7515 §2), the encoding of every JWS part
 * and JWK member: web-standard `btoa`, so it runs in every runtime.
 */

const encoder = new TextEncoder();

/**
 * The base64url form of `bytes`, without padding.
 *
 * @example
 * ```ts
 * base64url(new Uint8Array([251, 255])); // "-_8"
 * ```
 */
export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (let index = 0; index < bytes.length; index++) binary += String.fromCharCode(bytes[index] as number);
  return urlSafe(btoa(binary));
}

/** base64 → base64url: `+/` → `-_`, padding dropped (RFC 7515 §2). */
function urlSafe(base64: string): string {
  let end = base64.length;
  while (end > 0 && base64.charCodeAt(end - 1) === 61) end--;
  return base64.slice(0, end).replaceAll("+", "-").replaceAll("/", "_");
}

/** Anything but printable ASCII takes the UTF-8 path (always right, only slower). */
const NOT_PRINTABLE_ASCII = /[^ -~]/;

/**
 * The base64url form of a string's UTF-8 bytes.
 *
 * @example
 * ```ts
 * base64urlText('{"typ":"dpop+jwt"}'); // "eyJ0eXAiOiJkcG9wK2p3dCJ9"
 * ```
 */
export function base64urlText(text: string): string {
  // Printable ASCII (every proof's claims: serialised URLs, NQCHAR nonces) is its own UTF-8: btoa takes it as is.
  return NOT_PRINTABLE_ASCII.test(text) ? base64url(encoder.encode(text)) : urlSafe(btoa(text));
}

/**
 * The base64url SHA-256 of `text` (UTF-8): a proof's `ath` (RFC 9449 §4.2),
 * a JWK thumbprint (RFC 7638 §3).
 *
 * @example
 * ```ts
 * await sha256Base64url("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"); // "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
 * ```
 */
export async function sha256Base64url(text: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text))));
}

/**
 * The UTF-8 bytes of `text` (the JWS signing input).
 *
 * @example
 * ```ts
 * utf8("a.b"); // Uint8Array [97, 46, 98]
 * ```
 */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text) as Uint8Array<ArrayBuffer>;
}
