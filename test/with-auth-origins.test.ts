/**
 * withAuth({ origins }): a wrapped fetch handed to a library that follows
 * URLs from its answers authenticates only the API's origin. And a Request
 * whose body was already read is refused before anything is sent.
 */
import { afterAll, describe, expect, it } from "vitest";
import { BearerAuth, InvalidArgumentError, withAuth } from "../src/index.js";
import { type Recorder, startRecorder } from "./helpers/recorder.js";

const TOKEN = `CANARY-${crypto.randomUUID()}`;
const recorders: Recorder[] = [];

afterAll(async () => {
  await Promise.all(recorders.map((recorder) => recorder.close()));
});

async function recorder(): Promise<Recorder> {
  const started = await startRecorder();
  recorders.push(started);
  return started;
}

function authorizations(recorder: Recorder): Array<string | string[] | undefined> {
  return recorder.requests.map((seen) => seen.headers.authorization);
}

describe("withAuth origins", () => {
  it("authenticates the listed origins only; another origin gets the request without credentials", async () => {
    const api = await recorder();
    const files = await recorder();
    const other = await recorder();
    const authed = withAuth(fetch, new BearerAuth(TOKEN), { origins: [api.url, `${files.url}/ignored-path`] });
    for (const target of [api, files, other]) expect((await authed(`${target.url}/x`)).status).toBe(200);
    expect(authorizations(api)).toEqual([`Bearer ${TOKEN}`]);
    expect(authorizations(files)).toEqual([`Bearer ${TOKEN}`]);
    expect(authorizations(other)).toEqual([undefined]);
  });

  it("without origins, every origin asked for is authenticated (as httpx and requests do)", async () => {
    const first = await recorder();
    const second = await recorder();
    const authed = withAuth(fetch, new BearerAuth(TOKEN));
    await authed(`${first.url}/x`);
    await authed(new Request(`${second.url}/x`));
    expect([...authorizations(first), ...authorizations(second)]).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
  });

  it("refuses a bad origins value with InvalidArgumentError", () => {
    for (const origins of [["not a url"], ["ftp://example.com"], "https://api.example.com"]) {
      expect(() => withAuth(fetch, new BearerAuth(TOKEN), { origins: origins as never })).toThrow(InvalidArgumentError);
    }
  });

  it("a Request whose body was read is refused, nothing sent", async () => {
    const api = await recorder();
    const authed = withAuth(fetch, new BearerAuth(TOKEN));
    const used = new Request(`${api.url}/x`, { method: "POST", body: "payload" });
    await used.text();
    const failure = await authed(used).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InvalidArgumentError);
    expect((failure as InvalidArgumentError).option).toBe("input");
    expect(api.requests).toEqual([]);
  });
});
