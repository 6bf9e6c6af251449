import { ChallengeParseError } from "../errors.js";

/**
 * One authentication challenge from `WWW-Authenticate` or `Proxy-Authenticate`
 * (RFC 9110 §11.6.1), as {@link parseChallenges} returns it.
 *
 * @example
 * ```ts
 * const [challenge] = parseChallenges('Digest realm="api", nonce="abc", qop="auth"');
 * challenge.scheme;        // "Digest" (as the server spelled it; compare in lower case)
 * challenge.params.realm;  // "api" (parameter names are lower-cased, values unquoted)
 * ```
 */
export interface Challenge {
  /** The auth-scheme as the server wrote it. Schemes are case-insensitive: compare `scheme.toLowerCase()`. */
  readonly scheme: string;
  /**
   * The auth-params, names lower-cased, quoted-string values unquoted. The
   * object has no prototype, so a parameter named `__proto__` or `constructor`
   * is plain data.
   */
  readonly params: Readonly<Record<string, string>>;
  /** The token68 form (`Negotiate YII…`), when the challenge carries one instead of params. */
  readonly token68?: string;
}

/**
 * Bounds on what the parser accepts, so that a hostile server cannot make a
 * client spend unbounded memory (scenario PAR-02 in SECURITY.md). The scan itself is
 * linear whatever the limits.
 *
 * @example
 * ```ts
 * parseChallenges(header, { maxLength: 16 * 1024, maxChallenges: 8 });
 * ```
 */
export interface ChallengeParseLimits {
  /** Total characters over every header line (default 4 MiB). */
  maxLength?: number;
  /** Challenges over every header line (default 64). */
  maxChallenges?: number;
  /** Auth-params in one challenge or one Authentication-Info (default 64). */
  maxParams?: number;
}

const DEFAULT_LIMITS: Required<ChallengeParseLimits> = {
  maxLength: 4 * 1024 * 1024,
  maxChallenges: 64,
  maxParams: 64,
};

// Character classes as lookup tables: one array read per character, no regex.
const TOKEN = 1; // RFC 9110 §5.6.2 tchar
const TOKEN68 = 2; // RFC 9110 §11.2 token68 characters (without the trailing "=")
const CLASSES = new Uint8Array(128);
for (let code = 0; code < 128; code++) {
  const char = String.fromCharCode(code);
  const alphanumeric = (char >= "0" && char <= "9") || (char >= "a" && char <= "z") || (char >= "A" && char <= "Z");
  const token = alphanumeric || "!#$%&'*+-.^_`|~".includes(char) ? TOKEN : 0;
  const token68 = alphanumeric || "-._~+/".includes(char) ? TOKEN68 : 0;
  CLASSES[code] = token | token68;
}

function isClass(code: number, mask: number): boolean {
  return code < 128 && ((CLASSES[code] as number) & mask) !== 0;
}

/** A linear scanner over one header line. Every method advances `position` or throws. */
class Scanner {
  position = 0;

  constructor(
    readonly text: string,
    readonly limits: Required<ChallengeParseLimits>,
  ) {}

  get done(): boolean {
    return this.position >= this.text.length;
  }

  peek(): number {
    return this.text.charCodeAt(this.position);
  }

  fail(message: string, position = this.position): never {
    throw new ChallengeParseError(`${message} at offset ${position}`, position);
  }

  /** OWS / BWS (RFC 9110 §5.6.3): spaces and tabs. Returns how many were skipped. */
  skipWhitespace(): number {
    const start = this.position;
    while (!this.done && (this.peek() === 0x20 || this.peek() === 0x09)) this.position++;
    return this.position - start;
  }

  /** Skips white space and empty list elements (RFC 9110 §5.6.1 `#rule`). */
  skipSeparators(): void {
    while (!this.done) {
      const code = this.peek();
      if (code !== 0x20 && code !== 0x09 && code !== 0x2c) return;
      this.position++;
    }
  }

