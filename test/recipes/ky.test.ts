/**
 * Issue 21, the ky recipe: `ky.create({ fetch: withAuth(fetch, auth) })`.
 * ky calls its `fetch` with a `Request` (body as a stream) and an init of
 * the options it does not know; it clones the Request before each call, and
 * a retry sends the clone. authflow answers challenges inside that one call,
 * so ky's hooks and retries see only the final response.
 */
import ky, { HTTPError, type ShouldRetryState } from "ky";
import { beforeEach, describe, expect, it } from "vitest";
import {
  AuthflowError,
  AuthRejectedError,
  BasicAuth,
  BodyNotReplayableError,
  DigestAuth,
  InsecureTransportError,
  withAuth,
} from "../../src/index.js";
import { useTestServer } from "../helpers/server.js";
import { clientCredentials, GUARD_AFTER_ONE, PASSWORD, REMOTE_PLAIN_HTTP, recordingFetch, USER } from "./helpers.js";

const server = useTestServer();
beforeEach(() => server.reset());

/** ky's shouldRetry: `false` for authflow's errors, `undefined` (ky's own rules) for the rest — `true` would retry a 401. */
const notAuthflowErrors = ({ error }: ShouldRetryState): false | undefined =>
  error instanceof AuthflowError ? false : undefined;

