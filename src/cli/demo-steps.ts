// The seed document's scenarios, in TypeScript, against the test server: each
// step does what the seed does, through the library, and says what it expects
// the server to have seen.
import { type Auth, Client, ClientCredentialsAuth, DigestAuth, type FetchLike, get, post, withAuth } from "../index.js";

/** What a step needs: the test server's URL (DPoP nonces required), and a second one whose tokens live 1 s. */
export interface DemoContext {
  readonly url: string;
  readonly shortLivedUrl: string;
}

/** What one step saw, and what the server must have counted for it to pass. */
export interface StepOutcome {
  /** e.g. `GET /basic-auth/my_user/my_pass123 → 200`. */
  readonly what: string;
  readonly ok: boolean;
  /** Requests the servers must have answered (round trips). */
  readonly expectedRoundTrips: number;
  /** Token requests the servers must have answered. */
  readonly expectedTokenRequests?: number;
  /** More to say, e.g. "the token changed". */
  readonly note?: string;
}

/** One scenario of the demo. */
export interface DemoStep {
  readonly title: string;
  run(context: DemoContext): Promise<StepOutcome>;
}

const username = "my_user";
const password = "my_pass123";
const basicPath = `/basic-auth/${username}/${password}`;
const digestPath = `/digest-auth/auth/${username}/${password}`;
const apiToken = "abc123yourapitoken456def";
const clientId = "basic-client";
const clientSecret = "basic-secret";

// The seed's "custom Auth class for reusability", as written there.
class BearerAuth implements Auth {
  constructor(private readonly token: string) {}
  *authFlow(request: Request) {
    request.headers.set("Authorization", `Bearer ${this.token}`);
    yield request;
  }
}

/** `GET path → status` for the step's line. */
async function exchange(method: string, path: string, response: Response): Promise<string> {
  await response.body?.cancel();
  return `${method} ${path} → ${response.status}`;
}

/**
 * The scenarios, in the seed's order; fresh objects for each run.
 *
 * @example
 * ```ts
 * for (const step of demoSteps()) console.log(step.title);
 * ```
 */
export function demoSteps(): readonly DemoStep[] {
  // One Digest object for two steps: the second shows the cached challenge.
  const digest = new DigestAuth(username, password);
  return [...basicSteps(), ...digestSteps(digest), ...bearerSteps(), ...oauthSteps(), ...modernSteps()];
}

function basicSteps(): DemoStep[] {
  return [
    {
      title: "Basic — [user, password] tuple on a Client",
      async run({ url }) {
        const client = new Client({ auth: [username, password] });
        const response = await client.get(`${url}${basicPath}`);
        return { what: await exchange("GET", basicPath, response), ok: response.status === 200, expectedRoundTrips: 1 };
      },
    },
    {
      title: "Basic — header built by hand (base64)",
      async run({ url }) {
        const credentials = btoa(String.fromCharCode(...new TextEncoder().encode(`${username}:${password}`)));
        const response = await get(`${url}${basicPath}`, { headers: { Authorization: `Basic ${credentials}` } });
        return { what: await exchange("GET", basicPath, response), ok: response.status === 200, expectedRoundTrips: 1 };
      },
    },
  ];
}

function digestSteps(digest: DigestAuth): DemoStep[] {
  return [
    {
      title: "Digest — challenge, then the answer",
      async run({ url }) {
        const response = await new Client().get(`${url}${digestPath}`, { auth: digest });
        return {
          what: await exchange("GET", digestPath, response),
          ok: response.status === 200,
          expectedRoundTrips: 2,
        };
      },
    },
    {
      title: "Digest — cached challenge, answered up front",
      async run({ url }) {
        const response = await new Client().get(`${url}${digestPath}`, { auth: digest });
        return {
          what: await exchange("GET", digestPath, response),
          ok: response.status === 200,
          expectedRoundTrips: 1,
        };
      },
    },
  ];
}

