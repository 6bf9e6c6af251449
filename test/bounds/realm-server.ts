import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { parseChallenges } from "../../src/headers/challenge.js";

/**
 * A Digest server (MD5, qop=auth; RFC 7616) on 127.0.0.1 that names a fresh
 * realm in every challenge, as a hostile or misconfigured server may. Each
 * nonce is good for one request: a request that reuses one (a client's
 * preemptive answer) gets a new challenge, with a new realm. With
 * `fixedRealm` it is an ordinary Digest server.
 */
export interface RealmServer {
  readonly url: string;
  readonly port: number;
  /** Challenges sent (each with a realm of its own unless `fixedRealm`). */
  challenges(): number;
  /** Requests answered 200. */
  accepted(): number;
  close(): Promise<void>;
}

const md5 = (text: string) => createHash("md5").update(text, "latin1").digest("hex");

export async function startRealmServer(
  username: string,
  password: string,
  options: { fixedRealm?: string } = {},
): Promise<RealmServer> {
  // Nonce → realm, for nonces issued and not used yet (bounded: the oldest are forgotten).
  const issued = new Map<string, string>();
  let challenges = 0;
  let accepted = 0;
  const verify = (request: IncomingMessage): boolean => {
    const header = request.headers.authorization;
    if (header === undefined) return false;
    const params = parseChallenges(header)[0]?.params ?? {};
    const realm = params.nonce === undefined ? undefined : issued.get(params.nonce);
    if (realm === undefined || params.realm !== realm || params.username !== username) return false;
    issued.delete(params.nonce as string);
    const ha1 = md5(`${username}:${realm}:${password}`);
    const ha2 = md5(`${request.method}:${params.uri}`);
    return params.response === md5(`${ha1}:${params.nonce}:${params.nc}:${params.cnonce}:auth:${ha2}`);
  };
  const server: Server = createServer((request, response) => {
    if (verify(request)) {
      accepted += 1;
      response.end("ok");
      return;
    }
    challenges += 1;
    const nonce = randomBytes(12).toString("hex");
    const realm = options.fixedRealm ?? `realm ${challenges} ${randomBytes(6).toString("hex")}`;
    issued.set(nonce, realm);
    if (issued.size > 10_000) issued.delete(issued.keys().next().value as string);
    response.writeHead(401, { "www-authenticate": `Digest realm="${realm}", nonce="${nonce}", qop="auth"` });
    response.end("who are you?");
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    challenges: () => challenges,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
