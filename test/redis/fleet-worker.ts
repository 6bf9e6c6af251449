/**
 * One process of the fleet test, talking to its parent over IPC.
 *
 * `node --import tsx fleet-worker.ts <serverUrl> <redis|memory> <redisUrl> <lockTtlMs> [victim]`
 *
 * It builds a ClientCredentialsAuth for the test server's `basic-client` on a
 * RedisTokenStore (or a MemoryTokenStore), says `ready`, and on `go` sends
 * `GET /oauth/protected` continuously for `durationMs`, then reports how many
 * requests succeeded and failed. A `victim` instead forces a refresh after
 * `armAfterMs`, says `refreshing` once it holds the lock and its token request
 * has started — and never finishes it: the parent kills it there.
 */
import { ClientCredentialsAuth, MemoryTokenStore, type TokenStore, withAuth } from "../../src/index.js";
import { RedisTokenStore } from "../../src/redis.js";

export type ParentMessage = { type: "go"; durationMs: number; armAfterMs?: number };
export type WorkerMessage =
  | { type: "ready" }
  | { type: "warning"; code: string }
  | { type: "refreshing" }
  | { type: "done"; ok: number; failed: number; errors: string[] };

/** Requests in flight at once per process, and the pause between one and the next. */
const LOOPS = 2;
const PAUSE_MS = 10;

const [serverUrl, storeKind, redisUrl, lockTtlMs, role] = process.argv.slice(2);
const send = (message: WorkerMessage) => process.send?.(message);

const store: TokenStore & { close?: () => Promise<void> } =
  storeKind === "redis"
    ? new RedisTokenStore({
        url: redisUrl as string,
        lockTtlMs: Number(lockTtlMs),
        onWarning: (warning) => send({ type: "warning", code: warning.code }),
      })
    : new MemoryTokenStore();

const tokenUrl = `${serverUrl}/oauth/token`;
const auth = new ClientCredentialsAuth({
  tokenUrl,
  clientId: "basic-client",
  clientSecret: "basic-secret",
  store,
  // The victim's token request starts and never ends, as if the process froze there.
  ...(role === "victim"
    ? {
        fetch: () => {
          send({ type: "refreshing" });
          return new Promise<Response>(() => {});
        },
      }
    : {}),
});
const api = withAuth(fetch, auth);

async function loop(until: number, tally: { ok: number; failed: number; errors: string[] }): Promise<void> {
  while (Date.now() < until) {
    try {
      const response = await api(`${serverUrl}/oauth/protected`, { signal: AbortSignal.timeout(20_000) });
      await response.arrayBuffer();
      if (response.status === 200) tally.ok += 1;
      else fail(tally, `status ${response.status}`);
    } catch (error) {
      fail(tally, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    }
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
}

function fail(tally: { failed: number; errors: string[] }, reason: string): void {
  tally.failed += 1;
  if (tally.errors.length < 5) tally.errors.push(reason);
}

process.on("message", async (message: ParentMessage) => {
  if (message.type !== "go") return;
  if (role === "victim") {
    await new Promise((resolve) => setTimeout(resolve, message.armAfterMs ?? 0));
    // A forced refresh is satisfied without a token request when another process refreshed while this
    // one waited for the lock (a newer token than the one it had): force again until this process is
    // the one that asks, which then never returns.
    for (;;) await auth.getToken({ forceRefresh: true });
  }
  const tally = { ok: 0, failed: 0, errors: [] as string[] };
  const until = Date.now() + message.durationMs;
  await Promise.all(Array.from({ length: LOOPS }, () => loop(until, tally)));
  send({ type: "done", ...tally });
  await store.close?.();
  process.disconnect?.();
});

send({ type: "ready" });
