/**
 * The proxy setting, resolved (src/schemes/proxy-options.ts, proxy-env.ts,
 * proxy-auth.ts): curl's environment rules with the httpoxy exception, the
 * plain-HTTP rule for proxy credentials, option errors that never repeat a
 * password. Pure: no request is made.
 */
import { describe, expect, it } from "vitest";
import { BasicAuth, Client, DigestAuth, InsecureTransportError, InvalidArgumentError } from "../../src/index.js";
import { newRound, ProxyCredentials } from "../../src/schemes/proxy-auth.js";
import { proxyEnvironment } from "../../src/schemes/proxy-env.js";
import { resolveProxy } from "../../src/schemes/proxy-options.js";

const context = (environment: Record<string, string>) => ({ allowInsecureAuth: false, guard: null, environment });
const proxyFor = (environment: Record<string, string>, target: string) =>
  resolveProxy("proxy", "env", context(environment))?.endpointFor(new URL(target))?.origin;

describe("proxy: env (curl's rules)", () => {
  it("http_proxy for http:, https_proxy for https:, all_proxy for whichever is unset", () => {
    const environment = { http_proxy: "http://plain:3128", https_proxy: "http://secure:3128" };
    expect(proxyFor(environment, "http://api.example.com/")).toBe("http://plain:3128");
    expect(proxyFor(environment, "https://api.example.com/")).toBe("http://secure:3128");
    expect(proxyFor({ ALL_PROXY: "http://all:3128" }, "https://api.example.com/")).toBe("http://all:3128");
    expect(proxyFor({ all_proxy: "http://all:3128", http_proxy: "http://plain:1" }, "http://a.test/")).toBe(
      "http://plain:1",
    );
  });

  it("lower case before upper case; a URL without a scheme is http://", () => {
    expect(proxyFor({ https_proxy: "lower:1", HTTPS_PROXY: "http://upper:2" }, "https://a.test/")).toBe(
      "http://lower:1",
    );
    expect(proxyFor({ HTTPS_PROXY: "http://upper:2" }, "https://a.test/")).toBe("http://upper:2");
  });

  it("httpoxy (CVE-2016-5385): HTTP_PROXY is ignored under CGI (REQUEST_METHOD set), http_proxy is not", () => {
    expect(proxyFor({ HTTP_PROXY: "http://attacker:8080" }, "http://a.test/")).toBe("http://attacker:8080");
    expect(proxyFor({ HTTP_PROXY: "http://attacker:8080", REQUEST_METHOD: "GET" }, "http://a.test/")).toBeUndefined();
    expect(proxyFor({ http_proxy: "http://admin:3128", REQUEST_METHOD: "GET" }, "http://a.test/")).toBe(
      "http://admin:3128",
    );
    expect(proxyEnvironment({ HTTPS_PROXY: "http://p:1", REQUEST_METHOD: "POST" }).https).toBe("http://p:1");
  });

  it("no_proxy / NO_PROXY, and loopback targets always direct", () => {
    const environment = { https_proxy: "http://p:3128", NO_PROXY: ".internal,10.0.0.0/8" };
    expect(proxyFor(environment, "https://db.internal/")).toBeUndefined();
    expect(proxyFor(environment, "https://10.1.2.3/")).toBeUndefined();
    expect(proxyFor(environment, "https://example.com/")).toBe("http://p:3128");
    for (const loopback of ["https://127.0.0.1:8443/", "https://[::1]/", "https://localhost/"]) {
      expect(proxyFor(environment, loopback)).toBeUndefined();
    }
    expect(resolveProxy("proxy", "env", context({}))).toBeUndefined();
  });

  it("RED-07 (c): each proxy has its own credentials; one without gets none of another's", () => {
    const proxy = resolveProxy(
      "proxy",
      "env",
      context({ http_proxy: "http://u:p@a.proxy:3128", https_proxy: "http://b.proxy:3128" }),
    );
    expect(proxy?.endpointFor(new URL("http://api.example.com/"))?.credentials).toBeDefined();
    expect(proxy?.endpointFor(new URL("https://api.example.com/"))?.credentials).toBeUndefined();
  });

  it("an explicit proxy takes loopback targets too (it was asked for), except noProxy", () => {
    const proxy = resolveProxy("proxy", { url: "http://127.0.0.1:3128", noProxy: ["localhost"] }, context({}));
    expect(proxy?.endpointFor(new URL("http://127.0.0.1:8080/"))?.origin).toBe("http://127.0.0.1:3128");
    expect(proxy?.endpointFor(new URL("http://localhost:8080/"))).toBeUndefined();
  });
});

