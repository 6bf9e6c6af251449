/**
 * Secret hygiene for credential objects: `String()`, `JSON.stringify()` and
 * Node's `util.inspect()` show the public parts and `"[redacted]"` for secrets.
 * Secrets themselves live in `#private` fields, which none of these read.
 */
export const REDACTED = "[redacted]";

const inspectSymbol = Symbol.for("nodejs.util.inspect.custom");

/**
 * Installs `toJSON`, `toString` and the Node inspect hook on a credential
 * class's prototype, all built from `describe(instance)`.
 */
export function redactable<T extends object>(
  prototype: T,
  name: string,
  describe: (instance: T) => Record<string, unknown>,
): void {
  Object.defineProperties(prototype, {
    toJSON: {
      value(this: T) {
        return { type: name, ...describe(this) };
      },
    },
    toString: {
      value(this: T) {
        const fields = Object.entries(describe(this))
          .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
          .join(", ");
        return `${name} { ${fields} }`;
      },
    },
    [inspectSymbol]: {
      value(this: T) {
        return (this as { toString(): string }).toString();
      },
    },
  });
}

/** True when `value` holds a character that may not appear in a header value (RFC 9110 §5.5). */
export function hasControlCharacter(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}
