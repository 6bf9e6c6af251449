// Public API of `authflow`. Only exports live here.
export type { Auth, AuthFlow, AuthLike } from "./auth.js";
export { toAuth } from "./auth.js";
export type { RequestBody } from "./body.js";
export type { ClientOptions, RequestOptions } from "./client.js";
export { Client, del as delete, get, head, patch, post, put, request } from "./client.js";
export type { AuthflowErrorCode, InvalidArgumentCode } from "./errors.js";
export {
  AuthChallengeError,
  AuthFlowError,
  AuthflowError,
  AuthRejectedError,
  BodyNotReplayableError,
  ChallengeParseError,
  InsecureTransportError,
  InvalidArgumentError,
  InvalidCredentialsError,
  InvalidURLError,
  MissingCredentialsError,
  NetrcError,
  NetworkError,
  OAuthError,
  TimeoutError,
  TokenEndpointError,
  TooManyRedirectsError,
  UnsafeRedirectError,
} from "./errors.js";
export type { AuthenticatedFetch, WithAuthOptions } from "./fetch.js";
export { withAuth } from "./fetch.js";
export type { FetchLike } from "./flow.js";
export type { RejectionGuardOptions } from "./guard.js";
export type { Challenge, ChallengeParseLimits } from "./headers/challenge.js";
export { parseAuthenticationInfo, parseChallenges } from "./headers/challenge.js";
export type { GetTokenOptions } from "./oauth2/client-credentials.js";
export { ClientCredentialsAuth } from "./oauth2/client-credentials.js";
export type { ClientAuthMethod, ClientCredentialsOptions, FetchFunction, PrivateKeyInput } from "./oauth2/options.js";
export { parseTokenResponse } from "./oauth2/token-endpoint.js";
export type { CommonOptions, RedirectingOptions } from "./options.js";
export type { RequestParams } from "./request-url.js";
export { BasicAuth } from "./schemes/basic.js";
export type { TokenProvider } from "./schemes/bearer.js";
export { BearerAuth } from "./schemes/bearer.js";
export type { DigestAuthOptions } from "./schemes/digest.js";
export { DigestAuth } from "./schemes/digest.js";
export type { DigestAlgorithm } from "./schemes/digest-hash.js";
export type { AuthFunction } from "./schemes/function.js";
export { FunctionAuth } from "./schemes/function.js";
export { NetrcAuth } from "./schemes/netrc.js";
export type { MemoryTokenStoreOptions } from "./stores/memory.js";
export { MemoryTokenStore } from "./stores/memory.js";
export type { Token, TokenStore } from "./stores/store.js";
