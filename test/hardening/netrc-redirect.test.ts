/**
 * RED-09 (SECURITY.md, "Scenario → test", P0): a per-origin credential store is looked
 * up again for every hop and never mixes entries — requests CVE-2014-1829 and
 * CVE-2024-47081, curl CVE-2024-11053 and CVE-2026-3783. A holds a complete
 * netrc entry whose password is a canary; B (the same address spelled
 * `localhost`, another port) has an entry with a login and no password. A
 * answers 302 to B. B must get nothing of A's.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, InvalidCredentialsError, NetrcAuth, withAuth } from "../../src/index.js";
import { type Recorder, redirectTo, startRecorder } from "../helpers/recorder.js";

const CANARY = "CANARY-A-netrc-7f3c";
let a: Recorder;
let b: Recorder;
let directory: string;
let netrc: string;

beforeAll(async () => {
  b = await startRecorder();
  a = await startRecorder(redirectTo(`http://localhost:${b.port}/landing`));
  directory = mkdtempSync(join(tmpdir(), "authflow-netrc-"));
  netrc = join(directory, "netrc");
  writeFileSync(netrc, `machine 127.0.0.1 login ua password ${CANARY}\nmachine localhost login ub\n`);
});

afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
  rmSync(directory, { recursive: true, force: true });
});

function leaked(recorder: Recorder): string[] {
  return recorder.requests.flatMap((request) =>
    Object.entries(request.headers)
      .filter(([, value]) => String(value).includes(CANARY) || String(value).includes(btoa(`ub:${CANARY}`)))
      .map(([name]) => name),
  );
}

describe("RED-09: netrc credentials are looked up per hop and never mixed", () => {
  const fronts = [
    [
      "Client",
      (trusted: string[]) => (url: string) =>
        new Client({ auth: new NetrcAuth(netrc), trustedOrigins: trusted }).get(url),
    ],
    ["withAuth(fetch)", (trusted: string[]) => withAuth(fetch, new NetrcAuth(netrc), { trustedOrigins: trusted })],
  ] as const;

  for (const [name, front] of fronts) {
    for (const trusted of [false, true]) {
      it(`${name}, B ${trusted ? "in" : "not in"} trustedOrigins: A gets its own Basic, B gets no Authorization`, async () => {
        a.requests.length = 0;
        b.requests.length = 0;
        const send = front(trusted ? [`http://localhost:${b.port}`] : []);
        const response = await send(`${a.url}/start`);
        await response.body?.cancel();
        expect(response.status).toBe(200);
        expect(a.requests[0]?.headers.authorization).toBe(`Basic ${btoa(`ua:${CANARY}`)}`);
        expect(b.requests).toHaveLength(1);
        // Trusted or not, B's own entry has no password: nothing is sent, nothing borrowed from A.
        expect(b.requests[0]?.headers.authorization).toBeUndefined();
        expect(leaked(b)).toEqual([]);
      });
    }
  }

  it("a URL that hides one host in the userinfo of another is refused before any lookup or connection", async () => {
    const before = a.requests.length + b.requests.length;
    const tricky = `http://127.0.0.1:${a.port}:@localhost:${b.port}/`;
    await expect(new Client({ auth: new NetrcAuth(netrc) }).get(tricky)).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
    expect(a.requests.length + b.requests.length).toBe(before);
  });
});
