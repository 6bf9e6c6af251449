import type { Token } from "../stores/store.js";
import type { DpopSigner } from "./dpop.js";
import type { TokenCache } from "./token-cache.js";
import { tokenChallenge } from "./token-challenge.js";

/**
 * Where a request's token comes from and how it is presented: a token cache
 * (one per token endpoint and configuration, or one per discovered
 * resource), and for DPoP the signer that makes each request's proof.
 *
 * @example
 * ```ts
 * const target = new TokenTarget(cache, dpop);
 * yield* sendWithToken(target, request);
 * ```
 */
export class TokenTarget {
  readonly cache: TokenCache;
  /** Set for DPoP-bound tokens (RFC 9449): every request then carries a proof. */
  readonly dpop: DpopSigner | undefined;
  /** The Authorization value of the token last sent, so the fast path builds no string per request. */
  #header: { readonly token: Token; readonly value: string } | undefined;

  constructor(cache: TokenCache, dpop: DpopSigner | undefined) {
    this.cache = cache;
    this.dpop = dpop;
  }

  /**
   * The fast path's header: the current Bearer token's, synchronously. Never
   * for DPoP: each request needs a fresh proof (an async signature) in a
   * second header, which only the flow can add.
   */
  current(): string | undefined {
    if (this.dpop !== undefined) return undefined;
    const token = this.cache.current();
    return token === undefined ? undefined : this.headerOf(token);
  }

  /** `Bearer <token>`, or `DPoP <token>` for a bound one (RFC 9449 §7.1). */
  headerOf(token: Token): string {
    const known = this.#header;
    if (known !== undefined && known.token === token) return known.value;
    const value = `${this.dpop === undefined ? "Bearer" : "DPoP"} ${token.accessToken}`;
    this.#header = { token, value };
    return value;
  }
}

/**
 * Sends `request` with a token of `target` and handles what a resource
 * answers: a DPoP nonce demanded (`use_dpop_nonce`, RFC 9449 §9) is given
 * once; a proof refused because our clock was off is remade once on the
 * server's clock; a token the resource calls invalid (RFC 6750 §3.1) is
 * replaced once — by a newer cached one if there is one, else a new one.
 * Every answer's `DPoP-Nonce` is remembered for the next proof.
 *
 * @example
 * ```ts
 * async *authFlow(request: Request) {
 *   yield* sendWithToken(target, request);
 * }
 * ```
 */
export async function* sendWithToken(target: TokenTarget, request: Request): AsyncGenerator<Request, void, Response> {
  const { cache, dpop } = target;
  const { signal } = request;
  let token = await cache.get({ signal });
  await authorize(target, request, token, undefined);
  let response: Response = yield request;
  let proofRetried = false;
  let tokenRetried = false;
  for (;;) {
    const learned = dpop?.learn(request.url, response.headers);
    if (response.status !== 401) return;
    const challenge = tokenChallenge(response.headers);
    let nonce: string | undefined;
    const proofRefused =
      (challenge.useDpopNonce && learned?.nonce !== undefined) ||
      (challenge.invalidDpopProof && learned?.clockMoved === true);
    // A DPoP token is refused with the DPoP scheme (RFC 9449 §7.1); a server that knows only Bearer says so with that.
    const tokenRefused = challenge.bearerInvalidToken || (dpop !== undefined && challenge.dpopInvalidToken);
    if (proofRefused && !proofRetried) {
      proofRetried = true;
      // This answer's nonce, not the shared memory's: a concurrent answer may have replaced that one.
      nonce = learned?.nonce;
    } else if (tokenRefused && !tokenRetried) {
      tokenRetried = true;
      // The rejected token is the one that went out: a fast path may have sent an older one than `token`.
      const rejected = sentToken(request.headers.get("authorization")) ?? token.accessToken;
      const fresh = await cache.replace(rejected, signal);
      if (fresh.accessToken === rejected) return;
      token = fresh;
    } else {
      return;
    }
    await authorize(target, request, token, nonce);
    response = yield request;
  }
}

/** Sets `Authorization` and, for DPoP, a fresh `DPoP` proof bound to the token (`ath`, RFC 9449 §4.2). */
async function authorize(
  target: TokenTarget,
  request: Request,
  token: Token,
  nonce: string | undefined,
): Promise<void> {
  request.headers.set("authorization", target.headerOf(token));
  const { dpop } = target;
  if (dpop === undefined) return;
  const options = nonce === undefined ? { accessToken: token.accessToken } : { accessToken: token.accessToken, nonce };
  request.headers.set("dpop", await dpop.proof(request.method, request.url, options));
}

/** The token of a `Bearer` or `DPoP` Authorization value. */
function sentToken(authorization: string | null): string | undefined {
  if (authorization?.startsWith("Bearer ")) return authorization.slice(7);
  if (authorization?.startsWith("DPoP ")) return authorization.slice(5);
  return undefined;
}
