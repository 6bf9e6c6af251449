// Issue 19.3: every invocation fetched a new token. --session NAME keeps OAuth 2.0 tokens (until
// they expire) and Digest challenges between runs, in files of mode 0600 under the user's cache
// directory, never a password or secret; runs sharing a session at once take turns and never corrupt it.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { checkSessionName } from "../../src/cli/session-store.js";
import { UsageError } from "../../src/cli/usage.js";
import { defaultClients, startTestServer, type TestServer } from "../../src/server/index.js";
import { builtCli, runCli } from "./helpers.js";

const SECRET = "CANARY-session-secret-7f3e";
const PASSWORD = "CANARY-digest-pw-91aa";
let server: TestServer;
let cache = "";
let counter = 0;

beforeAll(async () => {
  builtCli();
  server = await startTestServer({
    clients: [
      ...defaultClients(),
      { clientId: "session-client", authMethod: "client_secret_basic", clientSecret: SECRET },
    ],
  });
});
afterAll(() => server.close());
beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), "authflow-cli-session-"));
  server.reset();
  return () => rmSync(cache, { recursive: true, force: true });
});

const env = () => ({ XDG_CACHE_HOME: cache, CLIENT_SECRET: SECRET });
const oauth = (session: string | undefined, ...extra: string[]) => [
  `${server.url}/oauth/protected`,
  ...[
    "--token-url",
    `${server.url}/oauth/token`,
    "--client-id",
    "session-client",
    "--client-secret-env",
    "CLIENT_SECRET",
  ],
  ...(session === undefined ? [] : ["--session", session]),
  ...extra,
];
const sessionFile = (name: string, file: string) => join(cache, "authflow", "sessions", name, file);
const fresh = () => `s${++counter}`;

/** The session's directory is 0700, the file 0600, and neither the secret nor the password is in it. */
function expectPrivate(name: string, file: string): void {
  expect(statSync(join(cache, "authflow", "sessions", name)).mode & 0o777).toBe(0o700);
  const path = sessionFile(name, file);
  expect(statSync(path).mode & 0o777).toBe(0o600);
  const text = readFileSync(path, "utf8");
  for (const secret of [SECRET, PASSWORD, btoa(`session-client:${SECRET}`), "response="]) {
    expect({ file, leaked: text.includes(secret) }).toEqual({ file, leaked: false });
  }
}

describe("--session NAME", () => {
  it("three runs make one token request (three without it), kept in a 0600 file without the secret", async () => {
    for (let run = 0; run < 3; run++) expect((await runCli(oauth(undefined), { env: env() })).code).toBe(0);
    expect(server.stats().tokenRequests).toBe(3);
    server.reset();
    const name = fresh();
    for (let run = 0; run < 3; run++) {
      const result = await runCli(oauth(name), { env: env() });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ authenticated: true, client_id: "session-client" });
    }
    expect(server.stats().tokenRequests).toBe(1);
    expectPrivate(name, "tokens.json");
  });

  it("is expiry-aware: an expired token is not sent, a new one is fetched and kept", async () => {
    const name = fresh();
    await runCli(oauth(name), { env: env() });
    const path = sessionFile(name, "tokens.json");
    const stored = JSON.parse(readFileSync(path, "utf8")) as {
      tokens: Record<string, { token: { expiresAt: number }; lapsesAt: number }>;
    };
    for (const entry of Object.values(stored.tokens)) {
      entry.token.expiresAt = Date.now() - 1000;
      entry.lapsesAt = Date.now() + 60_000;
    }
    writeFileSync(path, JSON.stringify(stored));
    expect((await runCli(oauth(name), { env: env() })).code).toBe(0);
    expect(server.stats().tokenRequests).toBe(2);
    const renewed = JSON.parse(readFileSync(path, "utf8")) as typeof stored;
    expect(Object.values(renewed.tokens).every((entry) => entry.token.expiresAt > Date.now())).toBe(true);
  });

  it("keeps Digest challenges, never the password or a response: three runs, one challenge; --anyauth too", async () => {
    const name = fresh();
    const url = `${server.url}/digest-auth/auth/u/${PASSWORD}`;
    for (let run = 0; run < 3; run++) {
      const result = await runCli(["-A", "digest", "-a", "u", url, "--session", name], {
        env: { ...env(), AUTHFLOW_PASSWORD: PASSWORD },
      });
      expect(result.code).toBe(0);
    }
    expect(server.stats().challenges).toBe(1);
    expect(server.stats().requests).toBe(4);
    const any = await runCli(["--anyauth", "-a", "u", url, "--session", name], {
      env: { ...env(), AUTHFLOW_PASSWORD: PASSWORD },
    });
    expect(any.code).toBe(0);
    expect(server.stats().challenges).toBe(1);
    expectPrivate(name, "digest.json");
  });

  it("--session-read-only uses the session and never writes it", async () => {
    const absent = fresh();
    expect((await runCli(oauth(absent, "--session-read-only"), { env: env() })).code).toBe(0);
    expect(existsSync(join(cache, "authflow", "sessions", absent))).toBe(false);
    const name = fresh();
    await runCli(oauth(name), { env: env() });
    const before = readFileSync(sessionFile(name, "tokens.json"), "utf8");
    const requests = server.stats().tokenRequests;
    expect((await runCli(oauth(name, "--session-read-only"), { env: env() })).code).toBe(0);
    expect(server.stats().tokenRequests).toBe(requests);
    expect(readFileSync(sessionFile(name, "tokens.json"), "utf8")).toBe(before);
  });

  it("runs sharing a session at the same time make one token request and leave a valid file", async () => {
    const name = fresh();
    const runs = await Promise.all(Array.from({ length: 4 }, () => runCli(oauth(name), { env: env() })));
    expect(runs.map((run) => run.code)).toEqual([0, 0, 0, 0]);
    expect(server.stats().tokenRequests).toBe(1);
    const stored = JSON.parse(readFileSync(sessionFile(name, "tokens.json"), "utf8")) as { tokens: object };
    expect(Object.keys(stored.tokens)).toHaveLength(1);
  });

  it("session list shows sessions, session delete forgets one; a name is never a path", async () => {
    const name = fresh();
    await runCli(oauth(name), { env: env() });
    const list = await runCli(["session", "list"], { env: env() });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${name}\\t1 token, valid for [\\d:]+\\t0 Digest challenges$`, "m"));
    const deleted = await runCli(["session", "delete", name], { env: env() });
    expect(deleted.code).toBe(0);
    expect(existsSync(join(cache, "authflow", "sessions", name))).toBe(false);
    expect((await runCli(["session", "delete", name], { env: env() })).code).toBe(1);
    const asPath = await runCli([...oauth(undefined), "--session", "../escape"], { env: env() });
    expect(asPath.code).toBe(2);
    expect(asPath.stderr).toContain("--session takes a name");
    for (const bad of ["/tmp/x", ".hidden", "a/b", "-x", ""]) expect(() => checkSessionName(bad)).toThrow(UsageError);
  });
});
