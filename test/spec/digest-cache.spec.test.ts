/**
 * DigestAuth's contract for later requests, driven by hand: the challenge is
 * remembered per protection space, so later requests go out answered (nc
 * counting up); `nextnonce` is followed; `rspauth` is checked on request.
 */
import { describe, expect, it } from "vitest";
import { AuthChallengeError, DigestAuth } from "../../src/index.js";
import { digestParams, expectedResponse, expectValidResponse } from "./digest-checker.js";
import { authorizationOf, expectFinished, ok, unauthorized, yielded } from "./exchange.js";

const ORIGIN = "https://api.example";
const user = { username: "Mufasa", password: "Circle of Life" };

function challenge(nonce: string, extra = ""): string {
  return `Digest realm="api", nonce="${nonce}", qop="auth", algorithm=SHA-256${extra}`;
}

/** A DigestAuth that has answered `header` once for /dir/index.html, successfully. */
async function primed(header = challenge("first"), options = {}): Promise<DigestAuth> {
  const auth = new DigestAuth(user.username, user.password, options);
  const flow = auth.authFlow(new Request(`${ORIGIN}/dir/index.html`));
  await flow.next();
  yielded(await flow.next(unauthorized(header)));
  expectFinished(await flow.next(ok()));
  return auth;
}

/** The parameters a new request to `url` carries on its first step (throws when it carries none). */
async function preemptive(auth: DigestAuth, url = `${ORIGIN}/dir/index.html`): Promise<Record<string, string>> {
  return digestParams(authorizationOf(await auth.authFlow(new Request(url)).next()));
}

describe("DigestAuth: later requests", () => {
  it("go out answered at once, nc counting up and a fresh cnonce each", async () => {
    const auth = await primed();
    const second = await preemptive(auth);
    const third = await preemptive(auth, `${ORIGIN}/elsewhere?page=2`);
    expect(second).toMatchObject({ nonce: "first", nc: "00000002", uri: "/dir/index.html" });
    expect(third).toMatchObject({ nonce: "first", nc: "00000003", uri: "/elsewhere?page=2" });
    expect(third.cnonce).not.toBe(second.cnonce);
    expectValidResponse(second, user);
    expectValidResponse(third, user);
  });

  it("give requests in flight at once distinct nc values", async () => {
    const auth = await primed();
    const flows = [1, 2, 3].map(() => auth.authFlow(new Request(`${ORIGIN}/dir/index.html`)));
    const counts = [];
    for (const flow of flows) counts.push(digestParams(authorizationOf(await flow.next())).nc);
    expect(counts).toEqual(["00000002", "00000003", "00000004"]);
  });

  it("with -sess, carry the first request's cnonce for as long as the nonce lasts (HA1 is bound to it)", async () => {
    const auth = await primed(challenge("sess").replace("SHA-256", "SHA-256-sess"));
    const second = await preemptive(auth);
    const third = await preemptive(auth);
    expect(third.cnonce).toBe(second.cnonce);
    expectValidResponse(third, user);
  });

  it("never carry the answer to another origin (scheme, host or port)", async () => {
    const auth = await primed();
    for (const url of ["http://api.example/dir/index.html", "https://api.example:8443/", "https://evil.example/"]) {
      expect(authorizationOf(await auth.authFlow(new Request(url)).next()), url).toBeNull();
    }
  });

  it("stay inside the challenge's domain: a path outside it goes out without credentials", async () => {
    const auth = await primed(challenge("scoped", ', domain="/dir/ /api/"'));
    expect((await preemptive(auth, `${ORIGIN}/api/items`)).nc).toBe("00000002");
    expect(authorizationOf(await auth.authFlow(new Request(`${ORIGIN}/public/`)).next())).toBeNull();
  });

  it("hash the body about to be sent when the cached challenge asked for qop=auth-int", async () => {
    const auth = await primed('Digest realm="api", nonce="int", qop="auth-int", algorithm=SHA-256');
    const body = new TextEncoder().encode('{"roar":true}');
    const flow = auth.authFlow(new Request(`${ORIGIN}/dir/upload`, { method: "PUT", body }));
    const params = digestParams(authorizationOf(await flow.next()));
    expect(params).toMatchObject({ qop: "auth-int", nc: "00000002" });
    expectValidResponse(params, { ...user, method: "PUT", body });
  });

  it("answer a stale=true refusal with the new nonce, nc back at 1", async () => {
    const auth = await primed();
    const flow = auth.authFlow(new Request(`${ORIGIN}/dir/index.html`));
    await flow.next();
    const retry = digestParams(authorizationOf(await flow.next(unauthorized(challenge("renewed", ", stale=true")))));
    expect(retry).toMatchObject({ nonce: "renewed", nc: "00000001" });
    expectValidResponse(retry, user);
    expectFinished(await flow.next(ok()));
    expect((await preemptive(auth)).nc).toBe("00000002");
  });

  it("answer a fresh challenge once when the server refuses the cached nonce without stale", async () => {
    const auth = await primed();
    const flow = auth.authFlow(new Request(`${ORIGIN}/dir/index.html`));
    await flow.next();
    const retry = digestParams(authorizationOf(await flow.next(unauthorized(challenge("restarted")))));
    expect(retry).toMatchObject({ nonce: "restarted", nc: "00000001" });
    expectFinished(await flow.next(unauthorized(challenge("again"))));
  });
});

