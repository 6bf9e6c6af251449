/**
 * Authenticated HTTP for TypeScript: Basic, Digest, Bearer and OAuth 2.0
 * client credentials on one auth-flow engine, with safe defaults (no
 * credentials over plain HTTP or across origins). Web standards only: it runs
 * on Node, Deno, Bun, browsers and edge workers. The Node-only parts are
 * `authflow/undici`, `authflow/redis`, `authflow/file-store` and `authflow/server`.
 *
 * @example
 * ```ts
 * import { Client, DigestAuth } from "authflow";
 * const client = new Client({ baseURL: "https://api.example.com", auth: new DigestAuth("user", "pass") });
 * const response = await client.get("/private");
 * ```
 *
 * @module authflow
 */
// Public API of `authflow`. Only exports live here.
export type { Auth, AuthFlow, AuthLike } from "./engine/auth.js";
export type { RequestBody } from "./engine/body.js";
export type { FetchLike } from "./engine/flow.js";
export type { TlsOptions } from "./engine/tls.js";
export type { AuthflowErrorCode, InvalidArgumentCode, TlsFailureReason } from "./errors.js";
export {
  AuthChallengeError,
  AuthflowError,
  AuthRejectedError,
  BodyNotReplayableError,
  ChallengeParseError,
  FlowError,
  InsecureTransportError,
  InvalidArgumentError,
  InvalidCredentialsError,
  InvalidURLError,
  MissingCredentialsError,
  NetrcError,
  NetworkError,
  OAuthError,
  ProxyError,
  ResourceDiscoveryError,
  TimeoutError,
  TlsError,
  TokenEndpointError,
  TooManyRedirectsError,
  UnsafeRedirectError,
} from "./errors.js";
export type { ClientOptions, RequestOptions } from "./front/client.js";
export { Client, del as delete, get, head, patch, post, put, request } from "./front/client.js";
export type { RequestParams } from "./front/request-url.js";
export { toAuth } from "./front/to-auth.js";
export type { AuthenticatedFetch, WithAuthOptions } from "./front/with-auth.js";
export { withAuth } from "./front/with-auth.js";
export type { RejectionGuardOptions } from "./guard/guard.js";
export type { Challenge, ChallengeParseLimits } from "./headers/challenge.js";
export { parseAuthenticationInfo, parseChallenges } from "./headers/challenge.js";
export type { GetTokenOptions } from "./oauth2/client-credentials.js";
export { ClientCredentialsAuth } from "./oauth2/client-credentials.js";
export type { ClientAuthMethod, ClientCredentialsOptions, DpopKeyPair, PrivateKeyInput } from "./oauth2/options.js";
export { parseTokenResponse } from "./oauth2/token-endpoint.js";
export type { CommonOptions, RedirectingOptions } from "./policy/options.js";
export { BasicAuth } from "./schemes/basic.js";
export type { TokenProvider } from "./schemes/bearer.js";
export { BearerAuth } from "./schemes/bearer.js";
export type { DigestAuthOptions } from "./schemes/digest.js";
export { DigestAuth } from "./schemes/digest.js";
export type { DigestAlgorithm } from "./schemes/digest-hash.js";
export type { AuthFunction } from "./schemes/function.js";
export { FunctionAuth } from "./schemes/function.js";
export { NetrcAuth } from "./schemes/netrc.js";
export type { ProxyOptions, ProxySetting } from "./schemes/proxy-options.js";
export type { MemoryTokenStoreOptions } from "./stores/memory.js";
export { MemoryTokenStore } from "./stores/memory.js";
export type { RefreshOptions, Token, TokenStore } from "./stores/store.js";
