/**
 * jose, loaded on first use: only the JWT client-authentication methods
 * (`client_secret_jwt`, `private_key_jwt`) and key thumbprints need it, and
 * importing it eagerly doubled the library's cold start.
 */
type Jose = typeof import("jose");

let loading: Promise<Jose> | undefined;

/** The jose module, imported once. */
export function jose(): Promise<Jose> {
  loading ??= import("jose");
  return loading;
}
