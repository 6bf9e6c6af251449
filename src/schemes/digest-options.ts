import { InvalidArgumentError } from "../errors.js";
import { checkBoolean, checkInteger, checkObject } from "../policy/validate.js";
import { type DigestAlgorithm, resolveAlgorithm } from "./digest-hash.js";

/**
 * Options of {@link DigestAuth}.
 *
 * @example
 * ```ts
 * new DigestAuth("user", "pass", { verifyServer: true, algorithms: ["SHA-256", "SHA-512-256"] });
 * ```
 */
export interface DigestAuthOptions {
  /**
   * Check the server's `rspauth` in `Authentication-Info` (RFC 7616 §3.5) and
   * throw {@link AuthChallengeError} when it is missing or wrong. Default false.
   */
  verifyServer?: boolean;
  /**
   * The algorithms this client agrees to answer, e.g. without `"MD5"` to refuse
   * a man in the middle who strips the stronger challenges. Default: all.
   */
  algorithms?: readonly DigestAlgorithm[];
  /**
   * Most bytes of a request body kept to hash for `qop=auth-int` when the
   * challenge arrives after the body went out (default 1 MiB).
   */
  maxBodyBytes?: number;
}

/** Throws a coded InvalidArgumentError for an option {@link DigestAuth} cannot take. */
export function checkOptions(options: DigestAuthOptions): void {
  checkObject("DigestAuth options", options);
  checkBoolean("DigestAuth.verifyServer", options.verifyServer);
  checkInteger("DigestAuth.maxBodyBytes", options.maxBodyBytes, 0);
  const { algorithms } = options;
  if (algorithms === undefined) return;
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new InvalidArgumentError(
      Array.isArray(algorithms) ? "ERR_INVALID_ARG_VALUE" : "ERR_INVALID_ARG_TYPE",
      "DigestAuth.algorithms",
      'DigestAuth.algorithms must be a non-empty array of Digest algorithms, e.g. ["SHA-256", "SHA-512-256"]',
    );
  }
  for (const algorithm of algorithms as unknown[]) {
    if (typeof algorithm !== "string" || resolveAlgorithm(algorithm) === undefined) {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        "DigestAuth.algorithms",
        `DigestAuth.algorithms holds ${typeof algorithm === "string" ? `"${algorithm.slice(0, 40)}"` : typeof algorithm}, ` +
          "which is not a Digest algorithm (MD5, SHA-256, SHA-512-256, their -sess forms, SHA, SHA-512)",
      );
    }
  }
}

/** The allowed algorithms by their canonical names (servers and callers spell them in any case). */
export function canonicalAlgorithms(algorithms: readonly DigestAlgorithm[]): ReadonlySet<DigestAlgorithm> {
  return new Set(
    algorithms.map((algorithm) => (resolveAlgorithm(algorithm) as { algorithm: DigestAlgorithm }).algorithm),
  );
}
