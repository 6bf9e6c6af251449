/**
 * Issue 21, the axios recipe: `axios.create({ adapter: "fetch", env: { fetch:
 * withAuth(fetch, auth) } })`. axios's fetch adapter builds a `Request` (its
 * body a stream) and calls `env.fetch` with it and `fetchOptions`. Without
 * `adapter: "fetch"`, axios on Node uses its http adapter, which never calls
 * `env.fetch`: authflow does not see the request at all.
 */
import axios, { AxiosError } from "axios";
import { beforeEach, describe, expect, it } from "vitest";
import { AuthRejectedError, DigestAuth, InsecureTransportError, withAuth } from "../../src/index.js";
import { useTestServer } from "../helpers/server.js";
import { clientCredentials, GUARD_AFTER_ONE, PASSWORD, REMOTE_PLAIN_HTTP, recordingFetch, USER } from "./helpers.js";

const server = useTestServer();
const elsewhere = useTestServer();
beforeEach(() => {
  server.reset();
  elsewhere.reset();
});

describe("axios with withAuth", () => {
  it("sends Basic from a [user, pass] tuple through the fetch adapter", async () => {
    const api = axios.create({
      baseURL: server.url,
      adapter: "fetch",
      env: { fetch: withAuth(fetch, [USER, PASSWORD]) },
    });
    const { data, status } = await api.get(`/basic-auth/${USER}/${PASSWORD}`);
    expect(status).toBe(200);
    expect(data).toEqual({ authenticated: true, user: USER });
  });

  it("never calls env.fetch with its default adapter on Node: the request goes out without auth", async () => {
    const api = axios.create({ baseURL: server.url, env: { fetch: withAuth(fetch, [USER, PASSWORD]) } });
    const error = await api.get(`/basic-auth/${USER}/${PASSWORD}`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AxiosError);
    expect((error as AxiosError).response?.status).toBe(401);
  });

  it("answers a Digest challenge once, then sends the next request preemptively", async () => {
    const auth = new DigestAuth(USER, PASSWORD);
    const api = axios.create({ baseURL: server.url, adapter: "fetch", env: { fetch: withAuth(fetch, auth) } });
    const path = `/digest-auth/auth/${USER}/${PASSWORD}`;
    expect((await api.get(path)).data).toEqual({ authenticated: true, user: USER });
    expect((await api.get(path)).data).toEqual({ authenticated: true, user: USER });
    expect(server.stats().challenges).toBe(1);
    expect(server.stats().routes["digest-auth"]).toBe(3);
  });

  it("re-sends a POST's JSON body (a stream in axios's Request) after the Digest challenge", async () => {
    const recording = recordingFetch();
    const api = axios.create({
      baseURL: server.url,
      adapter: "fetch",
      env: { fetch: withAuth(recording.fetch, new DigestAuth(USER, PASSWORD)) },
    });
    // auth-int: the server checks a digest of the body it received (RFC 7616 §3.4.3).
    const path = `/digest-auth/auth-int/${USER}/${PASSWORD}`;
    const { data } = await api.post(path, { order: 42 });
    expect(data).toEqual({ authenticated: true, user: USER });
    expect(recording.sent).toEqual([`POST ${path} - {"order":42}`, `POST ${path} Digest {"order":42}`]);
  });

  it("sends axios's own auth option as Basic before authflow answers: leave it out", async () => {
    const recording = recordingFetch();
    const api = axios.create({
      baseURL: server.url,
      adapter: "fetch",
      auth: { username: USER, password: PASSWORD },
      env: { fetch: withAuth(recording.fetch, new DigestAuth(USER, PASSWORD)) },
    });
    const path = `/digest-auth/auth/${USER}/${PASSWORD}`;
    expect((await api.get(path)).data).toEqual({ authenticated: true, user: USER });
    // The password went out in clear first; the Digest answer replaced it.
    expect(recording.sent).toEqual([`GET ${path} Basic`, `GET ${path} Digest`]);
  });

  it("gets one client-credentials token for several calls", async () => {
    const api = axios.create({
      baseURL: server.url,
      adapter: "fetch",
      env: { fetch: withAuth(fetch, clientCredentials(server)) },
    });
    for (let call = 0; call < 3; call++) {
      expect((await api.get("/oauth/protected")).data).toMatchObject({ client_id: "basic-client" });
    }
    expect(server.stats().tokenRequests).toBe(1);
  });

  it("follows redirects in authflow, or hands the 3xx to axios with maxRedirects: 0", async () => {
    const api = axios.create({
      baseURL: server.url,
      adapter: "fetch",
      env: { fetch: withAuth(fetch, [USER, PASSWORD]) },
    });
    const target = `/basic-auth/${USER}/${PASSWORD}`;
    const followed = await api.get("/redirect-to", { params: { url: target } });
    expect(followed.data).toEqual({ authenticated: true, user: USER });

    const manual = await api.get("/redirect-to", { params: { url: target }, maxRedirects: 0, validateStatus: null });
    expect(manual.status).toBe(302);
    expect(manual.headers.location).toBe(target);
  });

  it("authenticates an absolute URL to another origin too: withAuth has no baseURL to bind to", async () => {
    const api = axios.create({
      baseURL: server.url,
      adapter: "fetch",
      env: { fetch: withAuth(fetch, [USER, PASSWORD]) },
    });
    const { data } = await api.get(`${elsewhere.url}/anything`);
    expect(data.headers.authorization).toMatch(/^Basic /);
  });

  it("rejects a final 401 with AxiosError (validateStatus), the response attached", async () => {
    const api = axios.create({
      baseURL: server.url,
      adapter: "fetch",
      env: { fetch: withAuth(fetch, new DigestAuth(USER, "wrong")) },
    });
    const error = await api.get(`/digest-auth/auth/${USER}/${PASSWORD}`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AxiosError);
    expect((error as AxiosError).response?.status).toBe(401);
    expect(server.stats().routes["digest-auth"]).toBe(2);
  });

  it("wraps authflow's errors in AxiosError, keeping their code, name and the original as cause", async () => {
    const api = axios.create({ adapter: "fetch", env: { fetch: withAuth(fetch, [USER, PASSWORD]) } });
    const error = await api.get(REMOTE_PLAIN_HTTP).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AxiosError);
    expect((error as AxiosError).code).toBe("ERR_INSECURE_TRANSPORT");
    expect((error as AxiosError).name).toBe("InsecureTransportError");
    expect((error as AxiosError).cause).toBeInstanceOf(InsecureTransportError);

    const guarded = axios.create({
      baseURL: server.url,
      adapter: "fetch",
      env: { fetch: withAuth(fetch, ["mallory", "guess"], GUARD_AFTER_ONE) },
    });
    const first = await guarded.get("/basic-auth/mallory/right").catch((caught: unknown) => caught);
    expect((first as AxiosError).response?.status).toBe(401);
    const held = await guarded.get("/basic-auth/mallory/right").catch((caught: unknown) => caught);
    expect((held as AxiosError).code).toBe("ERR_AUTH_REJECTED");
    expect((held as AxiosError).cause).toBeInstanceOf(AuthRejectedError);
  });
});
