// PAR-07 of SECURITY.md ("Scenario → test"): secrets never appear in errors, logs or serialisation.
// Already covered elsewhere: String/JSON/inspect of BasicAuth, BearerAuth, ClientCredentialsAuth and the
// client authenticators → test/schemes/basic.test.ts, test/schemes/bearer.test.ts,
// test/oauth2/client-credentials.test.ts, test/oauth2/client-auth.test.ts; URL userinfo → test/client.test.ts.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BasicAuth,
  BearerAuth,
  Client,
  ClientCredentialsAuth,
  DigestAuth,
  InvalidCredentialsError,
  OAuthError,
  TokenEndpointError,
  withAuth,
} from "../../src/index.js";
import { canaries, errorTexts } from "../helpers/canary.js";
import { type Recorder, redirectTo, startRecorder } from "../helpers/recorder.js";
import { selfSignedCertificate } from "../helpers/tls.js";

const secrets = canaries("secret-hygiene");
const PASSWORD = secrets.get("password");
const TOKEN = secrets.get("token");
const CLIENT_SECRET = secrets.get("client-secret");

async function expectClean(error: unknown): Promise<void> {
  expect(error).toBeInstanceOf(Error);
  const texts = await errorTexts(error);
  for (const secret of secrets.all()) expect(texts).not.toContain(secret);
}

describe("PAR-07: every failure path keeps secrets out of the error", () => {
  let origin: Recorder;
  beforeAll(async () => {
    origin = await startRecorder((request, response) => {
      if (request.url === "/token-400") {
        // A token endpoint that echoes the request (client_secret included) in its error body.
        response.writeHead(400, { "content-type": "application/json" });
        response.end(
          JSON.stringify({ error: "invalid_request", error_description: "bad", echo: request.headers.authorization }),
        );
      } else if (request.url === "/token-html") {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(`<html>${request.headers.authorization}</html>`);
      } else if (request.url === "/loop") {
        redirectTo("/loop")(request, response, Buffer.alloc(0), []);
      } else if (request.url === "/slow") {
        setTimeout(() => response.end("late"), 500);
      } else {
        response.writeHead(401, { "www-authenticate": 'Basic realm="r"' });
        response.end(`denied ${request.headers.authorization ?? ""}`);
      }
    });
  });
  afterAll(() => origin.close());

  it("PAR-07: CR/LF in a hand-set Authorization, Cookie or X-Api-Key: InvalidCredentialsError that names the header only", async () => {
    for (const [name, value] of [
      ["Authorization", `Bearer ${TOKEN}\r\nX-Injected: 1`],
      ["Cookie", `s=${TOKEN}\n`],
      ["X-Api-Key", `${TOKEN}\u0000`],
    ]) {
      for (const headers of [{ [name as string]: value }, [[name, value]] as [string, string][], undefined]) {
        const attempt: () => Promise<unknown> =
          headers === undefined
            ? async () => new Client({ headers: { [name as string]: value as string } })
            : () => new Client().get(`${origin.url}/x`, { headers: headers as HeadersInit });
        const error = await Promise.resolve()
          .then(attempt)
          .catch((e: unknown) => e);
        if (name === "Cookie" && !(error instanceof Error)) continue; // Headers trims a trailing LF (V6): nothing to leak
        expect(error).toBeInstanceOf(InvalidCredentialsError);
        expect(String(error).toLowerCase()).toContain((name as string).toLowerCase());
        await expectClean(error);
      }
      const viaFetch = await withAuth(fetch, null)(`${origin.url}/x`, {
        headers: { [name as string]: value as string },
      }).catch((e: unknown) => e);
      if (viaFetch instanceof Error) await expectClean(viaFetch);
    }
  });

  it("PAR-07: credentials with control characters are refused without echo (Basic, Bearer, Digest)", async () => {
    for (const make of [
      () => new BasicAuth("u", `${PASSWORD}\r\n`),
      () => new BearerAuth(`${TOKEN}\n`),
      () => new DigestAuth("u", `${PASSWORD}\r\nX: 1`),
    ]) {
      const error = await Promise.resolve()
        .then(async () => {
          const auth = make();
          await new Client().get(`${origin.url}/digest`, { auth });
        })
        .catch((e: unknown) => e);
      if (error !== undefined) await expectClean(error);
    }
    // Whatever DigestAuth did with it, the raw secret never reached the wire.
    expect(JSON.stringify(origin.requests)).not.toContain(PASSWORD);
  });

  it("PAR-07: redirect limit, timeout, TLS failure, connection refused", async () => {
    const auth = new BearerAuth(TOKEN);
    await expectClean(
      await new Client({ maxRedirects: 2 }).get(`${origin.url}/loop`, { auth }).catch((e: unknown) => e),
    );
    await expectClean(await new Client({ timeout: 50 }).get(`${origin.url}/slow`, { auth }).catch((e: unknown) => e));
    const tls = await startRecorder(undefined, { tls: selfSignedCertificate() });
    try {
      await expectClean(await new Client().get(`${tls.url}/x?token=${TOKEN}`, { auth }).catch((e: unknown) => e));
    } finally {
      await tls.close();
    }
    await expectClean(await new Client().get(`http://127.0.0.1:1/x?key=${TOKEN}`, { auth }).catch((e: unknown) => e));
  });

  it("PAR-07: token endpoint 400 echoing the secret, and a malformed 200: typed errors without it", async () => {
    for (const [path, type] of [
      ["/token-400", OAuthError],
      ["/token-html", TokenEndpointError],
    ] as const) {
      const auth = new ClientCredentialsAuth({
        tokenUrl: `${origin.url}${path}`,
        clientId: "c",
        clientSecret: CLIENT_SECRET,
        maxRetries: 0,
      });
      const error = await auth.getToken().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(type);
      await expectClean(error);
      // The encoded form of the secret must not show up either.
      expect(await errorTexts(error)).not.toContain(btoa(`c:${CLIENT_SECRET}`));
      expect(inspect(auth)).not.toContain(CLIENT_SECRET);
    }
  });

  it("PAR-07: a final 401 and a guard trip carry no secret", async () => {
    const client = new Client({ auth: new BasicAuth("u", PASSWORD) });
    for (let call = 0; call < 3; call++) await (await client.get(`${origin.url}/x`)).text();
    await expectClean(await client.get(`${origin.url}/x`).catch((e: unknown) => e));
    expect(inspect(client)).not.toContain(PASSWORD);
    expect(JSON.stringify(client) ?? "").not.toContain(PASSWORD);
  });
});

