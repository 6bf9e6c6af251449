import { describe, expect, it } from "vitest";
import { sha256 } from "../helpers/recorder.js";
import { useTestServer } from "../helpers/server.js";

const server = useTestServer();

describe("the test server's httpbin routes", () => {
  it("/status/:code answers that code", async () => {
    for (const code of [200, 204, 418, 500]) {
      expect((await fetch(`${server.url}/status/${code}`)).status).toBe(code);
    }
    expect([201, 202]).toContain((await fetch(`${server.url}/status/201,202`)).status);
  });

  it("/redirect-to sends Location with the requested status", async () => {
    const response = await fetch(`${server.url}/redirect-to?url=/anything&status_code=307`, { redirect: "manual" });
    expect(response.status).toBe(307);
    expect(response.headers.get("location")).toBe("/anything");
  });

  it("/anything echoes method, url, headers, form, json and the body's sha256", async () => {
    const body = JSON.stringify({ a: 1 });
    const response = await fetch(`${server.url}/anything/deep/path?x=1`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "x-custom": "yes" },
    });
    const echoed = await response.json();
    expect(echoed).toMatchObject({ method: "POST", args: { x: "1" }, json: { a: 1 }, bodySha256: sha256(body) });
    expect(echoed.url).toBe(`${server.url}/anything/deep/path?x=1`);
    expect(echoed.headers["x-custom"]).toBe("yes");
    const form = await (
      await fetch(`${server.url}/anything`, { method: "POST", body: new URLSearchParams({ k: "v" }) })
    ).json();
    expect(form.form).toEqual({ k: "v" });
  });

  it("/_stats and stats() count requests by route, challenges and connections; reset() zeroes them", async () => {
    server.reset();
    await (await fetch(`${server.url}/basic-auth/u/p`)).arrayBuffer();
    await (await fetch(`${server.url}/bearer`)).arrayBuffer();
    const stats = server.stats();
    expect(stats.routes).toEqual({ "basic-auth": 1, bearer: 1 });
    expect(stats.challenges).toBe(2);
    expect(stats.connections).toBeGreaterThan(0);
    const viaHttp = await (await fetch(`${server.url}/_stats`)).json();
    expect(viaHttp.challenges).toBe(2);
  });

  it("answers 404 with JSON for unknown paths", async () => {
    const response = await fetch(`${server.url}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: "not found" });
  });
});