  /** Skips the span of characters in `mask`; returns where it started. */
  span(mask: number): number {
    const start = this.position;
    while (!this.done && isClass(this.peek(), mask)) this.position++;
    return start;
  }

  token(what: string): string {
    const start = this.span(TOKEN);
    if (start === this.position) this.fail(`expected ${what}`);
    return this.text.slice(start, this.position);
  }

  /** RFC 9110 §5.6.4 quoted-string, with the quotes and backslash escapes removed. */
  quotedString(): string {
    const open = this.position++;
    let value = "";
    let chunkStart = this.position;
    while (!this.done) {
      const code = this.peek();
      if (code === 0x22) {
        value += this.text.slice(chunkStart, this.position++);
        return value;
      }
      if (code === 0x5c) {
        value += this.text.slice(chunkStart, this.position++);
        if (this.done) break;
        checkQuotedCharacter(this, this.peek());
        chunkStart = this.position++;
        continue;
      }
      checkQuotedCharacter(this, code);
      this.position++;
    }
    return this.fail("unterminated quoted-string", open);
  }

  /** token / quoted-string. Also accepts unquoted `/` and `=` (seen in the wild in nonces). */
  value(): string {
    if (!this.done && this.peek() === 0x22) return this.quotedString();
    const start = this.position;
    if (this.done || !isClass(this.peek(), TOKEN | TOKEN68)) this.fail("expected a token or quoted-string");
    while (!this.done && (isClass(this.peek(), TOKEN | TOKEN68) || this.peek() === 0x3d)) this.position++;
    return this.text.slice(start, this.position);
  }

  /** After an element: white space, then a comma or the end. */
  endOfElement(): void {
    this.skipWhitespace();
    if (!this.done && this.peek() !== 0x2c) this.fail("expected a comma");
  }
}

function checkQuotedCharacter(scanner: Scanner, code: number): void {
  // qdtext and quoted-pair: HTAB, SP, VCHAR, obs-text. Never CR, LF, NUL or DEL.
  if ((code < 0x20 && code !== 0x09) || code === 0x7f) scanner.fail("control character in quoted-string");
}

