/**
 * NetrcAuth's contract, driven by hand against netrc files in a temporary
 * directory: Basic credentials for the request's host, as curl reads them,
 * or the request untouched.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MissingCredentialsError, NetrcAuth, NetrcError } from "../../src/index.js";
import { authorizationOf, errorOf, expectFinished, unauthorized } from "./exchange.js";

let directory: string;
let files = 0;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "authflow-netrc-spec-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Writes `text` to a new netrc file and returns its path. */
async function netrc(text: string): Promise<string> {
  const path = join(directory, `netrc-${++files}`);
  await writeFile(path, text, { mode: 0o600 });
  return path;
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}

/** The Authorization the first step of a request to `url` carries. */
async function sentTo(auth: NetrcAuth, url: string): Promise<string | null> {
  return authorizationOf(await auth.authFlow(new Request(url)).next());
}

const FILE = [
  "machine api.example login alice password s3cret",
  "machine example login root password for-example-only",
  "machine nopass.example login bob",
  "machine ::1 login local password loopback",
  "default login anonymous password guest",
].join("\n");

describe("NetrcAuth", () => {
  it("sends Basic with the login and password of the entry for the request's host", async () => {
    const auth = new NetrcAuth(await netrc(FILE));
    expect(await sentTo(auth, "https://api.example/me")).toBe(basic("alice", "s3cret"));
  });

  it("matches the host case-insensitively, whatever the port or path", async () => {
    const auth = new NetrcAuth(await netrc(FILE));
    expect(await sentTo(auth, "https://API.Example:8443/deep/path?q=1")).toBe(basic("alice", "s3cret"));
    expect(await sentTo(auth, "http://[::1]:8080/")).toBe(basic("local", "loopback"));
  });

  it("never matches by suffix: the entry for example says nothing for www.example", async () => {
    const auth = new NetrcAuth(await netrc("machine example login root password for-example-only"));
    expect(await sentTo(auth, "https://www.example/")).toBeNull();
  });

  it("uses the default entry for a host no machine names", async () => {
    const auth = new NetrcAuth(await netrc(FILE));
    expect(await sentTo(auth, "https://elsewhere.example/")).toBe(basic("anonymous", "guest"));
  });

  it("sends nothing for a matching entry without a password, never borrowing default's (curl CVE-2024-11053)", async () => {
    const auth = new NetrcAuth(await netrc(FILE));
    expect(await sentTo(auth, "https://nopass.example/")).toBeNull();
  });

  it("leaves a request to a host without credentials untouched, and finishes after one response", async () => {
    const auth = new NetrcAuth(await netrc("machine api.example login alice password s3cret"));
    const request = new Request("https://other.example/", { headers: { authorization: "Bearer caller's own" } });
    const flow = auth.authFlow(request);
    expect(authorizationOf(await flow.next())).toBe("Bearer caller's own");
    expectFinished(await flow.next(unauthorized('Basic realm="other"')));
  });

  it("answers no challenge: a 401 to its credentials finishes the flow", async () => {
    const flow = new NetrcAuth(await netrc(FILE)).authFlow(new Request("https://api.example/"));
    await flow.next();
    expectFinished(await flow.next(unauthorized('Basic realm="api"')));
  });

  it("reads quoted tokens with escapes, and entries spread over lines (as curl does)", async () => {
    const text = '# comment\nmachine api.example\n  login "the user"\n  password "p a\\"ss\\\\"\n';
    const auth = new NetrcAuth(await netrc(text));
    expect(await sentTo(auth, "https://api.example/")).toBe(basic("the user", 'p a"ss\\'));
  });

  it("skips a macdef body up to the first empty line", async () => {
    const text =
      "macdef init\nmachine api.example login mallory password from-macro\n\nmachine api.example login alice password s3cret";
    const auth = new NetrcAuth(await netrc(text));
    expect(await sentTo(auth, "https://api.example/")).toBe(basic("alice", "s3cret"));
  });

  it("reads the file once, at the first request: later edits reach new NetrcAuth objects only", async () => {
    const path = await netrc("machine api.example login alice password first");
    const auth = new NetrcAuth(path);
    expect(await sentTo(auth, "https://api.example/")).toBe(basic("alice", "first"));
    await writeFile(path, "machine api.example login alice password second");
    expect(await sentTo(auth, "https://api.example/")).toBe(basic("alice", "first"));
    expect(await sentTo(new NetrcAuth(path), "https://api.example/")).toBe(basic("alice", "second"));
  });

  it("fails the request with MissingCredentialsError for a missing file, and reads it at the next request", async () => {
    const path = join(directory, "appears-later");
    const auth = new NetrcAuth(path);
    await expect(auth.authFlow(new Request("https://api.example/")).next()).rejects.toBeInstanceOf(
      MissingCredentialsError,
    );
    await writeFile(path, "machine api.example login alice password late");
    expect(await sentTo(auth, "https://api.example/")).toBe(basic("alice", "late"));
  });

  it("fails the request with MissingCredentialsError for a malformed file, never quoting it", async () => {
    const auth = new NetrcAuth(await netrc('machine api.example login alice password "s3cret-unterminated'));
    const error = await errorOf(() => auth.authFlow(new Request("https://api.example/")).next());
    expect(error).toBeInstanceOf(MissingCredentialsError);
    expect(error.message).toContain("malformed");
    expect(error.message).not.toContain("s3cret");
  });

  it("fails the request with NetrcError for a path that is not a regular file", async () => {
    const path = join(directory, "a-directory");
    await mkdir(path);
    const error = await errorOf(() => new NetrcAuth(path).authFlow(new Request("https://api.example/")).next());
    expect(error).toBeInstanceOf(NetrcError);
    expect(error).toMatchObject({ code: "ERR_NETRC" });
  });

  it("refuses an empty path at construction", () => {
    expect(() => new NetrcAuth("")).toThrow(TypeError);
  });
});

describe("NetrcAuth without a path", () => {
  const saved = process.env.NETRC;
  afterEach(() => {
    if (saved === undefined) delete process.env.NETRC;
    else process.env.NETRC = saved;
  });

  it("reads $NETRC, at the first request", async () => {
    const auth = new NetrcAuth();
    process.env.NETRC = await netrc("machine api.example login env-user password env-pass");
    expect(await sentTo(auth, "https://api.example/")).toBe(basic("env-user", "env-pass"));
  });
});
