import { InvalidArgumentError, InvalidCredentialsError } from "../errors.js";
import { credentialHeaderSet } from "../policy/rules.js";

/**
 * The headers of every request that has none, one shared object. The send
 * path never writes to a request's own headers (it hands fetch a copy, or a
 * header object of its own), and this one refuses writes: a change that
 * forgot would fail loudly instead of leaking a header into other requests.
 * One `Headers` less per request is measurable: at fetch's pace on loopback
 * each allocation costs more in garbage collection than it does to make.
 */
class NoHeaders extends Headers {
  override append(): never {
    throw readOnly();
  }
  override set(): never {
    throw readOnly();
  }
  override delete(): never {
    throw readOnly();
  }
}

function readOnly(): TypeError {
  return new TypeError("authflow internal error: the shared empty Headers is read-only; copy it first");
}

/** See {@link NoHeaders}. */
export const NO_HEADERS: Headers = /* @__PURE__ */ new NoHeaders();

/**
 * `new Headers(init)` ({@link NO_HEADERS} for none: copy before writing),
 * with an error that names the bad header but never
 * repeats its value: the platform's own TypeError quotes the value, which
 * is a secret for `Authorization` (scenario PAR-07 in SECURITY.md, V6). A value
 * holding CR, LF or NUL in a credential header (`credentials`: the policy's
 * set, plus the caller's `sensitiveHeaders`) is InvalidCredentialsError;
 * in any other header, InvalidArgumentError.
 * The happy path is one `new Headers` call, as before.
 */
export function headersOf(
  init: HeadersInit | undefined,
  credentials: ReadonlySet<string> = credentialHeaderSet(),
): Headers {
  if (init === undefined) return NO_HEADERS;
  try {
    return new Headers(init);
  } catch {
    const name = invalidHeaderName(init);
    const what = name === undefined ? "a header of `headers`" : `the ${name} header of \`headers\``;
    const message = `${what} cannot be sent: its name or value holds a character HTTP does not allow (CR, LF, NUL or similar); the value is not shown`;
    if (name !== undefined && credentials.has(name.toLowerCase())) throw new InvalidCredentialsError(message);
    throw new InvalidArgumentError("ERR_INVALID_ARG_VALUE", "headers", message);
  }
}

function invalidHeaderName(init: HeadersInit | undefined): string | undefined {
  if (init === undefined || init instanceof Headers) return undefined;
  const entries: Iterable<readonly unknown[]> =
    Symbol.iterator in Object(init)
      ? (init as Iterable<readonly unknown[]>)
      : Object.entries(init as Record<string, unknown>);
  for (const entry of entries) {
    const [name, value] = entry;
    try {
      new Headers([[String(name), String(value)]]);
    } catch {
      return /^[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(String(name)) ? String(name) : undefined;
    }
  }
  return undefined;
}
