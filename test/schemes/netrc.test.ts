import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, MissingCredentialsError } from "../../src/index.js";
import { NetrcAuth } from "../../src/schemes/netrc.js";
import { findNetrcEntry, type NetrcEntry, parseNetrc } from "../../src/schemes/netrc-parse.js";
import { startTestServer, type TestServer } from "../../src/server/index.js";

let server: TestServer;
const directory = mkdtempSync(join(tmpdir(), "authflow-netrc-"));
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
  rmSync(directory, { recursive: true, force: true });
});

let fileCount = 0;
function netrcFile(text: string): string {
  const path = join(directory, `netrc-${fileCount++}`);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

const entry = (machine: string | undefined, login?: string, password?: string, account?: string): NetrcEntry => ({
  machine,
  login,
  password,
  account,
});

describe("parseNetrc", () => {
  it("reads machine, login, password, account and default, across lines and any white space", () => {
    const text =
      "machine api.example.com\n\tlogin alice\r\n password s3cret account acme\fdefault\vlogin anon password guest\n";
    expect(parseNetrc(text)).toEqual({
      entries: [entry("api.example.com", "alice", "s3cret", "acme"), entry(undefined, "anon", "guest")],
      error: undefined,
    });
  });

  it("lower-cases machine names and matches keywords case-insensitively", () => {
    expect(parseNetrc("MACHINE Api.Example.COM LOGIN Alice PASSWORD PassWord").entries).toEqual([
      entry("api.example.com", "Alice", "PassWord"),
    ]);
  });

  it("reads quoted tokens with curl's escapes: \\n \\r \\t, and \\x for any other x", () => {
    const text = 'machine h login "a user" password "p\\"w\\\\d\\n\\t\\r\\q #"';
    expect(parseNetrc(text).entries).toEqual([entry("h", "a user", 'p"w\\d\n\t\rq #')]);
  });

  it("keeps an empty quoted password as a password", () => {
    expect(parseNetrc('machine h login u password ""').entries).toEqual([entry("h", "u", "")]);
  });

  it("rejects the whole file on an unterminated quote, without quoting it", () => {
    const result = parseNetrc('machine good login u password p\nmachine h login u password "SECRET-unterminated');
    expect(result.entries).toEqual([]);
    expect(result.error).toBe("unterminated quoted token on line 2");
    expect(parseNetrc('machine h password "ends with a backslash\\').error).toBeDefined();
  });

  it("skips a macdef body up to the first empty line, whatever it holds", () => {
    const text = [
      "machine a login u password p",
      "macdef init machine evil password stolen",
      "machine evil login x password leaked",
      "cd /pub",
      "",
      "machine b login v password q",
    ].join("\n");
    expect(parseNetrc(text).entries).toEqual([entry("a", "u", "p"), entry("b", "v", "q")]);
  });

  it("treats a line starting with # as a comment, and # inside a line as text", () => {
    const text = "# machine commented login x password y\nmachine h login u password #hash";
    expect(parseNetrc(text).entries).toEqual([entry("h", "u", "#hash")]);
  });

  it("ignores values before the first machine and unknown words", () => {
    expect(parseNetrc("login stray password stray\nmachine h port 21 login u password p").entries).toEqual([
      entry("h", "u", "p"),
    ]);
  });

  it("never throws on any input: entries, or none and an error (property)", () => {
    const alphabet = fc.constantFrom(
      "machine",
      "default",
      "login",
      "password",
      "account",
      "macdef",
      "MACHINE",
      " ",
      "\t",
      "\n",
      "\r\n",
      "\n\n",
      '"',
      "\\",
      "#",
      "h",
      "u",
      "p",
      "x",
      "é",
      "\u0000",
    );
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 60 }).map((parts) => parts.join("")),
        (text) => {
          const result = parseNetrc(text);
          if (result.error !== undefined) expect(result.entries).toEqual([]);
          for (const found of result.entries) {
            if (found.machine !== undefined) expect(found.machine).toBe(found.machine.toLowerCase());
          }
        },
      ),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => void parseNetrc(text)),
      {
        numRuns: 1000,
      },
    );
  });

  it("reads back any file written from entries, tokens quoted or not (property)", () => {
    const word = fc.string({ unit: "binary", minLength: 1, maxLength: 10 }).filter((value) => !value.includes("\n"));
    const host = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,15}$/);
    const model = fc.array(
      fc.record({
        machine: fc.option(host, { nil: undefined }),
        login: fc.option(word, { nil: undefined }),
        password: fc.option(word, { nil: undefined }),
      }),
      { maxLength: 6 },
    );
    const separator = fc.constantFrom(" ", "\t", "\n", " \r\n  ", "\f");
    fc.assert(
      fc.property(model, separator, (entries, gap) => {
        const text = entries.map((item) => serialise(item, gap)).join(gap);
        expect(parseNetrc(text).entries).toEqual(entries.map((item) => entry(item.machine, item.login, item.password)));
      }),
      { numRuns: 500 },
    );
  });
});

/** Writes an entry, quoting every value (curl reads any quoted value back as it was). */
function serialise(
  item: { machine?: string | undefined; login?: string | undefined; password?: string | undefined },
  gap: string,
): string {
  const quote = (value: string) =>
    `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r/g, "\\r").replace(/\t/g, "\\t")}"`;
  const parts = [item.machine === undefined ? "default" : `machine${gap}${item.machine}`];
  if (item.login !== undefined) parts.push(`login${gap}${quote(item.login)}`);
  if (item.password !== undefined) parts.push(`password${gap}${quote(item.password)}`);
  return parts.join(gap);
}

