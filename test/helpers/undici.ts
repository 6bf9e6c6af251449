import { Agent, type Dispatcher } from "undici";
import { afterAll } from "vitest";
import { authorizationFor } from "../../src/engine/capabilities.js";
import { type Auth, type AuthLike, BasicAuth, BearerAuth, ClientCredentialsAuth, DigestAuth } from "../../src/index.js";
import { type Handler, sha256 } from "./recorder.js";

const agents: Agent[] = [];
afterAll(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
});

/** An Agent composed with `interceptors`, closed after the test file. */
export function authAgent(...interceptors: Dispatcher.DispatcherComposeInterceptor[]): Dispatcher {
  return agentWith({}, ...interceptors);
}

/** An Agent made with `options` (a CA to trust, say), composed with `interceptors`, closed after the test file. */
export function agentWith(
  options: Agent.Options,
  ...interceptors: Dispatcher.DispatcherComposeInterceptor[]
): Dispatcher {
  const agent = new Agent(options);
  agents.push(agent);
  return agent.compose(...interceptors);
}

/** Every kind of Auth the interceptor runs, by name, each made fresh; ClientCredentials gets its token at `tokenUrl`. */
export function authKinds(tokenUrl: string): ReadonlyArray<readonly [string, () => AuthLike]> {
  return [
    ["Basic", () => new BasicAuth("user", "pass")],
    ["Bearer (static)", () => new BearerAuth("static-token")],
    ["Bearer (provider)", () => new BearerAuth(async () => "provided-token")],
    ["Digest", () => new DigestAuth("user", "pass")],
    ["function", () => (request: Request) => void request.headers.set("authorization", "Token from-a-function")],
    [
      "ClientCredentials",
      () => new ClientCredentialsAuth({ tokenUrl, clientId: "basic-client", clientSecret: "basic-secret" }),
    ],
    ["custom Auth", () => ({ authFlow: retryAfter401.authFlow })],
  ];
}

/**
 * A resource that asks for credentials: no Authorization → 401 with a Digest
 * challenge (DigestAuth answers it; the custom flow retries on any 401);
 * else `answer`.
 */
export function challenging(answer: Handler): Handler {
  return (request, response, body, log) => {
    if (request.headers.authorization === undefined) {
      response.writeHead(401, {
        "www-authenticate": 'Digest realm="test", nonce="n0nce", qop="auth", algorithm=MD5',
        "content-length": 0,
      });
      response.end();
      return;
    }
    answer(request, response, body, log);
  };
}

/** A custom scheme with no fast path: sends without credentials, and once more with them after a 401. */
export const retryAfter401: Auth = {
  async *authFlow(request) {
    const response: Response = yield request;
    if (response.status !== 401) return;
    request.headers.set("authorization", "Bearer good");
    yield request;
  },
};

/** A scheme with a fast path whose first guess is refused: the fallback must resume its flow with that 401. */
export class StaleThenGood implements Auth {
  [authorizationFor](): string {
    return "Bearer stale";
  }
  async *authFlow(request: Request) {
    request.headers.set("authorization", "Bearer stale");
    const response: Response = yield request;
    if (response.status !== 401) return;
    request.headers.set("authorization", "Bearer good");
    yield request;
  }
}

/** 401 unless `Bearer good`; then the body's length and SHA-256, or `size` bytes of x. */
export function challengeThenEcho(size = 0): Handler {
  return (request, response, body) => {
    if (request.headers.authorization !== "Bearer good") {
      response.writeHead(401, { "www-authenticate": 'Bearer realm="test"', "content-length": 0 });
      response.end();
    } else if (size > 0) {
      response.writeHead(200, { "content-type": "application/octet-stream" });
      response.end(Buffer.alloc(size, "x"));
    } else {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ length: body.length, sha256: sha256(body) }));
    }
  };
}
