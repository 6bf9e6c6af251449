/**
 * Issue 21, the ofetch recipe: `ofetch.create({ baseURL }, { fetch:
 * withAuth(fetch, auth) })`. ofetch calls its `fetch` with a URL string and
 * its whole options object (its own keys included, which authflow passes
 * through untouched); the body is already serialised to a string. authflow
 * answers challenges and follows redirects inside that call; ofetch's hooks,
 * retries and `FetchError` see only the final answer.
 */
import { FetchError, ofetch } from "ofetch";
import { beforeEach, describe, expect, it } from "vitest";
import { AuthflowError, AuthRejectedError, DigestAuth, InsecureTransportError, withAuth } from "../../src/index.js";
import { useTestServer } from "../helpers/server.js";
import { clientCredentials, GUARD_AFTER_ONE, PASSWORD, REMOTE_PLAIN_HTTP, recordingFetch, USER } from "./helpers.js";

const server = useTestServer();
const elsewhere = useTestServer();
beforeEach(() => {
  server.reset();
  elsewhere.reset();
});

describe("ofetch with withAuth", () => {
  it("sends Basic from a [user, pass] tuple, joined to baseURL", async () => {
    const api = ofetch.create({ baseURL: server.url }, { fetch: withAuth(fetch, [USER, PASSWORD]) });
    expect(await api(`/basic-auth/${USER}/${PASSWORD}`)).toEqual({ authenticated: true, user: USER });
    expect(server.stats().challenges).toBe(0);
  });

  it("answers a Digest challenge once, then sends the next request preemptively", async () => {
    const api = ofetch.create({ baseURL: server.url }, { fetch: withAuth(fetch, new DigestAuth(USER, PASSWORD)) });
    const path = `/digest-auth/auth/${USER}/${PASSWORD}`;
    expect(await api(path)).toEqual({ authenticated: true, user: USER });
    expect(await api(path)).toEqual({ authenticated: true, user: USER });
    expect(server.stats().challenges).toBe(1);
    expect(server.stats().routes["digest-auth"]).toBe(3);
  });

  it("re-sends a POST's JSON body through a 307 and the Digest challenge behind it", async () => {
    const recording = recordingFetch();
    const api = ofetch.create(
      { baseURL: server.url },
      { fetch: withAuth(recording.fetch, new DigestAuth(USER, PASSWORD)) },
    );
    // auth-int: the server checks a digest of the body it received (RFC 7616 §3.4.3).
    const target = `/digest-auth/auth-int/${USER}/${PASSWORD}`;
    const redirect = `/redirect-to?url=${encodeURIComponent(target)}&status_code=307`;
    const hookSaw: number[] = [];
    const answer = await api(redirect, {
      method: "POST",
      body: { order: 42 },
      onResponse: ({ response }) => void hookSaw.push(response.status),
    });
    expect(answer).toEqual({ authenticated: true, user: USER });
    expect(hookSaw).toEqual([200]); // neither the 307 nor the 401
    expect(recording.sent).toEqual([
      `POST /redirect-to - {"order":42}`,
      `POST ${target} - {"order":42}`,
      `POST ${target} Digest {"order":42}`,
    ]);
  });

  it("re-sends the same body on ofetch's own retry of a POST, preemptively once the challenge is known", async () => {
    const recording = recordingFetch();
    const api = ofetch.create(
      { baseURL: server.url },
      { fetch: withAuth(recording.fetch, new DigestAuth(USER, PASSWORD)) },
    );
    await api(`/digest-auth/auth/${USER}/${PASSWORD}`); // the challenge, now known for this origin and realm
    recording.sent.length = 0;
    const error = await api("/status/503", {
      method: "POST",
      body: { order: 42 },
      retry: 1, // ofetch retries no POST unless told to
      retryStatusCodes: [503],
    }).catch((caught: unknown) => caught);
    expect((error as FetchError).status).toBe(503);
    const sent = `POST /status/503 Digest {"order":42}`;
    expect(recording.sent).toEqual([sent, sent]);
  });

  it("gets one client-credentials token for several calls, and a new one when the server forgets it", async () => {
    const api = ofetch.create({ baseURL: server.url }, { fetch: withAuth(fetch, clientCredentials(server)) });
    for (let call = 0; call < 3; call++) {
      expect(await api("/oauth/protected")).toMatchObject({ client_id: "basic-client" });
    }
    expect(server.stats().tokenRequests).toBe(1);
    // The server forgets every token (and zeroes its counters): the next call's 401 says invalid_token,
    // and authflow gets a new token and resends, inside the one call ofetch made.
    server.reset();
    let errors = 0;
    await api("/oauth/protected", { onResponseError: () => void errors++ });
    expect(errors).toBe(0);
    expect(server.stats().tokenRequests).toBe(1);
    expect(server.stats().routes["oauth-protected"]).toBe(2);
  });

  it("throws FetchError with status 401 for a final 401", async () => {
    const api = ofetch.create({ baseURL: server.url }, { fetch: withAuth(fetch, new DigestAuth(USER, "wrong")) });
    const error = await api(`/digest-auth/auth/${USER}/${PASSWORD}`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FetchError);
    expect((error as FetchError).status).toBe(401);
    expect(server.stats().routes["digest-auth"]).toBe(2);
  });

  it("wraps authflow's errors in FetchError (the original as cause), after one retry of a GET", async () => {
    let attempts = 0;
    const api = ofetch.create({}, { fetch: withAuth(fetch, [USER, PASSWORD]) });
    const error = await api(REMOTE_PLAIN_HTTP, { onRequestError: () => void attempts++ }).catch((caught) => caught);
    expect(error).toBeInstanceOf(FetchError);
    expect((error as FetchError).cause).toBeInstanceOf(InsecureTransportError);
    expect(attempts).toBe(2);
  });

  it("wraps the guard's AuthRejectedError the same way", async () => {
    const api = ofetch.create(
      { baseURL: server.url },
      { fetch: withAuth(fetch, ["mallory", "guess"], GUARD_AFTER_ONE) },
    );
    expect(((await api("/basic-auth/mallory/right").catch((caught) => caught)) as FetchError).status).toBe(401);
    const error = await api("/basic-auth/mallory/right").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FetchError);
    expect((error as FetchError).cause).toBeInstanceOf(AuthRejectedError);
    expect(server.stats().routes["basic-auth"]).toBe(1);
  });

  it("passes authflow's errors through unwrapped and unretried with an onRequestError hook", async () => {
    let attempts = 0;
    const api = ofetch.create(
      {
        onRequestError: ({ error }) => {
          attempts++;
          if (error instanceof AuthflowError) throw error;
        },
      },
      { fetch: withAuth(fetch, [USER, PASSWORD]) },
    );
    await expect(api(REMOTE_PLAIN_HTTP)).rejects.toBeInstanceOf(InsecureTransportError);
    expect(attempts).toBe(1);
  });

  it("authenticates an absolute URL to another origin too: withAuth has no baseURL to bind to", async () => {
    const api = ofetch.create({ baseURL: server.url }, { fetch: withAuth(fetch, [USER, PASSWORD]) });
    const echoed = await api<{ headers: Record<string, string> }>(`${elsewhere.url}/anything`);
    expect(echoed.headers.authorization).toMatch(/^Basic /);

    // Scoped by hand: credentials for the API's origin only.
    const authed = withAuth(fetch, [USER, PASSWORD]);
    const scoped: typeof fetch = (input, init) =>
      new URL(input instanceof Request ? input.url : input).origin === server.url
        ? authed(input, init)
        : fetch(input, init);
    const scopedApi = ofetch.create({ baseURL: server.url }, { fetch: scoped });
    const other = await scopedApi<{ headers: Record<string, string> }>(`${elsewhere.url}/anything`);
    expect(other.headers.authorization).toBeUndefined();
    expect(await scopedApi(`/basic-auth/${USER}/${PASSWORD}`)).toEqual({ authenticated: true, user: USER });
  });
});
