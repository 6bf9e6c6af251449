/**
 * The bounds' credentials, computed by hand with node:crypto: what a program
 * that talks to this one server and nothing else would do. authflow's figures
 * are measured against these.
 */
import { createHash, randomBytes } from "node:crypto";
import { Agent, request } from "undici";

const md5 = (text: string): string => createHash("md5").update(text).digest("hex");

/**
 * RFC 7616 Digest, qop=auth, MD5 only: one challenge fetched up front, then a
 * header per request with the next `nc`. No parser, no checks.
 */
export class HandDigest {
  readonly #username: string;
  readonly #password: string;
  readonly #cnonce = randomBytes(8).toString("hex");
  #ha1 = "";
  #realm = "";
  #nonce = "";
  #opaque = "";
  #count = 0;

  private constructor(username: string, password: string, challenge: string) {
    this.#username = username;
    this.#password = password;
    this.renew(challenge);
  }

  /** Asks `url` for its challenge. */
  static async prime(url: string, username: string, password: string): Promise<HandDigest> {
    const agent = new Agent();
    const { headers, body } = await request(url, { dispatcher: agent });
    await body.dump();
    await agent.close();
    return new HandDigest(username, password, String(headers["www-authenticate"] ?? ""));
  }

  /** Takes a new challenge (the server forgot the nonce: `stale=true`). */
  renew(challenge: string): void {
    const field = (name: string): string => new RegExp(`${name}="([^"]*)"`).exec(challenge)?.[1] ?? "";
    this.#realm = field("realm");
    this.#nonce = field("nonce");
    this.#opaque = field("opaque");
    this.#ha1 = md5(`${this.#username}:${this.#realm}:${this.#password}`);
    this.#count = 0;
  }

  header(method: string, uri: string): string {
    this.#count += 1;
    const nc = this.#count.toString(16).padStart(8, "0");
    const ha2 = md5(`${method}:${uri}`);
    const response = md5(`${this.#ha1}:${this.#nonce}:${nc}:${this.#cnonce}:auth:${ha2}`);
    return (
      `Digest username="${this.#username}", realm="${this.#realm}", nonce="${this.#nonce}", uri="${uri}", ` +
      `algorithm=MD5, qop=auth, nc=${nc}, cnonce="${this.#cnonce}", response="${response}", opaque="${this.#opaque}"`
    );
  }
}

/** An OAuth 2.0 access token from the test server's token endpoint (client_secret_basic). */
export async function fetchToken(serverUrl: string, clientId: string, clientSecret: string): Promise<string> {
  const response = await fetch(`${serverUrl}/oauth/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials",
  });
  const answer = (await response.json()) as { access_token?: string };
  if (answer.access_token === undefined) throw new Error(`no token from ${serverUrl}/oauth/token`);
  return answer.access_token;
}
