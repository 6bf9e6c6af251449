import { spawn } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { runDemo } from "../../src/cli/demo.js";
import { builtCli, environment, runCli } from "./helpers.js";

/** Starts `authflow serve …`, waits for its URL, and returns it with the child. */
async function startServe(args: readonly string[]) {
  const child = spawn(process.execPath, [builtCli(), "serve", ...args], { env: environment(), stdio: "pipe" });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", () => {
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match !== null && stdout.includes("stop: Ctrl-C")) resolve(match[1] as string);
    });
    void exited.then((code) => reject(new Error(`serve exited early (${code})`)));
  });
  return { child, url, exited, output: () => stdout, errors: () => stderr };
}

beforeAll(() => {
  builtCli();
});

describe("authflow serve", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`serves every route family, prints its routes, and stops cleanly on ${signal}`, async () => {
      const serve = await startServe(["--port", "0", "--host", "127.0.0.1", "--token-ttl", "7"]);
      try {
        await exercise(serve.url, serve.output());
      } finally {
        serve.child.kill(signal);
      }
      expect(await serve.exited).toBe(0);
      expect(serve.output()).toMatch(new RegExp(`${signal}: stopping\\nstopped\\n$`));
    });
  }
});

// Issue 18.9: `serve --host 0.0.0.0` bound every interface without a word, with fault injection on.
describe("authflow serve: a test server, and it says so", () => {
  const WARNING = /warning: the test server listens on .*which is not loopback[\s\S]*not for production/;

  it("warns on stderr when bound to an address that is not loopback (0.0.0.0), and serves all the same", async () => {
    const serve = await startServe(["--host", "0.0.0.0", "--faults"]);
    try {
      expect(serve.errors()).toMatch(WARNING);
      expect(serve.errors()).toContain("0.0.0.0");
      expect(serve.errors()).toContain("--faults is on");
      const port = new URL(serve.url).port;
      expect((await fetch(`http://127.0.0.1:${port}/status/204`)).status).toBe(204);
    } finally {
      serve.child.kill("SIGTERM");
    }
    expect(await serve.exited).toBe(0);
  });

  it("says nothing on loopback: 127.0.0.1 (the default), another 127/8 address, localhost", async () => {
    for (const host of [[], ["--host", "127.0.0.2"], ["--host", "localhost"]]) {
      const serve = await startServe(host);
      serve.child.kill("SIGTERM");
      expect(await serve.exited).toBe(0);
      expect({ host, stderr: serve.errors() }).toEqual({ host, stderr: "" });
      expect(serve.output()).toContain("not for production");
    }
  });

  it("injects faults only with --faults", async () => {
    const plan = { method: "POST", body: JSON.stringify({ next: 1, kind: "503" }) };
    const plain = await startServe([]);
    try {
      expect((await fetch(`${plain.url}/oauth/_faults`, plan)).status).toBe(404);
      expect(plain.output()).not.toContain("/oauth/_faults");
    } finally {
      plain.child.kill("SIGTERM");
    }
    const faulty = await startServe(["--faults"]);
    try {
      expect((await fetch(`${faulty.url}/oauth/_faults`, plan)).status).toBe(200);
      expect(faulty.output()).toContain("POST /oauth/_faults");
    } finally {
      faulty.child.kill("SIGTERM");
    }
    await Promise.all([plain.exited, faulty.exited]);
  });

  it("serve --help says it is a test server, not for production, and lists --faults", async () => {
    const result = await runCli(["serve", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("NOT FOR PRODUCTION");
    expect(result.stdout).toContain("--faults");
    expect((await runCli(["--help"])).stdout).toMatch(/serve .*TEST server[\s\S]*not for production/);
  });
});

/** Every route family answers, and the CLI works against the server the CLI started. */
async function exercise(url: string, output: string): Promise<void> {
  for (const route of ["/basic-auth/", "/digest-auth/", "/bearer", "/oauth/token", "/_stats"]) {
    expect(output).toContain(route);
  }
  const basic = await fetch(`${url}/basic-auth/u/p`, { headers: { authorization: `Basic ${btoa("u:p")}` } });
  expect(basic.status).toBe(200);
  const token = await fetch(`${url}/oauth/token`, {
    method: "POST",
    headers: { authorization: `Basic ${btoa("basic-client:basic-secret")}` },
    body: new URLSearchParams({ grant_type: "client_credentials" }),
  });
  expect(((await token.json()) as { expires_in: number }).expires_in).toBe(7);
  // The CLI against the server the CLI started.
  const request = await runCli([`${url}/digest-auth/auth/u/p`, "-A", "digest", "-a", "u:p"]);
  expect(request.code).toBe(0);
}

describe("authflow demo", () => {
  it("runDemo passes every scenario end to end, one line each and a summary", async () => {
    const lines: string[] = [];
    expect(await runDemo({ out: (line) => lines.push(line) })).toBe(true);
    const steps = lines.filter((line) => /^[✓✗] /.test(line)).slice(0, -1);
    expect(steps.length).toBeGreaterThanOrEqual(11);
    expect(steps.every((line) => line.startsWith("✓ "))).toBe(true);
    for (const scheme of ["Basic", "Digest", "Bearer", "OAuth 2.0", "DPoP", "Discovery"]) {
      expect(steps.some((line) => line.includes(scheme))).toBe(true);
    }
    expect(lines.join("\n")).toMatch(/token reused .*1 token request/);
    expect(lines.join("\n")).toMatch(/token refreshed .*2 token requests, a new token/);
    // RFC 9449 §8: the first proof has no nonce and is refused; the second signs the one the server gave.
    expect(steps.find((line) => line.includes("DPoP —"))).toMatch(
      /POST \/oauth\/token → 400 use_dpop_nonce, with its nonce → 200; GET \/oauth\/dpop-protected → 200, token_type DPoP {2}\(3 round trips, 2 token requests, the proof signed the server's nonce\)$/,
    );
    // RFC 9728: the resource's 401 leads to its metadata, the issuer in it, and a token asked for that resource.
    const origin = /test server on (http:\/\/\S+)/.exec(lines[0] ?? "")?.[1];
    expect(steps.find((line) => line.includes("Discovery —"))).toContain(
      `GET /resource/data → 401; issuer ${origin} found, token asked with resource=${origin}/resource/data; ` +
        "GET /resource/data → 200  (5 round trips, 1 token request)",
    );
    expect(lines.at(-1)).toBe(`✓ ${steps.length} of ${steps.length} scenarios passed`);
  });

  it("the built `authflow demo` exits 0 and prints every scenario", async () => {
    const result = await runCli(["demo"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✓ 11 of 11 scenarios passed\n$/);
  });
});
