import type { SessionCommand } from "./args.js";
import { formatDuration } from "./progress.js";
import { escapeControl } from "./safe-text.js";
import { deleteSession, listSessions, sessionsDirectory } from "./session-store.js";

/** Where `session` writes. */
export interface SessionIO {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * Runs `authflow session list` (one line per session: name, tokens and when
 * the last expires, Digest challenges) or `authflow session delete NAME`.
 * Returns the exit status: 1 when there is no session to delete.
 *
 * @example
 * ```ts
 * process.exitCode = await runSession({ command: "session", action: "list" }, { stdout, stderr, env: process.env });
 * ```
 */
export async function runSession(command: SessionCommand, io: SessionIO, now = Date.now()): Promise<number> {
  if (command.action === "delete") {
    const name = command.name as string;
    if (await deleteSession(name, io.env)) {
      io.stderr.write(`authflow: session ${name} deleted\n`);
      return 0;
    }
    io.stderr.write(`authflow: error: no session named ${name} (authflow session list shows them)\n`);
    return 1;
  }
  const sessions = await listSessions(io.env);
  if (sessions.length === 0) {
    io.stderr.write(`authflow: no sessions in ${escapeControl(sessionsDirectory(io.env))}\n`);
    return 0;
  }
  for (const session of sessions) {
    const expiry =
      session.expiresAt === undefined
        ? ""
        : session.expiresAt > now
          ? `, valid for ${formatDuration((session.expiresAt - now) / 1000)}`
          : ", expired";
    const tokens = `${session.tokens} token${session.tokens === 1 ? "" : "s"}${expiry}`;
    const challenges = `${session.challenges} Digest challenge${session.challenges === 1 ? "" : "s"}`;
    io.stdout.write(`${session.name}\t${tokens}\t${challenges}\n`);
  }
  return 0;
}
