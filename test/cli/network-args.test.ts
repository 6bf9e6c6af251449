// Issues 14–16 (in-process part): how the TLS, proxy, DPoP and discovery flags are read, and the
// spellings of a private key kept out of what the CLI prints — as properties where it parses.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCommand, type RequestCommand } from "../../src/cli/args.js";
import { networkOptions } from "../../src/cli/args-network.js";
import { describeError, EXIT, exitStatus } from "../../src/cli/exit.js";
import { Scrubber } from "../../src/cli/scrub.js";
import { privateKeySecrets } from "../../src/cli/secret-forms.js";
import { UsageError } from "../../src/cli/usage.js";
import { InvalidArgumentError, ProxyError, ResourceDiscoveryError, TlsError } from "../../src/index.js";

const request = (argv: string[]) => parseCommand(argv) as RequestCommand;
/** User names and passwords as people type them, colons and all (a user name has none: it ends at the first). */
const word = fc.string({ unit: fc.constantFrom(..."abcXYZ019 @#%&+/=?!~'\"\\éü€😀"), minLength: 1, maxLength: 24 });
const password = fc.string({
  unit: fc.constantFrom(..."abcXYZ019 :@#%&+/=?!~'\"\\éü€😀"),
  minLength: 1,
  maxLength: 24,
});

describe("-x and --proxy-user", () => {
  it("property: user:pass@ in the -x URL, percent-encoded, reads back as typed", () => {
    fc.assert(
      fc.property(word, password, (user, pass) => {
        const url = `http://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@proxy.internal:3128`;
        const options = networkOptions({ proxy: url });
        expect(options.proxyUser).toEqual({ user, password: pass, inUrl: true });
        // The URL kept for the proxy has its userinfo still; network.ts gives the proxy its origin only.
        expect(options.proxy.kind === "url" && options.proxy.url.origin).toBe("http://proxy.internal:3128");
      }),
    );
  });

  it("property: --proxy-user splits at the first colon; no colon leaves the password to be asked for", () => {
    fc.assert(
      fc.property(
        word.filter((user) => !user.includes(":")),
        fc.option(password, { nil: undefined }),
        (user, pass) => {
          const given = pass === undefined ? user : `${user}:${pass}`;
          const options = networkOptions({ proxy: "proxy:3128", "proxy-user": given });
          expect(options.proxyUser).toEqual({ user, password: pass, inUrl: false });
        },
      ),
    );
  });

  it("reads a proxy without a scheme as http://, '' as none, nothing as the environment's", () => {
    expect(networkOptions({ proxy: "proxy.internal:3128" }).proxy).toEqual({
      kind: "url",
      url: new URL("http://proxy.internal:3128"),
    });
    expect(networkOptions({ proxy: "https://proxy.internal" }).proxy).toMatchObject({ kind: "url" });
    expect(networkOptions({ proxy: "" }).proxy).toEqual({ kind: "none" });
    expect(networkOptions({}).proxy).toEqual({ kind: "env" });
  });

  it("--noproxy is curl's comma list", () => {
    expect(networkOptions({ noproxy: "example.com, .internal,10.0.0.0/8,,*" }).noProxy).toEqual([
      "example.com",
      ".internal",
      "10.0.0.0/8",
      "*",
    ]);
  });

  it("a proxy URL that cannot be parsed is not repeated (it may hold a password)", () => {
    expect(() => networkOptions({ proxy: "http://user:s3cret@bad host:3128" })).toThrow(UsageError);
    try {
      networkOptions({ proxy: "http://user:s3cret@bad host:3128" });
    } catch (error) {
      expect((error as Error).message).not.toContain("s3cret");
    }
  });
});

