/**
 * `npx authflow serve` for the shell samples: the installed package's command, on a free port, and
 * the rewrite that points a sample's `http://127.0.0.1:8080` (and `:8080`) at it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";

/** A running `authflow serve`. */
export interface Serve {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts `node <cli> serve` (a free port) and resolves once it printed where it listens.
 *
 * @example
 * ```ts
 * const serve = await startServe(project.cli, project.directory, env);
 * await fetch(`${serve.url}/status/200`);
 * await serve.stop();
 * ```
 */
export async function startServe(cli: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Serve> {
  const child = spawn(process.execPath, [cli, "serve"], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const url = await listeningUrl(child);
  return {
    url,
    port: Number(new URL(url).port),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}

function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match !== null) resolve(match[1] as string);
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    child.once("exit", (status) => reject(new Error(`authflow serve exited (${status}) before listening:\n${output}`)));
  });
}

/**
 * A shell sample made runnable: `npx authflow` and `authflow` run the installed package's command,
 * the documented address of `authflow serve --port 8080` is replaced by the live server's, and the
 * script stops at the first command that fails.
 *
 * @example
 * ```ts
 * const script = shellScript("npx authflow http://127.0.0.1:8080/status/200\n", serve.port);
 * ```
 */
export function shellScript(code: string, port: number): string {
  const rewritten = code.replace(/(^|[\s'"=/@(])((?:127\.0\.0\.1|localhost)?):8080(?!\d)/gm, `$1$2:${port}`);
  return [
    "set -e -o pipefail",
    'authflow() { node "$DOCTEST_CLI" "$@"; }',
    "npx() {",
    '  if [ "$1" = authflow ]; then shift; authflow "$@"; return; fi',
    '  echo "doctest: a shell sample runs \\`npx authflow …\\` only; mark it <!-- doctest: skip -->" >&2; return 127',
    "}",
    "npm() {",
    '  echo "doctest: a shell sample does not run npm; mark it <!-- doctest: skip -->" >&2; return 127',
    "}",
    rewritten,
  ].join("\n");
}
