import { isSecretHeader, isSecretParameter, redactQueryValues } from "./credential-names.js";
import { pairForms, type SecretForm, secretForms } from "./secret-forms.js";

/**
 * The last line of defence for secrets in what the CLI prints on stderr:
 * every secret the command holds (password, token, client secret, a secret
 * header's value, a credential in the URL's query, the credentials its own
 * requests carried) is replaced by `[redacted]` in every spelling
 * ({@link secretForms}: raw, percent- and form-encoded, base64, base64url,
 * a Basic `user:pass`), and the value of every credential-looking URL
 * parameter is redacted wherever a URL appears — in warnings, the `-v` log
 * and error messages. The body on stdout is never touched: it is the server's.
 *
 * @example
 * ```ts
 * const scrubber = new Scrubber();
 * scrubber.add(["s3cret-token"]);
 * scrubber.scrub("token s3cret-token refused"); // "token [redacted] refused"
 * ```
 */
export class Scrubber {
  #forms: SecretForm[] = [];
  readonly #known = new Set<string>();

  /** Remembers secrets. Very short ones are skipped: replacing every "a" would garble the output and hide nothing. */
  add(secrets: readonly string[]): void {
    for (const secret of secrets) {
      if (secret.length >= SHORTEST_SECRET && !this.#known.has(secret)) {
        this.#known.add(secret);
        this.#remember(secretForms(secret));
      }
    }
  }

  /** Remembers a password and its Basic spellings with `username` (`base64(user:pass)`). */
  addPair(username: string, secret: string): void {
    this.add([secret]);
    if (secret.length >= SHORTEST_SECRET) this.#remember(pairForms(username, secret));
  }

  /**
   * Remembers the credentials an outgoing request carries: the values of its
   * credential headers (a Basic one decoded to its password), each cookie's
   * value, and its URL's credential parameters — tokens fetched at run time included.
   */
  harvest(request: Request): void {
    this.harvestHeaders(request.headers, new URL(request.url));
  }

  /** As {@link harvest}, for headers as they went on the wire and the URL they went to. */
  harvestHeaders(headers: Iterable<readonly [string, string]>, url: URL): void {
    for (const [name, value] of headers) {
      if (!isSecretHeader(name)) continue;
      const credential = value.slice(value.indexOf(" ") + 1).trim();
      this.add([value, credential]);
      if (/^basic\s/i.test(value)) this.#addBasic(credential);
      if (/cookie/i.test(name)) this.add(cookieValues(value));
    }
    this.addQuery(url);
  }

  /** Remembers the values of `url`'s credential parameters (query and fragment), decoded. */
  addQuery(url: URL): void {
    for (const part of [url.search.slice(1), url.hash.slice(1)]) {
      for (const [name, value] of new URLSearchParams(part)) if (isSecretParameter(name)) this.add([value]);
    }
  }

  scrub(text: string): string {
    let result = text;
    for (const form of this.#forms) {
      if (!result.includes(form.text)) continue;
      const anywhere = form.encoded || form.text.length >= WHOLE_WORD_BELOW;
      result = anywhere ? result.split(form.text).join(REDACTED) : replaceWord(result, form.text);
    }
    return redactQueryValues(result);
  }

  #addBasic(credentials: string): void {
    let pair: string;
    try {
      pair = new TextDecoder("utf-8", { fatal: true }).decode(
        Uint8Array.from(atob(credentials), (c) => c.charCodeAt(0)),
      );
    } catch {
      return;
    }
    const colon = pair.indexOf(":");
    if (colon >= 0) this.addPair(pair.slice(0, colon), pair.slice(colon + 1));
  }

  #remember(forms: readonly SecretForm[]): void {
    const seen = new Set(this.#forms.map((form) => form.text));
    for (const form of forms) {
      if (form.text.length >= SHORTEST_SECRET && !seen.has(form.text)) {
        seen.add(form.text);
        this.#forms.push(form);
      }
    }
    // Longest first, so a spelling that contains another is replaced whole.
    this.#forms.sort((a, b) => b.text.length - a.text.length);
  }
}

const REDACTED = "[redacted]";
const SHORTEST_SECRET = 4;

/** `a=1; b=2` → the values `1`, `2`. */
function cookieValues(header: string): string[] {
  return header.split(";").map((pair) => pair.slice(pair.indexOf("=") + 1).trim());
}

/**
 * Secrets shorter than this are replaced only where they stand as a word of
 * their own (not inside a longer run of letters and digits): a password
 * `pass` must not turn the word "password" into "[redacted]word", while
 * `/basic-auth/user/pass`, `token=pass&` and `"pass"` are still redacted.
 * Longer secrets are replaced wherever they appear.
 */
const WHOLE_WORD_BELOW = 8;

const isWordCharacter = (character: string | undefined): boolean =>
  character !== undefined && /[\p{L}\p{N}]/u.test(character);

function replaceWord(text: string, secret: string): string {
  let result = "";
  let from = 0;
  for (let at = text.indexOf(secret); at >= 0; at = text.indexOf(secret, at + 1)) {
    if (at < from) continue;
    const before = text[at - 1];
    const after = text[at + secret.length];
    // A boundary counts only where the secret itself ends in a letter or digit there.
    const joinedBefore = isWordCharacter(before) && isWordCharacter(secret[0]);
    const joinedAfter = isWordCharacter(after) && isWordCharacter(secret[secret.length - 1]);
    if (joinedBefore || joinedAfter) continue;
    result += `${text.slice(from, at)}${REDACTED}`;
    from = at + secret.length;
  }
  return result + text.slice(from);
}