describe("DigestAuth: nextnonce (RFC 7616 §3.5)", () => {
  it("is followed: the next request uses it, nc back at 1", async () => {
    const auth = await primed();
    const flow = auth.authFlow(new Request(`${ORIGIN}/dir/index.html`));
    await flow.next();
    expectFinished(await flow.next(ok({ "authentication-info": 'nextnonce="next-one"' })));
    const next = await preemptive(auth);
    expect(next).toMatchObject({ nonce: "next-one", nc: "00000001" });
    expectValidResponse(next, user);
  });

  it("is taken from the answer to the first challenge too", async () => {
    const auth = new DigestAuth(user.username, user.password);
    const flow = auth.authFlow(new Request(`${ORIGIN}/dir/index.html`));
    await flow.next();
    await flow.next(unauthorized(challenge("first")));
    await flow.next(ok({ "authentication-info": 'qop=auth, nextnonce="second"' }));
    expect(await preemptive(auth)).toMatchObject({ nonce: "second", nc: "00000001" });
  });

  it("is ignored in a late answer to a request that used an older nonce", async () => {
    const auth = await primed();
    const early = auth.authFlow(new Request(`${ORIGIN}/dir/index.html`));
    const late = auth.authFlow(new Request(`${ORIGIN}/dir/index.html`));
    await early.next();
    await late.next();
    await early.next(ok({ "authentication-info": 'nextnonce="newer"' }));
    await late.next(ok({ "authentication-info": 'nextnonce="stale-answer"' }));
    expect((await preemptive(auth)).nonce).toBe("newer");
  });
});

describe("DigestAuth: verifyServer (rspauth, RFC 7616 §3.5)", () => {
  /** Sends the first request answered, with verifyServer on; returns the flow and what it sent. */
  async function answered() {
    const auth = new DigestAuth(user.username, user.password, { verifyServer: true });
    const flow = auth.authFlow(new Request(`${ORIGIN}/dir/index.html`));
    await flow.next();
    const params = digestParams(authorizationOf(await flow.next(unauthorized(challenge("verify")))));
    // §3.5: rspauth is the response computed with an empty method in A2.
    const { realm = "", uri = "", nonce = "", qop, nc, cnonce } = params;
    const rspauth = expectedResponse({ ...user, algorithm: "SHA-256", method: "", realm, uri, nonce, qop, nc, cnonce });
    return { flow, params, rspauth };
  }

  it("finishes when rspauth proves the server knows the password", async () => {
    const { flow, params, rspauth } = await answered();
    const info = `rspauth="${rspauth}", qop=auth, cnonce="${params.cnonce}", nc=${params.nc}`;
    expectFinished(await flow.next(ok({ "authentication-info": info })));
  });

  it("throws AuthChallengeError for a wrong rspauth, a missing one, or one for another request", async () => {
    const answers = [
      (_: Record<string, string>, rspauth: string) =>
        `rspauth="${rspauth.replace(/^./, (c) => (c === "0" ? "1" : "0"))}"`,
      () => 'nextnonce="only"',
      (params: Record<string, string>, rspauth: string) => `rspauth="${rspauth}", cnonce="other", nc=${params.nc}`,
    ];
    for (const answer of answers) {
      const { flow, params, rspauth } = await answered();
      const info = answer(params, rspauth);
      await expect(flow.next(ok({ "authentication-info": info })), info).rejects.toBeInstanceOf(AuthChallengeError);
    }
    const { flow } = await answered();
    await expect(flow.next(ok())).rejects.toMatchObject({ code: "ERR_AUTH_CHALLENGE" });
  });
});
