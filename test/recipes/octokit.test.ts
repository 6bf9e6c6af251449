/**
 * Issue 21, the @octokit/core recipe: `new Octokit({ baseUrl, request: {
 * fetch: withAuth(fetch, auth) } })`. Octokit calls its `fetch` with a URL
 * string and an init (method, headers as a plain object, a JSON string
 * body); authflow adds the credentials there, so Octokit's own `auth` option
 * stays out. The test server stands in for a GitHub Enterprise API:
 * `/anything` echoes what arrived.
 */
import { Octokit } from "@octokit/core";
import { beforeEach, describe, expect, it } from "vitest";
import { AuthRejectedError, DigestAuth, InsecureTransportError, withAuth } from "../../src/index.js";
import { useTestServer } from "../helpers/server.js";
import { clientCredentials, GUARD_AFTER_ONE, PASSWORD, REMOTE_PLAIN_HTTP, recordingFetch, USER } from "./helpers.js";

/** What Octokit throws (@octokit/request-error's RequestError, named "HttpError"; a dependency of @octokit/core, not ours). */
interface RequestError extends Error {
  status: number;
  response?: { status: number; data: unknown };
}

const server = useTestServer();
const elsewhere = useTestServer();
beforeEach(() => {
  server.reset();
  elsewhere.reset();
});

const credentials = { user: USER, passwd: PASSWORD };

describe("@octokit/core with withAuth", () => {
  it("sends a client-credentials token as the Bearer authorization header, one token for several calls", async () => {
    const octokit = new Octokit({
      baseUrl: server.url,
      request: { fetch: withAuth(fetch, clientCredentials(server)) },
    });
    const { data } = await octokit.request("GET /anything");
    expect(data.headers.authorization).toMatch(/^Bearer [\w-]+/);
    expect(data.headers["user-agent"]).toMatch(/octokit-core\.js/);
    for (let call = 0; call < 2; call++) {
      expect((await octokit.request("GET /oauth/protected")).data).toMatchObject({ client_id: "basic-client" });
    }
    expect(server.stats().tokenRequests).toBe(1);
  });

  it("sends Basic from a [user, pass] tuple", async () => {
    const octokit = new Octokit({ baseUrl: server.url, request: { fetch: withAuth(fetch, [USER, PASSWORD]) } });
    const { data, status } = await octokit.request("GET /basic-auth/{user}/{passwd}", credentials);
    expect(status).toBe(200);
    expect(data).toEqual({ authenticated: true, user: USER });
  });

  it("answers a Digest challenge once, then sends the next request preemptively", async () => {
    const octokit = new Octokit({
      baseUrl: server.url,
      request: { fetch: withAuth(fetch, new DigestAuth(USER, PASSWORD)) },
    });
    for (let call = 0; call < 2; call++) {
      const { data } = await octokit.request("GET /digest-auth/auth/{user}/{passwd}", credentials);
      expect(data).toEqual({ authenticated: true, user: USER });
    }
    expect(server.stats().challenges).toBe(1);
    expect(server.stats().routes["digest-auth"]).toBe(3);
  });

  it("re-sends the JSON body Octokit builds from the parameters after the Digest challenge", async () => {
    const recording = recordingFetch();
    const octokit = new Octokit({
      baseUrl: server.url,
      request: { fetch: withAuth(recording.fetch, new DigestAuth(USER, PASSWORD)) },
    });
    // auth-int: the server checks a digest of the body it received (RFC 7616 §3.4.3).
    const { data } = await octokit.request("POST /digest-auth/auth-int/{user}/{passwd}", { ...credentials, order: 42 });
    expect(data).toEqual({ authenticated: true, user: USER });
    const sent = (scheme: string) => `POST /digest-auth/auth-int/${USER}/${PASSWORD} ${scheme} {"order":42}`;
    expect(recording.sent).toEqual([sent("-"), sent("Digest")]);
  });

  it("lets authflow's header win over Octokit's own auth option", async () => {
    const octokit = new Octokit({
      baseUrl: server.url,
      auth: "ghp_octokit-token",
      request: { fetch: withAuth(fetch, clientCredentials(server)) },
    });
    const { data } = await octokit.request("GET /anything");
    expect(data.headers.authorization).toMatch(/^Bearer /);
    expect(data.headers.authorization).not.toContain("ghp_octokit-token");
  });

  it("authenticates an absolute URL to another origin too: withAuth has no baseUrl to bind to", async () => {
    const octokit = new Octokit({ baseUrl: server.url, request: { fetch: withAuth(fetch, [USER, PASSWORD]) } });
    const { data } = await octokit.request(`GET ${elsewhere.url}/anything`);
    expect(data.headers.authorization).toMatch(/^Basic /);
  });

  it("throws RequestError with status 401 for a final 401", async () => {
    const octokit = new Octokit({
      baseUrl: server.url,
      request: { fetch: withAuth(fetch, new DigestAuth(USER, "wrong")) },
    });
    const error = await octokit
      .request("GET /digest-auth/auth/{user}/{passwd}", credentials)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: "HttpError", status: 401 });
    expect((error as RequestError).response?.data).toEqual({ authenticated: false });
  });

  it("wraps authflow's errors in RequestError with status 500, the original as cause", async () => {
    const octokit = new Octokit({
      baseUrl: new URL(REMOTE_PLAIN_HTTP).origin,
      request: { fetch: withAuth(fetch, [USER, PASSWORD]) },
    });
    const error = await octokit.request("GET /anything").catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: "HttpError", status: 500 });
    expect((error as RequestError).cause).toBeInstanceOf(InsecureTransportError);

    const guarded = new Octokit({
      baseUrl: server.url,
      request: { fetch: withAuth(fetch, ["mallory", "guess"], GUARD_AFTER_ONE) },
    });
    const route = "GET /basic-auth/{user}/{passwd}";
    const first = await guarded.request(route, { user: "mallory", passwd: "right" }).catch((caught) => caught);
    expect(first).toMatchObject({ name: "HttpError", status: 401 });
    const held = await guarded.request(route, { user: "mallory", passwd: "right" }).catch((caught) => caught);
    expect(held).toMatchObject({ name: "HttpError", status: 500 });
    expect((held as RequestError).cause).toBeInstanceOf(AuthRejectedError);
  });
});