describe("ky with withAuth", () => {
  it("sends Basic from a [user, pass] tuple, under prefixUrl", async () => {
    const api = ky.create({ prefixUrl: server.url, fetch: withAuth(fetch, [USER, PASSWORD]) });
    const body = await api.get(`basic-auth/${USER}/${PASSWORD}`).json();
    expect(body).toEqual({ authenticated: true, user: USER });
    expect(server.stats().challenges).toBe(0);
  });

  it("refuses a path with a leading slash under prefixUrl, before anything is sent (ky's rule)", async () => {
    const api = ky.create({ prefixUrl: server.url, fetch: withAuth(fetch, [USER, PASSWORD]) });
    expect(() => api.get(`/basic-auth/${USER}/${PASSWORD}`)).toThrow(/must not begin with a slash/);
    expect(server.stats().requests).toBe(0);
  });

  it("answers a Digest challenge once, then sends the next request preemptively", async () => {
    const api = ky.create({ prefixUrl: server.url, fetch: withAuth(fetch, new DigestAuth(USER, PASSWORD)) });
    const path = `digest-auth/auth/${USER}/${PASSWORD}`;
    expect(await api.get(path).json()).toEqual({ authenticated: true, user: USER });
    expect(await api.get(path).json()).toEqual({ authenticated: true, user: USER });
    // Three round trips for two calls: the challenge, then one each.
    expect(server.stats().challenges).toBe(1);
    expect(server.stats().routes["digest-auth"]).toBe(3);
  });

  it("re-sends a POST's JSON body after the Digest challenge, and again on a retry ky forces", async () => {
    const recording = recordingFetch();
    let forced = 0;
    const api = ky.create({
      prefixUrl: server.url,
      fetch: withAuth(recording.fetch, new DigestAuth(USER, PASSWORD)),
      retry: { limit: 1, methods: ["post"], delay: () => 0 },
      hooks: {
        // A hook that retries once after a success, as one would after a "try again" answer.
        afterResponse: [() => (forced++ === 0 ? ky.retry() : undefined)],
      },
    });
    // auth-int: the server checks a digest of the body it received (RFC 7616 §3.4.3).
    const path = `digest-auth/auth-int/${USER}/${PASSWORD}`;
    const answer = await api.post(path, { json: { order: 42 } }).json();
    expect(answer).toEqual({ authenticated: true, user: USER });
    const sent = (scheme: string) => `POST /${path} ${scheme} {"order":42}`;
    // The challenge, its answer, then ky's retry (of its own clone), preemptive.
    expect(recording.sent).toEqual([sent("-"), sent("Digest"), sent("Digest")]);
    expect(server.stats().challenges).toBe(1);
  });

  it("keeps up to maxReplayBytes of ky's streamed body to answer a challenge, then BodyNotReplayableError", async () => {
    // ky hands over a Request, so even a JSON string arrives as a stream: authflow keeps a copy to re-send.
    const body = { blob: "x".repeat(4096) };
    const path = `digest-auth/auth/${USER}/${PASSWORD}`;
    const small = ky.create({
      prefixUrl: server.url,
      fetch: withAuth(fetch, new DigestAuth(USER, PASSWORD), { maxReplayBytes: 1024 }),
    });
    await expect(small.post(path, { json: body })).rejects.toBeInstanceOf(BodyNotReplayableError);
    expect(server.stats().routes["digest-auth"]).toBe(1); // the challenge; nothing was re-sent

    const roomy = ky.create({ prefixUrl: server.url, fetch: withAuth(fetch, new DigestAuth(USER, PASSWORD)) });
    expect(await roomy.post(path, { json: body }).json()).toEqual({ authenticated: true, user: USER });
  });

  it("gets one client-credentials token for several calls", async () => {
    const api = ky.create({ prefixUrl: server.url, fetch: withAuth(fetch, clientCredentials(server)) });
    for (let call = 0; call < 3; call++) {
      expect(await api.get("oauth/protected").json()).toMatchObject({ client_id: "basic-client" });
    }
    expect(server.stats().tokenRequests).toBe(1);
    expect(server.stats().routes["oauth-protected"]).toBe(3);
  });

  it("throws ky's HTTPError for a final 401 (a wrong password costs one answered challenge)", async () => {
    const api = ky.create({ prefixUrl: server.url, fetch: withAuth(fetch, new DigestAuth(USER, "wrong")) });
    const error = await api.get(`digest-auth/auth/${USER}/${PASSWORD}`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HTTPError);
    expect((error as HTTPError).response.status).toBe(401);
    expect(server.stats().routes["digest-auth"]).toBe(2);
  });

  it("retries authflow's refusals like network errors unless shouldRetry says no", async () => {
    let retries = 0;
    const options = {
      fetch: withAuth(fetch, new BasicAuth(USER, PASSWORD)),
      retry: { limit: 2, delay: () => 0 },
      hooks: { beforeRetry: [() => void retries++] },
    };
    const error = await ky.get(REMOTE_PLAIN_HTTP, options).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InsecureTransportError);
    expect(retries).toBe(2);

    retries = 0;
    const noRetry = { ...options, retry: { ...options.retry, shouldRetry: notAuthflowErrors } };
    const again = await ky.get(REMOTE_PLAIN_HTTP, noRetry).catch((caught: unknown) => caught);
    expect(again).toBeInstanceOf(InsecureTransportError);
    expect(retries).toBe(0);
  });

  it("retries a 401 when shouldRetry answers true for what is not authflow's: answer undefined instead", async () => {
    const path = "basic-auth/carol/right";
    const retrying = (shouldRetry: (state: ShouldRetryState) => boolean | undefined) =>
      ky.create({
        prefixUrl: server.url,
        fetch: withAuth(fetch, ["carol", "wrong"], { rejectionGuard: false }),
        retry: { limit: 2, delay: () => 0, shouldRetry },
      });
    const boolean = retrying(({ error }) => !(error instanceof AuthflowError));
    expect(((await boolean.get(path).catch((caught) => caught)) as HTTPError).response.status).toBe(401);
    expect(server.stats().routes["basic-auth"]).toBe(3); // the wrong password, three times

    server.reset();
    const kyRules = retrying(notAuthflowErrors);
    expect(((await kyRules.get(path).catch((caught) => caught)) as HTTPError).response.status).toBe(401);
    expect(server.stats().routes["basic-auth"]).toBe(1);
  });

  it("comes through with AuthRejectedError once the guard holds back a rejected password", async () => {
    const api = ky.create({
      prefixUrl: server.url,
      fetch: withAuth(fetch, ["mallory", "guess"], GUARD_AFTER_ONE),
      retry: { limit: 2, delay: () => 0, shouldRetry: notAuthflowErrors },
    });
    const first = await api.get("basic-auth/mallory/right").catch((caught: unknown) => caught);
    expect((first as HTTPError).response.status).toBe(401);
    const second = await api.get("basic-auth/mallory/right").catch((caught: unknown) => caught);
    expect(second).toBeInstanceOf(AuthRejectedError);
    expect(server.stats().routes["basic-auth"]).toBe(1);
  });
});
