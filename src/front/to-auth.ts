import type { Auth, AuthFunction, AuthLike } from "../engine/auth.js";
import { InvalidArgumentError } from "../errors.js";
import { BasicAuth } from "../schemes/basic.js";
import { FunctionAuth } from "../schemes/function.js";

/**
 * Turns any {@link AuthLike} into an {@link Auth}. `null` and `undefined`
 * mean "no auth".
 *
 * @example
 * ```ts
 * toAuth(["u", "p"]); // → BasicAuth
 * ```
 */
export function toAuth(auth: AuthLike | null | undefined): Auth | null {
  if (auth === null || auth === undefined) return null;
  if (typeof auth === "function") return new FunctionAuth(auth);
  if (Array.isArray(auth)) return basicFromTuple(auth as readonly [string, string]);
  if (typeof (auth as Auth).authFlow === "function") return auth as Auth;
  throw new InvalidArgumentError(
    "ERR_INVALID_ARG_TYPE",
    "auth",
    "auth must be an Auth object, a [username, password] tuple or a function",
  );
}

// One BasicAuth per tuple, held weakly; a tuple changed in place gets a new one (its parts are compared).
const tuples = new WeakMap<readonly unknown[], { auth: BasicAuth; username: unknown; password: unknown }>();

function basicFromTuple(tuple: readonly [string, string]): BasicAuth {
  const [username, password] = tuple;
  const known = tuples.get(tuple);
  if (known !== undefined && known.username === username && known.password === password) return known.auth;
  if (tuple.length !== 2) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      "auth",
      `an auth tuple must be [username, password], got ${tuple.length} elements`,
    );
  }
  const auth = new BasicAuth(username, password);
  tuples.set(tuple, { auth, username, password });
  return auth;
}

/**
 * An `auth` option checked and turned into an Auth: an Auth object, a
 * `[username, password]` pair of strings, a function, or null/undefined for
 * none. Anything else is a coded InvalidArgumentError naming `option`.
 *
 * @example
 * ```ts
 * resolveAuth("auth", ["user", "pass"]); // a BasicAuth
 * ```
 */
export function resolveAuth(option: string, value: unknown): Auth | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "function") return toAuth(value as AuthFunction);
  if (Array.isArray(value)) {
    const [username, password] = value as unknown[];
    if (value.length !== 2 || typeof username !== "string" || typeof password !== "string") {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        option,
        `${option} as an array must be [username, password], two strings`,
      );
    }
    // RFC 7617 §2: the user-id cannot contain a colon.
    if (username.includes(":")) {
      throw new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        option,
        `${option}: a Basic username may not contain ':'`,
      );
    }
    return toAuth(value as unknown as readonly [string, string]);
  }
  if (typeof value === "object" && typeof (value as Partial<Auth>).authFlow === "function") return value as Auth;
  throw new InvalidArgumentError(
    "ERR_INVALID_ARG_TYPE",
    option,
    `${option} must be an Auth object (with authFlow), a [username, password] tuple, a function, or null`,
  );
}
