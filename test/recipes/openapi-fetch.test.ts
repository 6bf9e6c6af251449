/**
 * Issue 21, the openapi-fetch recipe: `createClient<paths>({ baseUrl, fetch:
 * withAuth(fetch, auth) })`. openapi-fetch builds a `Request` (JSON body as
 * a stream) and calls its `fetch` with it alone; authflow answers challenges
 * inside that call, so the typed `{ data, error, response }` is the final
 * answer's. The `paths` type below is what openapi-typescript would write
 * for a few of the test server's routes.
 */
import createClient from "openapi-fetch";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { AuthRejectedError, Client, DigestAuth, InsecureTransportError, withAuth } from "../../src/index.js";
import { useTestServer } from "../helpers/server.js";
import { clientCredentials, GUARD_AFTER_ONE, PASSWORD, REMOTE_PLAIN_HTTP, recordingFetch, USER } from "./helpers.js";

/** The test server's answer to a right password. */
interface Authenticated {
  authenticated: boolean;
  user: string;
}

/** What `/anything` echoes. */
interface Echo {
  method: string;
  args: Record<string, string>;
  headers: Record<string, string>;
  json: unknown;
}

/** A 401's body. */
interface Unauthorized {
  authenticated?: boolean;
  error?: string;
}

type JsonResponse<Body> = { headers: Record<string, unknown>; content: { "application/json": Body } };
type NoParameters = { query?: never; header?: never; path?: never; cookie?: never };
type Credentials = { user: string; passwd: string };

/** A hand-written OpenAPI `paths` type for four test-server routes. */
interface paths {
  "/anything": {
    parameters: NoParameters;
    get: {
      parameters: { query?: { page?: number }; header?: never; path?: never; cookie?: never };
      requestBody?: never;
      responses: { 200: JsonResponse<Echo> };
    };
    post: {
      parameters: NoParameters;
      requestBody: { content: { "application/json": { order: number } } };
      responses: { 200: JsonResponse<Echo> };
    };
  };
  "/basic-auth/{user}/{passwd}": {
    parameters: NoParameters;
    get: {
      parameters: { query?: never; header?: never; path: Credentials; cookie?: never };
      requestBody?: never;
      responses: { 200: JsonResponse<Authenticated>; 401: JsonResponse<Unauthorized> };
    };
  };
  "/digest-auth/{qop}/{user}/{passwd}": {
    parameters: NoParameters;
    get: {
      parameters: { query?: never; header?: never; path: Credentials & { qop: "auth" | "auth-int" }; cookie?: never };
      requestBody?: never;
      responses: { 200: JsonResponse<Authenticated>; 401: JsonResponse<Unauthorized> };
    };
    post: {
      parameters: { query?: never; header?: never; path: Credentials & { qop: "auth" | "auth-int" }; cookie?: never };
      requestBody: { content: { "application/json": { order: number } } };
      responses: { 200: JsonResponse<Authenticated>; 401: JsonResponse<Unauthorized> };
    };
  };
  "/oauth/protected": {
    parameters: NoParameters;
    get: {
      parameters: NoParameters;
      requestBody?: never;
      responses: { 200: JsonResponse<{ client_id: string; scope?: string }>; 401: JsonResponse<Unauthorized> };
    };
  };
}

const server = useTestServer();
const elsewhere = useTestServer();
beforeEach(() => {
  server.reset();
  elsewhere.reset();
});

const credentials = { user: USER, passwd: PASSWORD };

