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
    for (const secret of this.#secrets) result = result.split(secret).join("[redacted]");
    return result;
  }
}
