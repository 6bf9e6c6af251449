/**
 * ClientCredentialsAuth's contract (RFC 6749 §4.4), driven by hand: the
 * token endpoint is a plain `fetch` function answering with `new Response`,
 * the resource's answers are written by hand; no network, a clock we move.
 */
import { describe, expect, it } from "vitest";
import {
  ClientCredentialsAuth,
  type ClientCredentialsOptions,
  OAuthError,
  type Token,
  TokenEndpointError,
} from "../../src/index.js";
import { authorizationOf, errorOf, expectFinished, ok, unauthorized, yielded } from "./exchange.js";

const TOKEN_URL = "https://as.example/oauth/token";
const RESOURCE = "https://api.example/orders";
const invalidToken = () => unauthorized('Bearer realm="api", error="invalid_token"');

type Answer = Record<string, unknown> | (() => Response);

/** A token endpoint answering `answers` in turn (the last one from then on), recording each token request. */
function tokenEndpoint(...answers: Answer[]) {
  const requests: Array<{ method: string; url: string; headers: Headers; form: URLSearchParams }> = [];
  const fetch = async (request: Request): Promise<Response> => {
    const form = new URLSearchParams(await request.text());
    requests.push({ method: request.method, url: request.url, headers: request.headers, form });
    const answer = answers[Math.min(requests.length - 1, answers.length - 1)] as Answer;
    if (typeof answer === "function") return answer();
    return new Response(JSON.stringify(answer), { headers: { "content-type": "application/json" } });
  };
  return { fetch, requests };
}

/** The tokens `onToken` reported, and a wait for the n-th (a background refresh ends on its own time). */
function tokensIssued() {
  const names: string[] = [];
  const waiting: Array<() => void> = [];
  const record = (issued: Token) => {
    names.push(issued.accessToken);
    for (const wake of waiting.splice(0)) wake();
  };
  const until = async (count: number): Promise<void> => {
    while (names.length < count) await new Promise<void>((resolve) => waiting.push(resolve));
  };
  return { names, record, until };
}

const token = (name: string, expiresIn = 3600) => ({ access_token: name, token_type: "Bearer", expires_in: expiresIn });

function client(fetch: (request: Request) => Promise<Response>, options: Partial<ClientCredentialsOptions> = {}) {
  const clock = { now: 1_800_000_000_000 };
  const auth = new ClientCredentialsAuth({
    tokenUrl: TOKEN_URL,
    clientId: "spec-client",
    clientSecret: "spec-secret",
    fetch,
    now: () => clock.now,
    ...options,
  });
  return { auth, clock };
}

describe("ClientCredentialsAuth: the first request", () => {
  it("gets a token first, then sends the request with `Bearer <access_token>`", async () => {
    const endpoint = tokenEndpoint(token("tok-1"));
    const { auth } = client(endpoint.fetch, { scope: "orders:write orders:read" });
    const step = await auth.authFlow(new Request(RESOURCE)).next();
    expect(authorizationOf(step)).toBe("Bearer tok-1");
    expect(endpoint.requests).toHaveLength(1);
    const [request] = endpoint.requests;
    expect(request).toMatchObject({ method: "POST", url: TOKEN_URL });
    expect(request?.headers.get("content-type")).toMatch(/^application\/x-www-form-urlencoded/);
    expect(Object.fromEntries(request?.form ?? [])).toEqual({
      grant_type: "client_credentials",
      scope: "orders:read orders:write",
    });
  });

  it("authenticates with client_secret_basic by default: id and secret form-encoded, then Basic (RFC 6749 §2.3.1)", async () => {
    const endpoint = tokenEndpoint(token("tok"));
    const { auth } = client(endpoint.fetch, { clientId: "my client", clientSecret: "s3:cr/et+" });
    await auth.authFlow(new Request(RESOURCE)).next();
    const encoded = `${new URLSearchParams({ i: "my client" }).toString().slice(2)}:${new URLSearchParams({ s: "s3:cr/et+" }).toString().slice(2)}`;
    expect(encoded).toBe("my+client:s3%3Acr%2Fet%2B");
    expect(endpoint.requests[0]?.headers.get("authorization")).toBe(`Basic ${Buffer.from(encoded).toString("base64")}`);
    expect(endpoint.requests[0]?.form.has("client_secret")).toBe(false);
  });

  it("with client_secret_post, sends id and secret in the form and no Authorization", async () => {
    const endpoint = tokenEndpoint(token("tok"));
    const { auth } = client(endpoint.fetch, { clientAuth: "client_secret_post" });
    await auth.authFlow(new Request(RESOURCE)).next();
    const [request] = endpoint.requests;
    expect(request?.headers.get("authorization")).toBeNull();
    expect(request?.form.get("client_id")).toBe("spec-client");
    expect(request?.form.get("client_secret")).toBe("spec-secret");
  });

  it("asks for the audience, each resource (RFC 8707) and the extra parameters", async () => {
    const endpoint = tokenEndpoint(token("tok"));
    const resource = ["https://b.example", "https://a.example"];
    const { auth } = client(endpoint.fetch, { audience: "orders", resource, extraParams: { tenant: "t1" } });
    await auth.authFlow(new Request(RESOURCE)).next();
    const form = endpoint.requests[0]?.form;
    expect(form?.get("audience")).toBe("orders");
    expect(form?.getAll("resource")).toEqual(["https://a.example", "https://b.example"]);
    expect(form?.get("tenant")).toBe("t1");
  });
});