function newParams(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

/** `token BWS "=" BWS ( token / quoted-string )`, stored with a lower-cased name. */
function readParam(scanner: Scanner, params: Record<string, string>, count: { value: number }): void {
  const nameStart = scanner.position;
  const name = scanner.token("an auth-param name").toLowerCase();
  scanner.skipWhitespace();
  if (scanner.done || scanner.peek() !== 0x3d) scanner.fail("expected '=' after auth-param name");
  scanner.position++;
  scanner.skipWhitespace();
  const value = scanner.value();
  // RFC 9110 §11.2: each parameter name MUST only occur once per challenge.
  if (name in params) scanner.fail(`duplicate auth-param "${name}"`, nameStart);
  if (++count.value > scanner.limits.maxParams) scanner.fail("too many auth-params", nameStart);
  params[name] = value;
}

/**
 * After `scheme 1*SP`: a token68 if what follows is token68 characters, then
 * `=` padding, then the end of the element. Otherwise auth-params follow.
 */
function tryToken68(scanner: Scanner): string | undefined {
  const start = scanner.span(TOKEN68);
  while (!scanner.done && scanner.peek() === 0x3d) scanner.position++;
  const end = scanner.position;
  scanner.skipWhitespace();
  if (end > start && (scanner.done || scanner.peek() === 0x2c)) return scanner.text.slice(start, end);
  scanner.position = start;
  return undefined;
}

interface MutableChallenge {
  scheme: string;
  params: Record<string, string>;
  token68?: string;
}

function parseLine(scanner: Scanner, challenges: MutableChallenge[]): void {
  let current: MutableChallenge | undefined;
  const paramCount = { value: 0 };
  for (scanner.skipSeparators(); !scanner.done; scanner.skipSeparators()) {
    const start = scanner.position;
    const name = scanner.token("an auth-scheme or auth-param");
    const spaces = scanner.skipWhitespace();
    if (!scanner.done && scanner.peek() === 0x3d) {
      // `name=` after a comma: another auth-param of the current challenge.
      if (current === undefined || current.token68 !== undefined) scanner.fail("auth-param without a scheme", start);
      scanner.position = start;
      readParam(scanner, current.params, paramCount);
      scanner.endOfElement();
      continue;
    }
    if (challenges.length >= scanner.limits.maxChallenges) scanner.fail("too many challenges", start);
    current = { scheme: name, params: newParams() };
    challenges.push(current);
    paramCount.value = 0;
    if (scanner.done || scanner.peek() === 0x2c) continue;
    if (spaces === 0) scanner.fail("expected a space after the auth-scheme");
    const token68 = tryToken68(scanner);
    if (token68 !== undefined) current.token68 = token68;
    else readParam(scanner, current.params, paramCount);
    scanner.endOfElement();
  }
}

function resolveLimits(limits: ChallengeParseLimits | undefined): Required<ChallengeParseLimits> {
  return limits === undefined ? DEFAULT_LIMITS : { ...DEFAULT_LIMITS, ...limits };
}

function linesOf(header: string | readonly string[], limits: Required<ChallengeParseLimits>): readonly string[] {
  const lines = typeof header === "string" ? [header] : header;
  let total = 0;
  for (const line of lines) {
    if (typeof line !== "string") throw new ChallengeParseError("header value is not a string", 0);
    total += line.length;
    if (total > limits.maxLength) throw new ChallengeParseError(`header longer than ${limits.maxLength} characters`, 0);
  }
  return lines;
}

/**
 * Parses `WWW-Authenticate` or `Proxy-Authenticate` (RFC 9110 §11.6.1,
 * §11.7.1): any number of challenges per line, any number of lines (pass every
 * line as an array, or the values joined with `, ` as `Headers.get` does).
 * Linear time on any input; malformed input throws {@link ChallengeParseError}
 * and nothing else.
 *
 * @example
 * ```ts
 * parseChallenges(['Basic realm="a"', 'Digest realm="b", nonce="n", algorithm=SHA-256']);
 * // → [{ scheme: "Basic", params: { realm: "a" } },
 * //    { scheme: "Digest", params: { realm: "b", nonce: "n", algorithm: "SHA-256" } }]
 * parseChallenges("Negotiate YIIB9w==");
 * // → [{ scheme: "Negotiate", params: {}, token68: "YIIB9w==" }]
 * ```
 */
export function parseChallenges(header: string | readonly string[], limits?: ChallengeParseLimits): Challenge[] {
  const resolved = resolveLimits(limits);
  const challenges: MutableChallenge[] = [];
  for (const line of linesOf(header, resolved)) parseLine(new Scanner(line, resolved), challenges);
  return challenges;
}

/**
 * Parses `Authentication-Info` (RFC 9110 §11.6.3, RFC 7616 §3.5): a list of
 * auth-params without a scheme. Names are lower-cased; the result has no
 * prototype. Malformed input throws {@link ChallengeParseError}.
 *
 * @example
 * ```ts
 * parseAuthenticationInfo('rspauth="6629fae4", qop=auth, nc=00000001, nextnonce="n2"');
 * // → { rspauth: "6629fae4", qop: "auth", nc: "00000001", nextnonce: "n2" }
 * ```
 */
export function parseAuthenticationInfo(
  header: string | readonly string[],
  limits?: ChallengeParseLimits,
): Record<string, string> {
  const resolved = resolveLimits(limits);
  const params = newParams();
  const count = { value: 0 };
  for (const line of linesOf(header, resolved)) {
    const scanner = new Scanner(line, resolved);
    for (scanner.skipSeparators(); !scanner.done; scanner.skipSeparators()) {
      readParam(scanner, params, count);
      scanner.endOfElement();
    }
  }
  return params;
}