// Runs the hardening files again in a child vitest with AUTHFLOW_DEBUG=1 and greps everything it printed
// for every canary those files handed out. Skipped inside that child.
const SUBSET = [
  "test/hardening/redirect-leaks.test.ts",
  "test/hardening/loops-lockout.test.ts",
  "test/hardening/digest-attacks.test.ts",
  "test/hardening/oauth-attacks.test.ts",
  "test/hardening/body-replay.test.ts",
  "test/hardening/chaos.test.ts",
  "test/hardening/plain-http.test.ts",
  "test/hardening/url-secrets.test.ts",
  "test/hardening/baseurl-escape.test.ts",
];

describe.skipIf(process.env.AUTHFLOW_CANARY_LOG !== undefined)("secret hygiene with debug logging on", () => {
  it("PAR-07: the hardening suite under AUTHFLOW_DEBUG=1 prints none of its canaries", { timeout: 120_000 }, () => {
    const directory = mkdtempSync(join(tmpdir(), "authflow-canaries-"));
    const log = join(directory, "canaries.txt");
    writeFileSync(log, "");
    try {
      const files = SUBSET.filter((file) => existsSync(file));
      const child = spawnSync("npx", ["vitest", "run", "--reporter=verbose", ...files], {
        env: { ...process.env, AUTHFLOW_DEBUG: "1", AUTHFLOW_CANARY_LOG: log, FORCE_COLOR: "0" },
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
        timeout: 110_000,
      });
      const output = `${child.stdout}\n${child.stderr}`;
      expect(child.status, output.slice(-3000)).toBe(0);
      const used = [...new Set(readFileSync(log, "utf8").split("\n").filter(Boolean))];
      expect(used.length).toBeGreaterThan(10);
      expect(output).toMatch(/authflow: GET http:\/\/127\.0\.0\.1:\d+ → 401/); // debug lines were written
      const hits = used.filter((secret) => output.includes(secret));
      expect(hits).toEqual([]);
      console.info(
        `secret hygiene: ${files.length} files, ${used.length} canaries, ${output.split("\n").filter((line) => line.includes("authflow:")).length} debug lines, 0 hits`,
      );
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