describe("the request command", () => {
  it("carries the TLS, proxy, DPoP and discovery flags", () => {
    const command = request([
      ...["--cacert", "ca.pem", "--cert", "c.pem", "--key", "k.pem", "-x", "proxy:3128", "--noproxy", "a"],
      ...["https://mcp.example.com/mcp", "--client-id", "svc", "--allowed-issuer", "https://as.example"],
      ...["--allowed-issuer", "https://as2.example", "--dpop"],
    ]);
    expect(command.network).toMatchObject({ caFile: "ca.pem", certFile: "c.pem", keyFile: "k.pem", noProxy: ["a"] });
    expect(command.credentials).toMatchObject({
      type: "oauth2",
      tokenUrl: undefined,
      issuer: undefined,
      dpop: true,
      allowedIssuers: ["https://as.example", "https://as2.example"],
    });
  });

  it("--mtls implies --tls for serve", () => {
    expect(parseCommand(["serve", "--mtls"])).toMatchObject({ command: "serve", tls: true, mtls: true });
    expect(parseCommand(["serve"])).toMatchObject({ tls: false, mtls: false });
  });
});

describe("exit statuses and messages of the new failures", () => {
  it.each([
    [
      new ProxyError("the proxy http://p:3128 refused CONNECT h:443 with 407; give proxy.auth", {
        proxy: "http://p:3128",
        status: 407,
      }),
      EXIT.proxy,
      "give --proxy-user USER",
    ],
    [
      new ResourceDiscoveryError("… allowedIssuers lists none of them …", { resource: "https://r" }),
      EXIT.discovery,
      "--allowed-issuer lists none",
    ],
    [
      new TlsError("… give tls.cert and tls.key", { origin: "https://h", reason: "client-certificate" }),
      EXIT.tls,
      "give --cert FILE and --key FILE",
    ],
    [
      new InvalidArgumentError(
        "ERR_INVALID_ARG_VALUE",
        "tls.passphrase",
        "tls.key is encrypted and tls.passphrase is missing or wrong (OpenSSL: bad decrypt)",
      ),
      EXIT.tls,
      "--key is encrypted and its passphrase ($AUTHFLOW_KEY_PASSPHRASE, or the one typed) is wrong",
    ],
    [
      new TypeError("fetch failed", {
        cause: new TlsError("… tls.ca …", { origin: "https://h", reason: "unknown-ca" }),
      }),
      EXIT.tls,
      "--cacert",
    ],
  ])("%s", (error, status, words) => {
    expect(exitStatus(error)).toBe(status);
    expect(describeError(error)).toContain(words);
    expect(describeError(error)).not.toMatch(/\btls\.|proxy\.auth|allowedIssuers/);
  });
});

describe("a private key's text is a secret in every line", () => {
  const key = [
    "-----BEGIN ENCRYPTED PRIVATE KEY-----",
    "MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAiuW0Uq7m0O1AICCAAw",
    "DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEENr5cX0xRs4ex9YbVWrl6n8EgZB8",
    "3n2wBGxMrkYHmVY9tDz4Xr3rE4u2aFeAdlhPFyRYoOs=",
    "-----END ENCRYPTED PRIVATE KEY-----",
  ].join("\n");

  it("property: any line of it, or the body joined, is redacted wherever it shows up", () => {
    const scrubber = new Scrubber();
    scrubber.add(privateKeySecrets(key));
    const lines = key.split("\n").filter((line) => !line.startsWith("-----"));
    const pieces = fc.constantFrom(...lines, lines.join(""));
    fc.assert(
      fc.property(fc.string(), pieces, fc.string(), (before, piece, after) => {
        expect(scrubber.scrub(`${before}${piece}${after}`)).not.toContain(piece);
      }),
    );
  });

  it("a JWK's private members, not its public ones", () => {
    const jwk = JSON.stringify({
      kty: "EC",
      crv: "P-256",
      x: "public-x-coordinate",
      y: "public-y",
      d: "private-d-value-1234",
    });
    expect(privateKeySecrets(jwk)).toEqual(["private-d-value-1234"]);
  });
});