describe("ClientCredentialsAuth: later requests", () => {
  it("send the cached token without asking the endpoint again", async () => {
    const endpoint = tokenEndpoint(token("tok-1"), token("tok-2"));
    const { auth } = client(endpoint.fetch);
    const flow = auth.authFlow(new Request(RESOURCE));
    await flow.next();
    expectFinished(await flow.next(ok()));
    expect(authorizationOf(await auth.authFlow(new Request(RESOURCE)).next())).toBe("Bearer tok-1");
    expect(endpoint.requests).toHaveLength(1);
  });

  it("get a new token once the cached one expired: an expired token is never sent", async () => {
    const endpoint = tokenEndpoint(token("tok-1", 600), token("tok-2", 600));
    const { auth, clock } = client(endpoint.fetch);
    await auth.authFlow(new Request(RESOURCE)).next();
    clock.now += 600_000;
    expect(authorizationOf(await auth.authFlow(new Request(RESOURCE)).next())).toBe("Bearer tok-2");
    expect(endpoint.requests).toHaveLength(2);
  });

  it("send the current token while a refresh runs in the background inside the leeway window", async () => {
    const endpoint = tokenEndpoint(token("tok-1"), token("tok-2"));
    const issued = tokensIssued();
    const { auth, clock } = client(endpoint.fetch, { refreshLeewaySeconds: 60, onToken: issued.record });
    await auth.authFlow(new Request(RESOURCE)).next();
    clock.now += 3_550_000; // 50 s left: inside the 60 s leeway
    expect(authorizationOf(await auth.authFlow(new Request(RESOURCE)).next())).toBe("Bearer tok-1");
    await issued.until(2);
    expect(authorizationOf(await auth.authFlow(new Request(RESOURCE)).next())).toBe("Bearer tok-2");
    expect(endpoint.requests).toHaveLength(2);
  });

  it("send the token getToken({ forceRefresh: true }) fetched", async () => {
    const endpoint = tokenEndpoint(token("tok-1"), token("tok-2"));
    const { auth } = client(endpoint.fetch);
    await auth.authFlow(new Request(RESOURCE)).next();
    expect((await auth.getToken({ forceRefresh: true })).accessToken).toBe("tok-2");
    expect(authorizationOf(await auth.authFlow(new Request(RESOURCE)).next())).toBe("Bearer tok-2");
  });
});