function bearerSteps(): DemoStep[] {
  return [
    {
      title: "Bearer — Authorization header",
      async run({ url }) {
        const response = await get(`${url}/bearer`, { headers: { Authorization: `Bearer ${apiToken}` } });
        return { what: await exchange("GET", "/bearer", response), ok: response.status === 200, expectedRoundTrips: 1 };
      },
    },
    {
      title: "Bearer — custom Auth class (the seed's)",
      async run({ url }) {
        const client = new Client({ auth: new BearerAuth(apiToken) });
        const response = await client.get(`${url}/bearer`);
        return { what: await exchange("GET", "/bearer", response), ok: response.status === 200, expectedRoundTrips: 1 };
      },
    },
  ];
}

function oauthSteps(): DemoStep[] {
  return [
    { title: "OAuth 2.0 — by hand: token endpoint, then API", run: manualOAuthStep },
    {
      title: "OAuth 2.0 — ClientCredentialsAuth, token reused",
      async run({ url }) {
        const client = new Client({
          auth: new ClientCredentialsAuth({ tokenUrl: `${url}/oauth/token`, clientId, clientSecret }),
        });
        const statuses: number[] = [];
        for (let call = 0; call < 3; call++) {
          const response = await client.get(`${url}/oauth/protected`);
          await response.body?.cancel();
          statuses.push(response.status);
        }
        const ok = statuses.every((status) => status === 200);
        return {
          what: `3 × GET /oauth/protected → ${statuses.join(", ")}`,
          ok,
          expectedRoundTrips: 4,
          expectedTokenRequests: 1,
        };
      },
    },
    {
      title: "OAuth 2.0 — ClientCredentialsAuth, token refreshed",
      run: refreshStep,
    },
  ];
}

// The seed's way: POST the token endpoint with Basic client credentials, then send the token.
async function manualOAuthStep({ url }: DemoContext): Promise<StepOutcome> {
  const tokenResponse = await post(`${url}/oauth/token`, {
    body: new URLSearchParams({ grant_type: "client_credentials" }),
    auth: [clientId, clientSecret],
  });
  const { access_token: accessToken } = (await tokenResponse.json()) as { access_token?: string };
  const response = await get(`${url}/oauth/protected`, { headers: { Authorization: `Bearer ${accessToken}` } });
  const what = `POST /oauth/token → ${tokenResponse.status}, ${await exchange("GET", "/oauth/protected", response)}`;
  const ok = tokenResponse.status === 200 && response.status === 200;
  return { what, ok, expectedRoundTrips: 2, expectedTokenRequests: 1 };
}

async function refreshStep({ shortLivedUrl: url }: DemoContext): Promise<StepOutcome> {
  // No early background refresh: the demo shows the refresh at expiry, deterministically.
  const auth = new ClientCredentialsAuth({
    tokenUrl: `${url}/oauth/token`,
    clientId,
    clientSecret,
    refreshLeewaySeconds: 0,
  });
  const api = withAuth(fetch, auth);
  const first = await auth.getToken();
  const before = await api(`${url}/oauth/protected`);
  await before.body?.cancel();
  // Wait until the cached token has expired on the local clock.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, (first.expiresAt ?? 0) - Date.now()) + 50));
  const after = await api(`${url}/oauth/protected`);
  await after.body?.cancel();
  const second = await auth.getToken();
  const renewed = second.accessToken !== first.accessToken;
  return {
    what: `GET /oauth/protected → ${before.status}, after expiry → ${after.status}`,
    ok: before.status === 200 && after.status === 200 && renewed,
    expectedRoundTrips: 4,
    expectedTokenRequests: 2,
    note: renewed ? "a new token after the 1 s lifetime" : "the token did not change",
  };
}

