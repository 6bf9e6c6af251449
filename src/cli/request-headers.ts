import type { RequestCommand } from "./args.js";
import { isSecretHeader } from "./credential-names.js";
import type { PreparedBody } from "./request-body.js";
import { UsageError } from "./usage.js";

/**
 * The request's headers: the CLI's defaults (`User-Agent: authflow/<version>`,
 * `Accept: *\/*` as curl, or JSON's with `--json` or JSON items; the body's
 * Content-Type and Content-Length), then `-H` and header items — the first
 * for a name replaces a default, more of the same name add values, and a
 * name without a value (`-H 'Name:'`) drops it. Nothing a browser would add.
 *
 * @throws UsageError when a value holds a character HTTP does not allow.
 * @example
 * ```ts
 * requestHeaders(command, "1.2.0", prepared); // Headers { "user-agent": "authflow/1.2.0", accept: "*\/*", … }
 * ```
 */
export function requestHeaders(command: RequestCommand, version: string, body: PreparedBody): Headers {
  const json = command.json || command.body.kind === "json";
  const headers = new Headers({
    "user-agent": `authflow/${version}`,
    accept: json ? "application/json, */*;q=0.5" : "*/*",
  });
  if (body.contentType !== undefined) headers.set("content-type", body.contentType);
  const given = new Set<string>();
  for (const [name, value] of command.headers) {
    const key = name.toLowerCase();
    try {
      if (value === null) headers.delete(name);
      else if (given.has(key)) headers.append(name, value);
      else headers.set(name, value);
    } catch {
      // The platform's message would quote the value, which may be a secret.
      throw new UsageError(`-H ${name}: the value holds a character HTTP does not allow (CR, LF, NUL or similar)`);
    }
    given.add(key);
  }
  if (body.length !== undefined && !given.has("content-length")) headers.set("content-length", String(body.length));
  return headers;
}

/**
 * The values of secret headers given on the command line, and of an
 * `Authorization` without its scheme: kept out of everything printed.
 *
 * @example
 * ```ts
 * secretHeaderValues(command); // ["Bearer abc", "abc"]
 * ```
 */
export function secretHeaderValues(command: RequestCommand): string[] {
  return command.headers
    .filter(([name, value]) => value !== null && isSecretHeader(name))
    .flatMap(([, value]) => [value as string, (value as string).slice((value as string).indexOf(" ") + 1)]);
}

/**
 * A warning for every non-empty credential header given on the command line.
 *
 * @example
 * ```ts
 * headerWarnings(command); // ["the X-Api-Key header was given on the command line, …"]
 * ```
 */
export function headerWarnings(command: RequestCommand): string[] {
  const secret = command.headers.filter(([name, value]) => value !== null && value !== "" && isSecretHeader(name));
  return secret.map(
    ([name]) =>
      `the ${name} header was given on the command line, where other users (ps) and your shell history can see it`,
  );
}
