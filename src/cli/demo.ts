import { type ServerStats, startTestServer, type TestServer } from "../server/index.js";
import { type DemoStep, demoSteps, type StepOutcome } from "./demo-steps.js";

/**
 * Options of {@link runDemo}.
 *
 * @example
 * ```ts
 * await runDemo({ out: (line) => console.log(line) });
 * ```
 */
export interface DemoOptions {
  /** Receives each line of the report (no trailing newline). */
  out(line: string): void;
}

/**
 * `authflow demo`: starts the test server on an ephemeral port (and a second
 * one whose tokens live 1 s) and runs the seed's scenarios end to end through
 * the library — Basic both ways, Digest, Bearer both ways, OAuth 2.0 client
 * credentials by hand and with `ClientCredentialsAuth` (cached token reused,
 * then refreshed), then DPoP-bound tokens with the server's nonce followed
 * (RFC 9449) and a resource that names its authorization server (RFC 9728
 * discovery, the token requested with `resource=`). One line per step with what happened, the status and the
 * round trips the server counted, then a summary. Resolves to true when every
 * step passed; the servers are stopped either way.
 *
 * @example
 * ```ts
 * const passed = await runDemo({ out: console.log });
 * process.exitCode = passed ? 0 : 1;
 * ```
 */
export async function runDemo(options: DemoOptions): Promise<boolean> {
  // DPoP nonces required (RFC 9449 §8): the DPoP step shows the round trip that teaches the client one.
  const server = await startTestServer({ dpop: { requireNonce: true } });
  const shortLived = await startTestServer({ tokenTtlSeconds: 1 }).catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  try {
    options.out(`authflow demo — test server on ${server.url} (tokens living 1 s on ${shortLived.url})`);
    const steps = demoSteps();
    const width = Math.max(...steps.map((step) => step.title.length));
    let passed = 0;
    for (const step of steps) {
      if (await runStep(step, [server, shortLived], (line) => options.out(line), width)) passed++;
    }
    const all = passed === steps.length;
    options.out(`${all ? "✓" : "✗"} ${passed} of ${steps.length} scenarios passed`);
    return all;
  } finally {
    await Promise.all([server.close(), shortLived.close()]);
  }
}

async function runStep(
  step: DemoStep,
  servers: readonly TestServer[],
  out: (line: string) => void,
  width: number,
): Promise<boolean> {
  const before = totals(servers.map((server) => server.stats()));
  let outcome: StepOutcome;
  try {
    outcome = await step.run({ url: servers[0]?.url ?? "", shortLivedUrl: servers[1]?.url ?? "" });
  } catch (error) {
    out(
      `✗ ${step.title.padEnd(width)}  ${(error as Error)?.name ?? "Error"}: ${(error as Error)?.message ?? String(error)}`,
    );
    return false;
  }
  const after = totals(servers.map((server) => server.stats()));
  const roundTrips = after.requests - before.requests;
  const tokenRequests = after.tokenRequests - before.tokenRequests;
  const counted = [plural(roundTrips, "round trip")];
  if (outcome.expectedTokenRequests !== undefined) counted.push(plural(tokenRequests, "token request"));
  if (outcome.note !== undefined) counted.push(outcome.note);
  const ok =
    outcome.ok &&
    roundTrips === outcome.expectedRoundTrips &&
    (outcome.expectedTokenRequests === undefined || tokenRequests === outcome.expectedTokenRequests);
  const expected = ok ? "" : ` — expected ${expectation(outcome)}`;
  out(`${ok ? "✓" : "✗"} ${step.title.padEnd(width)}  ${outcome.what}  (${counted.join(", ")})${expected}`);
  return ok;
}

function totals(stats: readonly ServerStats[]): { requests: number; tokenRequests: number } {
  return {
    requests: stats.reduce((sum, item) => sum + item.requests, 0),
    tokenRequests: stats.reduce((sum, item) => sum + item.tokenRequests, 0),
  };
}

function expectation(outcome: StepOutcome): string {
  const parts = [plural(outcome.expectedRoundTrips, "round trip")];
  if (outcome.expectedTokenRequests !== undefined) parts.push(plural(outcome.expectedTokenRequests, "token request"));
  return `${parts.join(", ")}, all answered 2xx`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
