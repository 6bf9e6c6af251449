import type { ResolvedTls } from "../engine/tls.js";

/**
 * undici's (and `tls.connect`'s) connect options for `tls`: `ca` replaces the
 * trusted roots, `cert` and `key` are presented when the server asks.
 *
 * @example
 * ```ts
 * new Agent({ connect: tlsConnectOptions(resolveTls("tls", { ca })) });
 * ```
 */
export function tlsConnectOptions(tls: ResolvedTls | undefined): Record<string, unknown> {
  if (tls === undefined) return {};
  return {
    ...(tls.ca === undefined ? {} : { ca: [...tls.ca] }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert, key: tls.key }),
    ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
  };
}
