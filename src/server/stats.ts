/**
 * Why a DPoP proof (RFC 9449 §4.3) or a DPoP-bound token was refused, as
 * `stats().dpop.refusals` counts it:
 * - `"missing"`: no `DPoP` header where one is needed; `"multiple-headers"`: more than one;
 * - `"malformed"`: not a JWS compact serialisation with a JSON claim set;
 * - `"typ"`: `typ` is not `dpop+jwt`; `"alg"`: not ES256, EdDSA, RS256 or PS256;
 * - `"jwk"`: no public `jwk` in the header, or one that does not suit `alg`;
 * - `"signature"`: the signature does not verify with that `jwk`;
 * - `"claims"`: `jti`, `htm`, `htu` or `iat` missing or of the wrong type;
 * - `"htm"`, `"htu"`: not the request's method or URI (without query and fragment);
 * - `"iat"`: outside the accepted window (or older than the replay cache can vouch for);
 * - `"replay"`: a `jti` seen before with the same key; `"nonce"`: no nonce, or not a current one (`use_dpop_nonce`);
 * - `"ath"`: missing, or not the hash of the access token;
 * - `"key-mismatch"`: the proof's key is not the one the token is bound to (`cnf.jkt`);
 * - `"bearer-scheme"`: a DPoP-bound token sent as `Bearer` (RFC 9449 §7.1);
 * - `"not-dpop-bound"`: `Authorization: DPoP` with a token that is not DPoP-bound.
 *
 * @example
 * ```ts
 * expect(server.stats().dpop.refusals.replay).toBe(1);
 * ```
 */
export type DpopRefusalReason =
  | "missing"
  | "multiple-headers"
  | "malformed"
  | "typ"
  | "alg"
  | "jwk"
  | "signature"
  | "claims"
  | "htm"
  | "htu"
  | "iat"
  | "replay"
  | "nonce"
  | "ath"
  | "key-mismatch"
  | "bearer-scheme"
  | "not-dpop-bound";

/**
 * Why a TLS client certificate was refused (RFC 8705), as `stats().mtls.refusals` counts it:
 * `"no-certificate"` (none presented), `"untrusted"` (its chain does not lead to `tls.ca`),
 * `"subject"` (not the registered `tlsClientAuthSubjectDn`), `"thumbprint"` (not the registered
 * self-signed certificate), `"expired"` (outside its validity period), `"not-bound"` (a token that
 * is not certificate-bound at a route that needs one), `"binding"` (not the certificate the
 * token is bound to, `cnf.x5t#S256`).
 *
 * @example
 * ```ts
 * expect(server.stats().mtls.refusals.binding).toBe(1);
 * ```
 */
export type MtlsRefusalReason =
  | "no-certificate"
  | "untrusted"
  | "subject"
  | "thumbprint"
  | "expired"
  | "not-bound"
  | "binding";

/**
 * DPoP counters (RFC 9449).
 *
 * @example
 * ```ts
 * const { proofsChecked, proofsAccepted, noncesIssued } = server.stats().dpop;
 * ```
 */
export interface DpopStats {
  /** Proofs looked at, at the token endpoint and at the resources. */
  proofsChecked: number;
  /** Proofs that passed every check. */
  proofsAccepted: number;
  /** Nonces minted (each rotation, or each one-time nonce), with `dpop.requireNonce`. */
  noncesIssued: number;
  /** Refusals by reason (a reason never seen is absent). */
  refusals: Partial<Record<DpopRefusalReason, number>>;
}

/**
 * Mutual-TLS counters (RFC 8705).
 *
 * @example
 * ```ts
 * const { certificatesPresented, refusals } = server.stats().mtls;
 * ```
 */
export interface MtlsStats {
  /** Requests to the token endpoint or an mTLS-checking route that came with a client certificate. */
  certificatesPresented: number;
  /** Refusals by reason (a reason never seen is absent). */
  refusals: Partial<Record<MtlsRefusalReason, number>>;
}

/**
 * Counters every route family shares; `/_stats` and `stats()` report them.
 *
 * @example
 * ```ts
 * const { tokenRequests, dpop, mtls, metadataFetches } = server.stats();
 * ```
 */
export interface ServerStats {
  /** Requests seen, by route name (`"basic-auth"`, `"digest-auth"`, …). */
  routes: Record<string, number>;
  /** Every request the server answered. */
  requests: number;
  /** TCP connections accepted (shows whether clients reuse sockets). */
  connections: number;
  /** Authentication challenges sent (401 with WWW-Authenticate). */
  challenges: number;
  /** Tokens issued by `POST /oauth/token`. */
  tokensIssued: number;
  /** Calls to `POST /oauth/token`, successful or not. */
  tokenRequests: number;
  /** Token requests by the client authentication method of the client that passed it (`"client_secret_basic"`, `"tls_client_auth"`, …). */
  tokenRequestsByAuthMethod: Record<string, number>;
  /** Tokens issued by binding: `bearer` (unbound), `dpop` (`cnf.jkt`), `mtls` (`cnf.x5t#S256`); a token bound both ways counts in both. */
  tokensIssuedByBinding: { bearer: number; dpop: number; mtls: number };
  /** DPoP proofs, nonces and refusals. */
  dpop: DpopStats;
  /** Client certificates and their refusals. */
  mtls: MtlsStats;
  /** Metadata documents served: RFC 8414 (`authorizationServer`) and RFC 9728 (`protectedResource`). */
  metadataFetches: { authorizationServer: number; protectedResource: number };
  /** CORS: preflights answered, and requests whose Origin was not allowed (with the `cors` option). */
  cors: { preflights: number; refusedOrigins: number };
  /** Request-body bytes held right now, across every request in flight (at most `limits.totalBodyBytes`). */
  bodyBytesBuffered: number;
  /** The highest `bodyBytesBuffered` since start or the last `reset()`. */
  bodyBytesBufferedPeak: number;
  /** Requests refused for their body: over the route's cap (413) or the server-wide one (503). */
  bodiesRefused: number;
}

/** Zeroed counters. */
export function emptyStats(): ServerStats {
  return {
    routes: {},
    requests: 0,
    connections: 0,
    challenges: 0,
    tokensIssued: 0,
    tokenRequests: 0,
    tokenRequestsByAuthMethod: {},
    tokensIssuedByBinding: { bearer: 0, dpop: 0, mtls: 0 },
    dpop: { proofsChecked: 0, proofsAccepted: 0, noncesIssued: 0, refusals: {} },
    mtls: { certificatesPresented: 0, refusals: {} },
    metadataFetches: { authorizationServer: 0, protectedResource: 0 },
    cors: { preflights: 0, refusedOrigins: 0 },
    bodyBytesBuffered: 0,
    bodyBytesBufferedPeak: 0,
    bodiesRefused: 0,
  };
}

/** Adds one to `counters[key]`. */
export function countIn<Key extends string>(counters: Partial<Record<Key, number>>, key: Key): void {
  counters[key] = (counters[key] ?? 0) + 1;
}