describe("ClientCredentialsAuth: a 401 from the resource", () => {
  it('with `Bearer error="invalid_token"`, drops the token and resends once with a new one (RFC 6750 §3.1)', async () => {
    const endpoint = tokenEndpoint(token("revoked"), token("fresh"));
    const { auth } = client(endpoint.fetch);
    const flow = auth.authFlow(new Request(RESOURCE));
    await flow.next();
    expect(authorizationOf(await flow.next(invalidToken()))).toBe("Bearer fresh");
    expectFinished(await flow.next(ok()));
    expect(endpoint.requests).toHaveLength(2);
  });

  it("resends at most once: a second invalid_token goes back to the caller", async () => {
    const endpoint = tokenEndpoint(token("one"), token("two"), token("three"));
    const { auth } = client(endpoint.fetch);
    const flow = auth.authFlow(new Request(RESOURCE));
    await flow.next();
    yielded(await flow.next(invalidToken()));
    expectFinished(await flow.next(invalidToken()));
    expect(endpoint.requests).toHaveLength(2);
  });

  it("without invalid_token, goes back to the caller and keeps the token", async () => {
    const endpoint = tokenEndpoint(token("kept"), token("unwanted"));
    const { auth } = client(endpoint.fetch);
    const flow = auth.authFlow(new Request(RESOURCE));
    await flow.next();
    expectFinished(await flow.next(unauthorized('Bearer realm="api", error="insufficient_scope"')));
    expect(authorizationOf(await auth.authFlow(new Request(RESOURCE)).next())).toBe("Bearer kept");
    expect(endpoint.requests).toHaveLength(1);
  });

  it("finishes when the endpoint hands back the very token that was refused", async () => {
    const endpoint = tokenEndpoint(token("same"));
    const { auth } = client(endpoint.fetch);
    const flow = auth.authFlow(new Request(RESOURCE));
    await flow.next();
    expectFinished(await flow.next(invalidToken()));
    expect(endpoint.requests).toHaveLength(2);
  });
});

describe("ClientCredentialsAuth: token endpoint failures", () => {
  const status =
    (code: number, body: unknown, headers: HeadersInit = {}) =>
    () =>
      new Response(JSON.stringify(body), { status: code, headers: { "content-type": "application/json", ...headers } });

  it("fail the request with OAuthError carrying the RFC 6749 §5.2 fields", async () => {
    const body = { error: "invalid_scope", error_description: "orders:delete is not granted" };
    const { auth } = client(tokenEndpoint(status(400, body)).fetch);
    const error = await errorOf(() => auth.authFlow(new Request(RESOURCE)).next());
    expect(error).toBeInstanceOf(OAuthError);
    expect(error).toMatchObject({ error: "invalid_scope", errorDescription: body.error_description, status: 400 });
  });

  it("do not present a rejected client secret again during the pause: the same error, no token request", async () => {
    const endpoint = tokenEndpoint(status(401, { error: "invalid_client" }), token("never"));
    const { auth } = client(endpoint.fetch, { clientSecret: "spec-secret-rejected" });
    const first = await errorOf(() => auth.getToken());
    expect(first).toMatchObject({ code: "ERR_OAUTH", error: "invalid_client" });
    await expect(auth.authFlow(new Request(RESOURCE)).next()).rejects.toMatchObject({ error: "invalid_client" });
    expect(endpoint.requests).toHaveLength(1);
  });

  it("retry a 503, waiting what Retry-After asks", async () => {
    const endpoint = tokenEndpoint(status(503, {}, { "retry-after": "0" }), token("after-retry"));
    const { auth } = client(endpoint.fetch);
    expect(authorizationOf(await auth.authFlow(new Request(RESOURCE)).next())).toBe("Bearer after-retry");
    expect(endpoint.requests).toHaveLength(2);
  });

  it("never follow a redirect: token requests carry credentials (RFC 9700 §4.12)", async () => {
    const redirect = () => new Response(null, { status: 302, headers: { location: "https://evil.example/token" } });
    const endpoint = tokenEndpoint(redirect);
    const { auth } = client(endpoint.fetch);
    await expect(auth.authFlow(new Request(RESOURCE)).next()).rejects.toBeInstanceOf(TokenEndpointError);
    expect(endpoint.requests).toHaveLength(1);
  });

  it("refuse a token that is not a Bearer token rather than send it as one", async () => {
    const { auth } = client(tokenEndpoint({ access_token: "mac-token", token_type: "mac" }).fetch);
    await expect(auth.authFlow(new Request(RESOURCE)).next()).rejects.toBeInstanceOf(TokenEndpointError);
  });
});