describe("openapi-fetch with withAuth", () => {
  it("sends Basic from a [user, pass] tuple, typed end to end", async () => {
    const api = createClient<paths>({ baseUrl: server.url, fetch: withAuth(fetch, [USER, PASSWORD]) });
    const { data, error, response } = await api.GET("/basic-auth/{user}/{passwd}", {
      params: { path: credentials },
    });
    expectTypeOf(data).toEqualTypeOf<Authenticated | undefined>();
    expectTypeOf(error).toEqualTypeOf<Unauthorized | undefined>();
    expect(response.status).toBe(200);
    expect(data).toEqual({ authenticated: true, user: USER });
  });

  it("answers a Digest challenge once, then sends the next request preemptively", async () => {
    const api = createClient<paths>({ baseUrl: server.url, fetch: withAuth(fetch, new DigestAuth(USER, PASSWORD)) });
    const path = { qop: "auth", ...credentials } as const;
    for (let call = 0; call < 2; call++) {
      const { data } = await api.GET("/digest-auth/{qop}/{user}/{passwd}", { params: { path } });
      expect(data?.user).toBe(USER);
    }
    expect(server.stats().challenges).toBe(1);
    expect(server.stats().routes["digest-auth"]).toBe(3);
  });

  it("re-sends the typed JSON body after the Digest challenge", async () => {
    const recording = recordingFetch();
    const api = createClient<paths>({
      baseUrl: server.url,
      fetch: withAuth(recording.fetch, new DigestAuth(USER, PASSWORD)),
    });
    // auth-int: the server checks a digest of the body it received (RFC 7616 §3.4.3).
    const { data } = await api.POST("/digest-auth/{qop}/{user}/{passwd}", {
      params: { path: { qop: "auth-int", ...credentials } },
      body: { order: 42 },
    });
    expect(data).toEqual({ authenticated: true, user: USER });
    const sent = (scheme: string) => `POST /digest-auth/auth-int/${USER}/${PASSWORD} ${scheme} {"order":42}`;
    expect(recording.sent).toEqual([sent("-"), sent("Digest")]);
  });

  it("gets one client-credentials token for several typed calls", async () => {
    const api = createClient<paths>({ baseUrl: server.url, fetch: withAuth(fetch, clientCredentials(server)) });
    for (let call = 0; call < 3; call++) {
      const { data } = await api.GET("/oauth/protected");
      expectTypeOf(data).toEqualTypeOf<{ client_id: string; scope?: string } | undefined>();
      expect(data?.client_id).toBe("basic-client");
    }
    const { data: echo } = await api.GET("/anything", { params: { query: { page: 2 } } });
    expect(echo?.args).toEqual({ page: "2" });
    expect(echo?.headers.authorization).toMatch(/^Bearer /);
    expect(server.stats().tokenRequests).toBe(1);
  });

  it("authenticates wherever a per-call baseUrl points with withAuth; a Client as the fetch binds them to its own", async () => {
    const loose = createClient<paths>({ baseUrl: server.url, fetch: withAuth(fetch, [USER, PASSWORD]) });
    const { data: leaked } = await loose.GET("/anything", { baseUrl: elsewhere.url });
    expect(leaked?.headers.authorization).toMatch(/^Basic /);

    // A Client carries the credentials for its baseURL's origin only (and its timeout, tls and proxy options).
    const client = new Client({ baseURL: server.url, auth: [USER, PASSWORD] });
    const bound = createClient<paths>({
      baseUrl: server.url,
      fetch: (request) =>
        client.request(request.method, request.url, {
          headers: request.headers,
          body: request.body,
          signal: request.signal,
        }),
    });
    const { data: kept } = await bound.GET("/anything", { baseUrl: elsewhere.url });
    expect(kept?.headers.authorization).toBeUndefined();
    const { data: own } = await bound.GET("/basic-auth/{user}/{passwd}", { params: { path: credentials } });
    expect(own).toEqual({ authenticated: true, user: USER });
    const { data: posted } = await bound.POST("/anything", { body: { order: 42 } });
    expect(posted?.json).toEqual({ order: 42 });
  });

  it("returns a final 401 as the typed error, without throwing", async () => {
    const api = createClient<paths>({ baseUrl: server.url, fetch: withAuth(fetch, new DigestAuth(USER, "wrong")) });
    const { data, error, response } = await api.GET("/digest-auth/{qop}/{user}/{passwd}", {
      params: { path: { qop: "auth", ...credentials } },
    });
    expect(data).toBeUndefined();
    expect(response.status).toBe(401);
    expect(error).toEqual({ authenticated: false });
  });

  it("rejects with the guard's AuthRejectedError as it is", async () => {
    const api = createClient<paths>({
      baseUrl: server.url,
      fetch: withAuth(fetch, ["mallory", "guess"], GUARD_AFTER_ONE),
    });
    const path = { user: "mallory", passwd: "right" };
    const { response } = await api.GET("/basic-auth/{user}/{passwd}", { params: { path } });
    expect(response.status).toBe(401);
    await expect(api.GET("/basic-auth/{user}/{passwd}", { params: { path } })).rejects.toBeInstanceOf(
      AuthRejectedError,
    );
    expect(server.stats().routes["basic-auth"]).toBe(1);
  });

  it("rejects with authflow's own error, which middleware onError sees first", async () => {
    const api = createClient<paths>({
      baseUrl: new URL(REMOTE_PLAIN_HTTP).origin,
      fetch: withAuth(fetch, [USER, PASSWORD]),
    });
    const seen: unknown[] = [];
    api.use({ onError: ({ error }) => void seen.push(error) });
    await expect(api.GET("/anything")).rejects.toBeInstanceOf(InsecureTransportError);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(InsecureTransportError);
  });
});
