import { Agent, type Dispatcher } from "undici";
import { afterAll } from "vitest";
import { authorizationFor } from "../../src/fast-path.js";
import type { Auth } from "../../src/index.js";
import { type Handler, sha256 } from "./recorder.js";

const agents: Agent[] = [];
afterAll(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
});

/** An Agent composed with `interceptors`, closed after the test file. */
export function authAgent(...interceptors: Dispatcher.DispatcherComposeInterceptor[]): Dispatcher {
  const agent = new Agent();
  agents.push(agent);
  return agent.compose(...interceptors);
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
