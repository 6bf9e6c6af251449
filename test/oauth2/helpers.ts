import { ClientCredentialsAuth } from "../../src/oauth2/client-credentials.js";
import type { ClientCredentialsOptions } from "../../src/oauth2/options.js";
import type { TestServer } from "../../src/server/index.js";
import type { OAuthFaultPlan } from "../../src/server/oauth.js";

/** Configures the test server's token endpoint faults (`POST /oauth/_faults`). */
export async function setFaults(server: TestServer, plan: OAuthFaultPlan): Promise<void> {
  const response = await fetch(`${server.url}/oauth/_faults`, { method: "POST", body: JSON.stringify(plan) });
  if (response.status !== 200) throw new Error(`fault plan refused: ${await response.text()}`);
}

/** A ClientCredentialsAuth for the test server's default `basic-client`. */
export function basicClient(
  server: TestServer,
  options: Partial<ClientCredentialsOptions> = {},
): ClientCredentialsAuth {
  return new ClientCredentialsAuth({
    tokenUrl: `${server.url}/oauth/token`,
    clientId: "basic-client",
    clientSecret: "basic-secret",
    ...options,
  });
}

/** A clock tests move by hand. */
export function fakeClock(start = Date.now()) {
  let time = start;
  return {
    now: () => time,
    advance(ms: number) {
      time += ms;
    },
    set(ms: number) {
      time = ms;
    },
  };
}

/** Resolves once `condition()` holds, polling the event loop (no timing assertion). */
export async function eventually(condition: () => boolean | Promise<boolean>, tries = 500): Promise<void> {
  for (let attempt = 0; attempt < tries; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("condition never held");
}
