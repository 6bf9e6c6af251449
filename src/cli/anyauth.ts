import { type Auth, type AuthFlow, BasicAuth, DigestAuth } from "../index.js";
import { offeredSchemes } from "./challenge-hint.js";

/**
 * `--anyauth` (curl's): the first request goes without credentials; a 401
 * says which scheme the server wants, and the user and password answer it —
 * Digest when offered (it never sends the password), else Basic. The choice
 * is remembered per origin, so later requests (redirects) answer at once.
 *
 * @example
 * ```ts
 * const client = new Client({ auth: new AnyAuth("user", password) });
 * ```
 */
export class AnyAuth implements Auth {
  /** The Digest side: a `--session` primes its cached challenges. */
  readonly digest: DigestAuth;
  readonly #basic: BasicAuth;
  readonly #chosen = new Map<string, Auth>();

  constructor(username: string, password: string) {
    this.digest = new DigestAuth(username, password);
    this.#basic = new BasicAuth(username, password);
  }

  /** Answers `origin` with Digest from the first request (a challenge for it is cached). */
  preferDigest(origin: string): void {
    this.#chosen.set(origin, this.digest);
  }

  async *authFlow(request: Request): AuthFlow {
    const origin = new URL(request.url).origin;
    const chosen = this.#chosen.get(origin);
    if (chosen !== undefined) {
      yield* run(chosen.authFlow(request), undefined);
      return;
    }
    const response: Response = yield request;
    if (response.status !== 401) return;
    const offered = offeredSchemes(response.headers.get("www-authenticate"));
    const pick = offered.includes("digest") ? this.digest : offered.includes("basic") ? this.#basic : undefined;
    if (pick === undefined) return;
    this.#chosen.set(origin, pick);
    // Digest answers the 401 already in hand; Basic needs none.
    yield* run(pick.authFlow(request), pick === this.digest ? response : undefined);
  }
}

/** Drives `inner`, handing it `challenge` as the answer to its first request when given. */
async function* run(inner: AuthFlow, challenge: Response | undefined): AuthFlow {
  try {
    let step = await inner.next();
    if (challenge !== undefined && !step.done) step = await inner.next(challenge);
    while (!step.done) {
      const answer: Response = yield step.value;
      step = await inner.next(answer);
    }
  } finally {
    await inner.return?.(undefined);
  }
}
