import { InvalidArgumentError } from "../errors.js";

/**
 * Option validation, shared by every front door and scheme: each check
 * throws a coded {@link InvalidArgumentError} that names the option, says
 * what it accepts, and shows the value only when it is not a string (a
 * string may be a secret).
 */

function shown(value: unknown): string {
  if (typeof value === "string") return "a string";
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}

/** Throws for `value` that is neither undefined nor an integer in [min, max]. */
export function checkInteger(option: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (typeof value !== "number") {
    throw new InvalidArgumentError("ERR_INVALID_ARG_TYPE", option, `${option} must be an integer, got ${shown(value)}`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      option,
      `${option} must be an integer ${range}, got ${value}`,
    );
  }
}

/** Throws for `value` that is neither undefined nor a finite number in [min, max]. */
export function checkNumber(option: string, value: unknown, min: number, max = Number.MAX_VALUE): void {
  if (value === undefined) return;
  if (typeof value !== "number") {
    throw new InvalidArgumentError("ERR_INVALID_ARG_TYPE", option, `${option} must be a number, got ${shown(value)}`);
  }
  if (!Number.isFinite(value) || value < min || value > max) {
    const range = max === Number.MAX_VALUE ? `>= ${min}` : `from ${min} to ${max}`;
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      option,
      `${option} must be a finite number ${range}, got ${value}`,
    );
  }
}

/**
 * A timeout option: undefined, `false` (or `0` where `zeroMeansNone`) for
 * none, else a finite number of milliseconds > 0. NaN, negatives and
 * Infinity are refused rather than read as "no limit".
 */
export function checkTimeout(option: string, value: unknown, options: { allowFalse?: boolean } = {}): void {
  if (value === undefined) return;
  if (value === false && options.allowFalse !== false) return;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    const none = options.allowFalse === false ? "0 for none" : "false for none";
    throw new InvalidArgumentError(
      typeof value === "number" ? "ERR_INVALID_ARG_VALUE" : "ERR_INVALID_ARG_TYPE",
      option,
      `${option} must be a finite number of milliseconds >= 0, or ${none} (got ${shown(value)})`,
    );
  }
}

/** Throws for `value` that is neither undefined nor a boolean. */
export function checkBoolean(option: string, value: unknown): void {
  if (value === undefined || typeof value === "boolean") return;
  throw new InvalidArgumentError(
    "ERR_INVALID_ARG_TYPE",
    option,
    `${option} must be true or false, got ${shown(value)}`,
  );
}

/** Throws for `value` that is neither undefined nor a function. */
export function checkFunction(option: string, value: unknown): void {
  if (value === undefined || typeof value === "function") return;
  throw new InvalidArgumentError("ERR_INVALID_ARG_TYPE", option, `${option} must be a function, got ${shown(value)}`);
}

/** Throws for `value` that is not a string (or undefined, when `optional`); an empty string is refused too. */
export function checkString(option: string, value: unknown, optional = true): void {
  if (value === undefined && optional) return;
  if (typeof value !== "string") {
    throw new InvalidArgumentError("ERR_INVALID_ARG_TYPE", option, `${option} must be a string, got ${shown(value)}`);
  }
  if (value === "") throw new InvalidArgumentError("ERR_INVALID_ARG_VALUE", option, `${option} must not be empty`);
}

/** Throws for `value` that is neither undefined nor an array of strings. */
export function checkStringArray(option: string, value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== "string")) {
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_TYPE",
      option,
      `${option} must be an array of strings, got ${shown(value)}`,
    );
  }
}

/** Throws for `value` that is neither undefined nor one of `allowed`. */
export function checkOneOf(option: string, value: unknown, allowed: readonly unknown[]): void {
  if (value === undefined || allowed.includes(value)) return;
  const list = allowed.map((entry) => (typeof entry === "string" ? `"${entry}"` : String(entry))).join(", ");
  throw new InvalidArgumentError(
    "ERR_INVALID_ARG_VALUE",
    option,
    `${option} must be one of ${list}, got ${typeof value === "string" ? `"${value.slice(0, 40)}"` : shown(value)}`,
  );
}

/** Throws for `value` that is not a plain object (or undefined). */
export function checkObject(option: string, value: unknown): void {
  if (value === undefined) return;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidArgumentError("ERR_INVALID_ARG_TYPE", option, `${option} must be an object, got ${shown(value)}`);
  }
}
