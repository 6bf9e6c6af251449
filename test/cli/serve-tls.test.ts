// Issue 14, `authflow serve --tls` (and --mtls): started as a child process, the printed CA path
// and command used as printed, stopped with a signal, and its temporary directory gone after.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { builtCli, environment, runCli } from "./helpers.js";

/** `authflow serve …` until its banner is complete. */
async function startServe(args: readonly string[]) {
  const child = spawn(process.execPath, [builtCli(), "serve", ...args], { env: environment(), stdio: "pipe" });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", () => {
      if (stdout.includes("stop: Ctrl-C")) resolve();
    });
    void exited.then((code) => reject(new Error(`serve exited early (${code}): ${stdout}`)));
  });
  const url = /listening on (https:\/\/\S+)/.exec(stdout)?.[1] as string;
  const caFile = /CA certificate \(throwaway, removed on stop\): (\S+)/.exec(stdout)?.[1] as string;
  return { child, url, caFile, exited, output: () => stdout };
}

/** The words of a printed `npx authflow …` command (after `npx authflow`), continuation lines joined. */
function printedCommand(output: string, startsWith: RegExp): string[] {
  const joined = output.replace(/ \\\n\s+/g, " ");
  const line = joined.split("\n").find((text) => startsWith.test(text)) as string;
  return line
    .replace(/^.*?npx authflow /, "")
    .split(/\s+/)
    .filter((word) => word !== "");
}

beforeAll(() => {
  builtCli();
});

describe("authflow serve --tls", () => {
  it("serves https with a throwaway CA whose file it prints, with a command that works as pasted", async () => {
    const serve = await startServe(["--tls"]);
    let caFile = "";
    try {
      caFile = serve.caFile;
      expect(serve.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(readFileSync(caFile, "utf8")).toContain("-----BEGIN CERTIFICATE-----");
      // The directory is the user's alone.
      expect(statSync(dirname(caFile)).mode & 0o077).toBe(0);
      const words = printedCommand(serve.output(), /^try: {2}npx authflow --cacert /);
      expect(words.slice(0, 3)).toEqual(["--cacert", caFile, "GET"]);
      expect(words[3]).toBe(`${serve.url}/basic-auth/user/pass`);
      const pasted = await runCli(words, { env: { AUTHFLOW_PASSWORD: "pass" } });
      expect(pasted.code).toBe(0);
      expect(JSON.parse(pasted.stdout)).toEqual({ authenticated: true, user: "user" });
      // Without the CA: the TLS exit code, and the flag that fixes it.
      const untrusted = await runCli([`${serve.url}/status/204`]);
      expect(untrusted.code).toBe(35);
      expect(untrusted.stderr).toContain("--cacert");
    } finally {
      serve.child.kill("SIGTERM");
    }
    expect(await serve.exited).toBe(0);
    expect(serve.output()).toMatch(/SIGTERM: stopping\nstopped\n$/);
    expect(existsSync(dirname(caFile))).toBe(false);
  });

  it("--mtls: writes a client certificate and key, and the printed tls_client_auth command works", async () => {
    const serve = await startServe(["--mtls", "--port", "0"]);
    let caFile = "";
    try {
      caFile = serve.caFile;
      const words = printedCommand(serve.output(), /^ {6}npx authflow --cacert /);
      expect(words).toContain("--cert");
      expect(words).toContain("tls_client_auth");
      const keyFile = words[words.indexOf("--key") + 1] as string;
      expect(statSync(keyFile).mode & 0o077).toBe(0);
      const pasted = await runCli(words);
      expect(pasted.code).toBe(0);
      expect(JSON.parse(pasted.stdout)).toMatchObject({ client_id: "mtls-client", token_type: "Bearer" });
      expect(JSON.parse(pasted.stdout).cnf["x5t#S256"]).toMatch(/^[\w-]{43}$/);
    } finally {
      serve.child.kill("SIGINT");
    }
    expect(await serve.exited).toBe(0);
    expect(existsSync(dirname(caFile))).toBe(false);
  });

  it("serve --help lists --tls and --mtls", async () => {
    const result = await runCli(["serve", "--help"]);
    expect(result.stdout).toContain("--tls");
    expect(result.stdout).toContain("--mtls");
    expect(result.stdout).toContain("npx authflow --cacert FILE GET https://127.0.0.1:PORT/");
  });
});
