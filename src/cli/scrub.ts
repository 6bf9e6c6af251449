/**
 * The last line of defence for secrets in what the CLI prints on stderr:
 * every secret it was given (password, token, client secret, a secret header's
 * value) is replaced by `[redacted]` in warnings, the `-v` log and error
 * messages. The body on stdout is never touched: it is the server's.
 *
 * @example
 * ```ts
 * const scrubber = new Scrubber();
 * scrubber.add(["s3cret-token"]);
 * scrubber.scrub("token s3cret-token refused"); // "token [redacted] refused"
 * ```
 */
export class Scrubber {
  #secrets: string[] = [];

  /** Remembers secrets. Very short ones are skipped: replacing every "a" would garble the output and hide nothing. */
  add(secrets: readonly string[]): void {
    for (const secret of secrets) {
      if (secret.length >= 4 && !this.#secrets.includes(secret)) this.#secrets.push(secret);
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.#secrets.sort((a, b) => b.length - a.length);
  }

  scrub(text: string): string {
    let result = text;
    for (const secret of this.#secrets) {
      result =
        secret.length >= WHOLE_WORD_BELOW ? result.split(secret).join("[redacted]") : replaceWord(result, secret);
    }
    return result;
  }
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
    result += `${text.slice(from, at)}[redacted]`;
    from = at + secret.length;
  }
  return result + text.slice(from);
}
