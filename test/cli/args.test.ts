import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCommand, type RequestCommand } from "../../src/cli/args.js";
import { isSecretHeader, shownHeaderValue } from "../../src/cli/credential-names.js";
import { ANSI_PALETTE, formatJson } from "../../src/cli/json-format.js";
import { Diagnostics, requestLines } from "../../src/cli/output.js";
import { Scrubber } from "../../src/cli/scrub.js";
import { UsageError } from "../../src/cli/usage.js";

const request = (argv: string[]) => parseCommand(argv) as RequestCommand;

describe("parseCommand", () => {
  it("defaults the method to GET, or POST with a body; a method may come first", () => {
    expect(request(["https://h/x"]).method).toBe("GET");
    expect(request(["https://h/x", "-d", "a"]).method).toBe("POST");
    expect(request(["delete", "https://h/x", "-d", "a"]).method).toBe("DELETE");
  });

  it("takes options before or after the method and URL", () => {
    const before = request(["-v", "-H", "A: 1", "PUT", "https://h/x", "--timeout", "2.5", "-H", "B: 2"]);
    expect(before).toMatchObject({ method: "PUT", verbose: true, timeoutMs: 2500 });
    expect(before.headers).toEqual([
      ["A", "1"],
      ["B", "2"],
    ]);
  });

  it("takes a value that starts with a dash only in the --option=value form (base64url tokens can)", () => {
    expect(request(["https://h", "--token=-tok_1"]).credentials).toMatchObject({ type: "bearer", token: "-tok_1" });
    expect(request(["https://h", "-a", "u:-p"]).credentials).toMatchObject({ password: "-p" });
    expect(() => request(["https://h", "--token", "-tok_1"])).toThrow(/--token=-XYZ/);
  });

  it("reads httpie's URL shorthands", () => {
    expect(request(["example.com/x"]).url.href).toBe("http://example.com/x");
    expect(request([":3000/x"]).url.href).toBe("http://localhost:3000/x");
  });

  it("infers the kind of credentials from the options", () => {
    expect(request(["https://h", "-a", "u:p"]).credentials).toEqual({ type: "basic", username: "u", password: "p" });
    expect(request(["https://h", "-a", "u:p:q"]).credentials).toMatchObject({ password: "p:q" });
    expect(request(["https://h", "-a", "u"]).credentials).toMatchObject({ type: "basic", password: undefined });
    expect(request(["https://h", "--token-env", "T"]).credentials).toEqual({
      type: "bearer",
      token: undefined,
      tokenEnv: "T",
    });
    expect(request(["https://h", "-A", "bearer", "-a", "tok"]).credentials).toMatchObject({
      type: "bearer",
      token: "tok",
    });
    expect(request(["https://h", "--netrc"]).credentials).toEqual({ type: "netrc", path: undefined });
    expect(request(["https://h", "-A", "basic", "--netrc-file", "/f"]).credentials).toEqual({
      type: "netrc",
      path: "/f",
    });
    expect(
      request(["https://h", "--issuer", "https://as", "--client-id", "c", "--scope", "a b"]).credentials,
    ).toMatchObject({
      type: "oauth2",
      issuer: "https://as",
      clientId: "c",
      clientAuth: "client_secret_basic",
      scope: "a b",
    });
    expect(request(["https://h"]).credentials).toEqual({ type: "none" });
  });

  it("rejects credentials that do not fit together", () => {
    for (const argv of [
      ["https://h", "-a", "u:p", "--netrc"],
      ["https://h", "-A", "digest", "-a", "u", "--token", "t"],
      ["https://h", "-A", "oauth2", "--token-url", "https://as/t", "--issuer", "https://as", "--client-id", "c"],
      ["https://h", "--token-url", "https://as/t", "--client-id", "c", "--client-auth", "private_key_jwt"],
      ["https://h", "--token-url", "not a url", "--client-id", "c"],
      ["https://h", "--token", "t", "--token-env", "T"],
      ["https://h", "-a", ":p"],
    ]) {
      expect(() => parseCommand(argv), argv.join(" ")).toThrow(UsageError);
    }
  });

  it("rejects malformed command lines, saying what is wrong", () => {
    const cases = [
      [["GET", "https://h", "extra"], /unexpected argument "extra": not a request item/],
      [["GE T", "https://h"], /not an HTTP method/],
      [["-A", "kerberos", "-a", "u:p", "https://h"], /-A takes one of basic, digest, bearer, oauth2/],
      [["-A", "digest", "https://h"], /-A digest needs -a USER\[:PASS\]/],
      [["--max-redirects", "1.5", "https://h"], /--max-redirects needs a whole number/],
      [["-H", "no colon", "https://h"], /-H takes 'Name: value'/],
      [["ftp://example.com/"], /only http: and https: URLs/],
      [["http://u:p@127.0.0.1/"], /embeds credentials/],
      [["demo", "now"], /demo takes no arguments/],
      [["serve", "extra"], /serve takes no arguments/],
    ] as const;
    for (const [argv, message] of cases) expect(() => parseCommand(argv), argv.join(" ")).toThrow(message);
  });

  it("reads serve, demo, --help and --version", () => {
    expect(parseCommand(["serve", "-p", "8080", "--token-ttl", "5"])).toEqual({
      command: "serve",
      port: 8080,
      host: "127.0.0.1",
      tokenTtlSeconds: 5,
      faults: false,
      tls: false,
      mtls: false,
    });
    expect(parseCommand(["serve", "--faults", "--host", "0.0.0.0"])).toMatchObject({ host: "0.0.0.0", faults: true });
    expect(parseCommand(["serve", "--help"])).toEqual({ command: "help", topic: "serve" });
    expect(parseCommand(["demo"])).toEqual({ command: "demo" });
    expect(parseCommand(["https://h", "--help"])).toEqual({ command: "help", topic: "request" });
    expect(parseCommand(["--version"])).toEqual({ command: "version" });
  });

  it("throws only UsageError, whatever the arguments (property)", () => {
    const word = fc.oneof(
      fc.constantFrom("-a", "-A", "--token", "-H", "-d", "--json", "-v", "--timeout", "--netrc", "serve", "GET", "x"),
      fc.constantFrom("https://h/x", "u:p", "basic", "oauth2", "--client-id", "--issuer", "1", "-1", "A: b", ""),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 8 }), (argv) => {
        try {
          parseCommand(argv);
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe("formatJson", () => {
  it("indents by two spaces and keeps empty containers and number text as sent", () => {
    expect(formatJson('{"a":[1,2.50],"b":{},"c":[],"d":12345678901234567890}', null)).toBe(
      '{\n  "a": [\n    1,\n    2.50\n  ],\n  "b": {},\n  "c": [],\n  "d": 12345678901234567890\n}',
    );
    expect(formatJson("not json", null)).toBeUndefined();
  });

  it("means the same JSON, coloured or not (property)", () => {
    const strip = (text: string) => text.replaceAll(new RegExp(`${String.fromCharCode(27)}\\[[\\d;]*m`, "g"), "");
    fc.assert(
      fc.property(fc.json(), fc.constantFrom(0, 1, 3), (text, indent) => {
        const input = JSON.stringify(JSON.parse(text), null, indent);
        const plain = formatJson(input, null) as string;
        expect(JSON.parse(plain)).toEqual(JSON.parse(input));
        expect(strip(formatJson(input, ANSI_PALETTE) as string)).toBe(plain);
      }),
      { numRuns: 500 },
    );
  });
});

describe("redaction", () => {
  it("shows the scheme of a credential header, never its value", () => {
    expect(shownHeaderValue("Authorization", "Basic dTpw")).toBe("Basic [redacted]");
    expect(shownHeaderValue("proxy-authorization", 'Digest username="u", response="abc"')).toBe("Digest [redacted]");
    expect(shownHeaderValue("X-Vault-Token", "s.abc")).toBe("[redacted]");
    expect(shownHeaderValue("Content-Type", "text/plain")).toBe("text/plain");
    expect(isSecretHeader("WWW-Authenticate")).toBe(false);
    expect(isSecretHeader("Set-Cookie")).toBe(true);
  });

  it("request lines carry no credential", () => {
    const stream = { write: () => true, once: () => undefined };
    const diagnostics = new Diagnostics(stream, {}, new Scrubber());
    const lines = requestLines(
      new Request("https://h/x?q=1", { headers: { authorization: "Bearer abc.def" } }),
      diagnostics,
    );
    expect(lines).toEqual(["> GET /x?q=1", "> host: h", "> authorization: Bearer [redacted]", ">"]);
  });

  it("a short secret is redacted where it stands alone, not inside a longer word", () => {
    const scrubber = new Scrubber();
    scrubber.add(["pass", "longsecretvalue"]);
    expect(scrubber.scrub("the password was given on the command line")).toBe(
      "the password was given on the command line",
    );
    expect(scrubber.scrub('GET /basic-auth/user/pass?x=pass&y=(pass) "pass" pass')).toBe(
      'GET /basic-auth/user/[redacted]?x=[redacted]&y=([redacted]) "[redacted]" [redacted]',
    );
    expect(scrubber.scrub("xlongsecretvaluex")).toBe("x[redacted]x"); // 8 characters and more: everywhere
  });

  it("the scrubber replaces every known secret, longest first, and skips very short ones", () => {
    const scrubber = new Scrubber();
    scrubber.add(["secret", "secret-longer", "p"]);
    expect(scrubber.scrub("secret-longer and secret, p")).toBe("[redacted] and [redacted], p");
  });
});