// Beyond the seed: sender-constrained tokens (RFC 9449) and a resource that names its own authorization server (RFC 9728).
function modernSteps(): DemoStep[] {
  return [
    { title: "DPoP — dpop: true, the server's nonce followed", run: dpopStep },
    { title: "Discovery — allowedIssuers, RFC 9728 metadata", run: discoveryStep },
  ];
}

/** One exchange as the demo tells it: the request, what its proof or form carried, the answer. */
interface Seen {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** The DPoP proof's `nonce` claim, when it had one. */
  readonly proofNonce: string | undefined;
  /** `resource=` of a token request's form (RFC 8707). */
  readonly resource: string | null;
  /** The answer's JSON, when it was JSON. */
  readonly json: Record<string, unknown> | undefined;
}

/** The global fetch, noting each exchange: what the library sent and what came back, for the step's line. */
function recordingFetch(seen: Seen[]): FetchLike {
  return async (request, init) => {
    const sent = new Request(request, init);
    const form = sent.method === "POST" ? new URLSearchParams(await sent.clone().text()) : undefined;
    const response = await fetch(sent);
    const json = response.headers.get("content-type")?.includes("json")
      ? ((await response.clone().json()) as Record<string, unknown>)
      : undefined;
    const url = new URL(sent.url);
    const proof = sent.headers.get("dpop");
    const claims =
      proof === null ? {} : JSON.parse(atob(proof.split(".")[1]?.replace(/-/g, "+").replace(/_/g, "/") ?? ""));
    const nonce = (claims as { nonce?: unknown }).nonce;
    seen.push({
      method: sent.method,
      path: url.pathname,
      status: response.status,
      proofNonce: typeof nonce === "string" ? nonce : undefined,
      resource: form?.get("resource") ?? null,
      json,
    });
    return response;
  };
}

async function dpopStep({ url }: DemoContext): Promise<StepOutcome> {
  const seen: Seen[] = [];
  const recorder = recordingFetch(seen);
  const auth = new ClientCredentialsAuth({
    tokenUrl: `${url}/oauth/token`,
    clientId,
    clientSecret,
    dpop: true,
    fetch: recorder,
  });
  const response = await new Client({ auth, fetch: recorder }).get(`${url}/oauth/dpop-protected`);
  const [refused, issued] = seen;
  const tokenType = seen.at(-1)?.json?.token_type;
  const nonceFollowed =
    refused?.json?.error === "use_dpop_nonce" && refused.proofNonce === undefined && issued?.proofNonce !== undefined;
  const what =
    `POST /oauth/token → ${refused?.status} ${refused?.json?.error ?? ""}, with its nonce → ${issued?.status}; ` +
    `${await exchange("GET", "/oauth/dpop-protected", response)}, token_type ${String(tokenType)}`;
  return {
    what,
    ok: response.status === 200 && nonceFollowed && tokenType === "DPoP",
    expectedRoundTrips: 3,
    expectedTokenRequests: 2,
    note: nonceFollowed ? "the proof signed the server's nonce" : "the nonce was not followed",
  };
}

async function discoveryStep({ url }: DemoContext): Promise<StepOutcome> {
  const seen: Seen[] = [];
  const recorder = recordingFetch(seen);
  const auth = new ClientCredentialsAuth({ allowedIssuers: [url], clientId, clientSecret, fetch: recorder });
  const response = await new Client({ auth, fetch: recorder }).get(`${url}/resource/data`);
  const issuer = seen.find((entry) => entry.path === "/.well-known/oauth-authorization-server")?.json?.issuer;
  const resource = seen.find((entry) => entry.path === "/oauth/token")?.resource;
  const what =
    `GET /resource/data → ${seen[0]?.status}; issuer ${String(issuer)} found, ` +
    `token asked with resource=${resource}; ${await exchange("GET", "/resource/data", response)}`;
  return {
    what,
    ok: response.status === 200 && issuer === url && resource === `${url}/resource/data`,
    expectedRoundTrips: 5,
    expectedTokenRequests: 1,
  };
}