describe("findNetrcEntry", () => {
  const entries = parseNetrc(
    [
      "machine example.com login alice password alice-pw",
      "machine nopass.example login bob",
      "machine [::1] login six password six-pw",
      "default login anon password anon-pw",
    ].join("\n"),
  ).entries;

  it("matches the host exactly and case-insensitively, never by suffix", () => {
    expect(findNetrcEntry(entries, "EXAMPLE.com")?.password).toBe("alice-pw");
    expect(findNetrcEntry(entries, "example.com.")?.password).toBe("alice-pw");
    expect(findNetrcEntry(entries, "api.example.com")?.login).toBe("anon");
    expect(findNetrcEntry(entries, "evilexample.com")?.login).toBe("anon");
    expect(findNetrcEntry(entries, new URL("http://[::1]:8080/").hostname)?.password).toBe("six-pw");
  });

  it("gives an entry without a password as it is, never another entry's password or default's (CVE-2024-11053)", () => {
    expect(findNetrcEntry(entries, "nopass.example")).toEqual(entry("nopass.example", "bob"));
  });

  it("never answers with another machine's entry; default only when no machine matches (property)", () => {
    const host = fc.constantFrom("a.test", "b.test", "A.TEST", "c.test", "sub.a.test");
    const model = fc.array(
      fc.record({
        machine: fc.option(host, { nil: undefined }),
        password: fc.option(fc.constantFrom("p1", "p2"), { nil: undefined }),
      }),
      { maxLength: 6 },
    );
    fc.assert(
      fc.property(model, host, (items, wanted) => {
        const parsed = parseNetrc(items.map((item) => serialise(item, " ")).join("\n")).entries;
        const found = findNetrcEntry(parsed, wanted);
        const firstMachine = parsed.find((item) => item.machine === wanted.toLowerCase());
        expect(found).toBe(firstMachine ?? parsed.find((item) => item.machine === undefined));
      }),
      { numRuns: 500 },
    );
  });
});

describe("NetrcAuth", () => {
  it("sends Basic from the entry for the request's host (loopback /basic-auth/u/p)", async () => {
    const auth = new NetrcAuth(
      netrcFile("machine other.example login x password y\nmachine 127.0.0.1 login u password p\n"),
    );
    const response = await new Client({ auth }).get(`${server.url}/basic-auth/u/p`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ authenticated: true, user: "u" });
  });

  it("leaves the request untouched when no entry matches", async () => {
    const auth = new NetrcAuth(netrcFile("machine 127.0.0.2 login u password p\n"));
    const response = await new Client({ auth }).get(`${server.url}/anything`);
    const echoed = (await response.json()) as { headers: Record<string, string> };
    expect(Object.keys(echoed.headers).map((name) => name.toLowerCase())).not.toContain("authorization");
  });

  it("sends nothing for a matching entry without a password, even with a default entry", async () => {
    const auth = new NetrcAuth(netrcFile("machine 127.0.0.1 login u\ndefault login u password p\n"));
    expect((await new Client({ auth }).get(`${server.url}/basic-auth/u/p`)).status).toBe(401);
  });

  it("uses default when no machine matches", async () => {
    const auth = new NetrcAuth(netrcFile("machine example.com login x password y\ndefault login u password p\n"));
    expect((await new Client({ auth }).get(`${server.url}/basic-auth/u/p`)).status).toBe(200);
  });

  it("reads $NETRC when no path is given, once", async () => {
    const path = netrcFile("machine 127.0.0.1 login u password p\n");
    const previous = process.env.NETRC;
    process.env.NETRC = path;
    try {
      const client = new Client({ auth: new NetrcAuth() });
      expect((await client.get(`${server.url}/basic-auth/u/p`)).status).toBe(200);
      writeFileSync(path, "machine 127.0.0.1 login u password changed\n");
      expect((await client.get(`${server.url}/basic-auth/u/p`)).status).toBe(200);
    } finally {
      if (previous === undefined) delete process.env.NETRC;
      else process.env.NETRC = previous;
    }
  });

  it("fails with MissingCredentialsError naming the file when it cannot be read", async () => {
    const missing = join(directory, "does-not-exist");
    const request = new Client({ auth: new NetrcAuth(missing) }).get(`${server.url}/basic-auth/u/p`);
    await expect(request).rejects.toBeInstanceOf(MissingCredentialsError);
    await expect(request).rejects.toThrow(/does-not-exist.*ENOENT/);
  });

  it("fails with MissingCredentialsError, without quoting it, when the file is malformed", async () => {
    const auth = new NetrcAuth(netrcFile('machine 127.0.0.1 login u password "CANARY-netrc'));
    const error = await new Client({ auth }).get(`${server.url}/basic-auth/u/p`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MissingCredentialsError);
    expect(String((error as Error).message)).toMatch(/malformed: unterminated quoted token on line 1/);
    expect(String((error as Error).message)).not.toContain("CANARY");
  });

  it("hides passwords from String, JSON and inspect, after use too", async () => {
    const path = netrcFile("machine 127.0.0.1 login u password CANARY-netrc-pw\n");
    const auth = new NetrcAuth(path);
    await new Client({ auth }).get(`${server.url}/basic-auth/u/CANARY-netrc-pw`);
    for (const shown of [String(auth), JSON.stringify(auth), inspect(auth, { depth: 5, showHidden: true })]) {
      expect(shown).not.toContain("CANARY");
      expect(shown).toContain("NetrcAuth");
    }
  });
});
