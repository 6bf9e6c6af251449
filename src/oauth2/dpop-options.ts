import { InvalidArgumentError } from "../errors.js";
import { checkStringArray } from "../policy/validate.js";
import { checkDpopKeyPair } from "./dpop-key.js";
import type { ClientCredentialsOptions } from "./options.js";

/**
 * Construction-time checks of the issue-16 options of
 * {@link ClientCredentialsOptions}: `dpop` (a boolean, or a key pair whose
 * key types and algorithms can sign proofs) and `allowedIssuers` (a
 * non-empty list, which replaces `resource`: that is discovered). The URLs
 * themselves are checked by `resolveOptions`, like `issuer`.
 *
 * @example
 * ```ts
 * checkDpopOptions({ clientId: "c", allowedIssuers: [], dpop: true }); // → InvalidArgumentError
 * ```
 */
export function checkDpopOptions(options: ClientCredentialsOptions): void {
  const { dpop, allowedIssuers } = options;
  if (dpop !== undefined && typeof dpop !== "boolean") {
    if (dpop === null || typeof dpop !== "object" || Array.isArray(dpop)) {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_TYPE",
        "dpop",
        "dpop must be true, false, or a key pair { privateKey, publicKey? }",
      );
    }
    checkDpopKeyPair(dpop);
  }
  if (allowedIssuers === undefined) return;
  checkStringArray("allowedIssuers", allowedIssuers);
  if (allowedIssuers.length === 0) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      "allowedIssuers",
      "allowedIssuers must name at least one authorization server (its issuer identifier)",
    );
  }
  if (options.resource !== undefined) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      "resource",
      "with allowedIssuers the resource is discovered from each request's URL (RFC 9728); leave resource unset",
    );
  }
}