describe("the plain-HTTP rule for proxy credentials", () => {
  it("Basic pinned to an http:// proxy that is not loopback is refused at construction, unless opted in", () => {
    const pinned = { url: "http://proxy.example:3128", auth: new BasicAuth("u", "p") };
    expect(() => resolveProxy("proxy", pinned, context({}))).toThrow(InsecureTransportError);
    expect(resolveProxy("proxy", { ...pinned, allowInsecureAuth: true }, context({}))).toBeDefined();
    expect(() => new Client({ proxy: pinned, allowInsecureAuth: true })).not.toThrow();
    expect(resolveProxy("proxy", { ...pinned, url: "https://proxy.example:3128" }, context({}))).toBeDefined();
    expect(resolveProxy("proxy", { ...pinned, url: "http://127.0.0.1:3128" }, context({}))).toBeDefined();
  });

  it("[user, pass] to such a proxy answers Digest, and refuses a Basic-only 407 naming the opt-in", () => {
    const credentials = ProxyCredentials.from(["u", "p"], { proxy: "http://proxy.example:3128", allowBasic: false });
    const digest = 'Digest realm="r", nonce="n1", qop="auth"';
    expect(credentials.answer(`Basic realm="r", ${digest}`, "GET", "/", newRound())).toMatch(/^Digest username="u"/);
    expect(() => credentials.answer('Basic realm="r"', "GET", "/", newRound())).toThrow(/allowInsecureAuth/);
  });

  it("one answer per challenge: a refused answer is never repeated (no loop)", () => {
    const credentials = ProxyCredentials.from(["u", "p"], { proxy: "http://127.0.0.1:3128", allowBasic: true });
    const round = newRound();
    expect(
      credentials.answer('Digest realm="r", nonce="n1", qop="auth"', "CONNECT", "a.test:443", round),
    ).toBeDefined();
    expect(
      credentials.answer('Digest realm="r", nonce="n2", qop="auth"', "CONNECT", "a.test:443", round),
    ).toBeUndefined();
    const stale = newRound();
    credentials.answer('Digest realm="r", nonce="n3", qop="auth"', "GET", "/", stale);
    expect(credentials.answer('Digest realm="r", nonce="n4", qop="auth", stale=true', "GET", "/", stale)).toBeDefined();
    expect(
      credentials.answer('Digest realm="r", nonce="n5", qop="auth", stale=true', "GET", "/", stale),
    ).toBeUndefined();
    const basic = ProxyCredentials.from(new BasicAuth("u", "p"), { proxy: "http://127.0.0.1:3128", allowBasic: true });
    const pinned = newRound();
    expect(basic.preemptive("GET", "/", pinned)).toBe(`Basic ${btoa("u:p")}`);
    expect(basic.answer('Basic realm="r"', "GET", "/", pinned)).toBeUndefined();
    const digestOnly = ProxyCredentials.from(new DigestAuth("u", "p"), {
      proxy: "http://127.0.0.1:3128",
      allowBasic: true,
    });
    expect(digestOnly.answer('Basic realm="r"', "GET", "/", newRound())).toBeUndefined();
  });
});

describe("proxy option errors", () => {
  const secret = "pa55-w0rd-7f2c";
  const cases: [string, unknown][] = [
    ["a number", 3128],
    ["a SOCKS proxy", `socks5://u:${secret}@proxy:1080`],
    ["not a URL", `http://u:${secret}@pro xy:3128`],
    ["credentials twice", { url: `http://u:${secret}@proxy:3128`, auth: ["u", secret] }],
    ["an unsupported auth", { url: "http://proxy:3128", auth: () => undefined }],
    ["noProxy not a list", { url: "http://proxy:3128", noProxy: "localhost" }],
  ];

  it.each(cases)("%s: a coded error that does not repeat the password", (_name, proxy) => {
    let error: unknown;
    try {
      new Client({ proxy: proxy as never });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as { code?: string }).code).toMatch(/^ERR_/);
    expect(`${String(error)} ${JSON.stringify(error)}`).not.toContain(secret);
  });

  it("userinfo in the proxy URL is the credentials, percent-decoded", () => {
    const proxy = resolveProxy("proxy", "http://us%20er:p%40ss@127.0.0.1:3128", context({}));
    const endpoint = proxy?.endpointFor(new URL("http://a.test/"));
    expect(endpoint?.origin).toBe("http://127.0.0.1:3128");
    const round = newRound();
    expect(endpoint?.credentials?.answer('Basic realm="r"', "GET", "/", round)).toBe(`Basic ${btoa("us er:p@ss")}`);
    expect(String(endpoint?.credentials?.guardAuth)).not.toContain("p@ss");
  });

  it("proxy with a caller's fetch is refused (authflow cannot route that fetch)", () => {
    expect(() => new Client({ proxy: "http://127.0.0.1:3128", fetch })).toThrow(InvalidArgumentError);
  });
});
