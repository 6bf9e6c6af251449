// PAR-01..03, PAR-05 scenarios (SECURITY.md, "Scenario → test"): no crash, no hang, only typed errors.
// Heavy fuzzing (≥ 100,000 cases, with timings) is `npm run fuzz` (fuzz/run.ts); here a few thousand cases.
// Already covered elsewhere: CVE-2020-8492 N=20..100k and CVE-2021-3733 N=16k..1M inputs straight into the
// parser, limits, golden corpus (PAR-05) → test/headers/challenge.test.ts; token response vectors (OAUTH-06)
// → test/oauth2/token-response.test.ts; CR/LF in Basic/Bearer credentials (PAR-06) → test/schemes/basic.test.ts,
// test/schemes/bearer.test.ts.
import fc from "fast-check";
import { Agent } from "undici";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { adversarialHeaders, withOptionalTargets } from "../../fuzz/targets.js";
import {
  AuthChallengeError,
  ChallengeParseError,
  Client,
  DigestAuth,
  parseAuthenticationInfo,
  parseChallenges,
} from "../../src/index.js";
import { canaries, errorTexts } from "../helpers/canary.js";
import { type Handler, type Recorder, startRecorder } from "../helpers/recorder.js";

const secrets = canaries("parser-abuse");
const PASSWORD = secrets.get("password");
const servers: Recorder[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function server(handler: Handler): Promise<Recorder> {
  const started = await startRecorder(handler);
  servers.push(started);
  return started;
}

describe("PAR-03: generated and mutated input gives a result or a typed error", () => {
  it("PAR-03: 500 cases per parser (parseChallenges, parseAuthenticationInfo, parseTokenResponse, netrc if present)", async () => {
    for (const target of await withOptionalTargets()) {
      fc.assert(
        fc.property(target.input, (input) => {
          try {
            target.run(input);
          } catch (error) {
            if (!target.typed(error)) throw error;
          }
        }),
        { numRuns: 500 },
      );
    }
  });

  it("PAR-01/PAR-02: the 1 MiB runs of commas, quotes and backslashes end with a result or ChallengeParseError", () => {
    for (const [name, header] of adversarialHeaders()) {
      for (const parse of [parseChallenges, parseAuthenticationInfo]) {
        for (const input of [header, [header, header]]) {
          try {
            parse(input);
          } catch (error) {
            expect(error, name).toBeInstanceOf(ChallengeParseError);
          }
        }
      }
    }
  });
});

describe("PAR-01/PAR-02 over the wire: a hostile server's challenge headers", () => {
  // Node's default 16 KiB header limit is not assumed (PAR-02): this transport allows 1 MiB.
  let agent: Agent | undefined;
  const bigHeaders = (request: Request) => {
    agent ??= new Agent({ maxHeaderSize: 1 << 20 });
    return fetch(request, { dispatcher: agent } as RequestInit);
  };
  afterAll(() => agent?.close());

  const payloads: Array<[string, string[]]> = [
    ["CVE-2020-8492 in WWW-Authenticate", [`Basic ${",".repeat(64)}x`]],
    ["CVE-2021-3733, 64 KiB", [`${",".repeat(65_000)}x`]],
    ["the payload split across header lines", [`Digest realm="r", ${",".repeat(3000)}`, `${",".repeat(3000)}x`]],
    ["1,000 WWW-Authenticate lines", Array(1000).fill('Basic realm="x"')],
    ["an unterminated quoted realm", [`Digest realm="${"\\".repeat(8000)}`]],
  ];
  for (const [name, lines] of payloads) {
    it(`PAR-01: ${name}: DigestAuth ends cleanly (a response or AuthChallengeError), one request, no secret in the error`, async () => {
      const origin = await server((_request, response) => {
        response.setHeader("www-authenticate", lines);
        response.statusCode = 401;
        response.end();
      });
      const outcome = await new Client({ fetch: bigHeaders })
        .get(`${origin.url}/x`, { auth: new DigestAuth("u", PASSWORD) })
        .catch((e: unknown) => e);
      if (outcome instanceof Error) {
        expect(outcome).toBeInstanceOf(AuthChallengeError);
        expect(await errorTexts(outcome)).not.toContain(PASSWORD);
      } else {
        expect((outcome as Response).status).toBe(401);
      }
      expect(origin.requests).toHaveLength(1);
    });
  }

  it("PAR-01: a CVE-2020-8492 Authentication-Info after a successful Digest exchange does not break the response", async () => {
    const origin = await server((request, response) => {
      if (request.headers.authorization === undefined) {
        response.writeHead(401, { "www-authenticate": 'Digest realm="r", nonce="n", qop="auth", algorithm=SHA-256' });
        response.end();
        return;
      }
      response.writeHead(200, { "authentication-info": `Basic ${",".repeat(64)}x, ${'"'.repeat(5000)}` });
      response.end("ok");
    });
    const outcome = await new Client()
      .get(`${origin.url}/x`, { auth: new DigestAuth("u", PASSWORD) })
      .catch((e: unknown) => e);
    if (outcome instanceof Error) expect(outcome).toBeInstanceOf(AuthChallengeError);
    else expect(await (outcome as Response).text()).toBe("ok");
  });
});
