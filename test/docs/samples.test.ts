/**
 * Every sample of the documentation, as a newcomer would try it (issue 20). Each ```ts block of
 * README.md, SECURITY.md, BENCHMARKS.md and docs/*.md is type-checked strict with `module: nodenext`
 * against the package as installed (its `exports`, its `.d.ts`) and run as its own process; each
 * ```sh block runs in bash against `npx authflow serve`, with `npx authflow` being this checkout's
 * command. One test per block, named by file and line. Markers on the line before a fence:
 * `<!-- doctest: typecheck-only -->` (needs something not on this machine: type-checked, not run),
 * `<!-- doctest: skip -->` (left alone). Samples run offline (test/docs/offline.mjs) with a time limit.
 * A `console.log(…) //=> text` line must print `text` (test/docs/prints.ts).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServer, startRedisServer } from "../redis/redis-server.js";
import { type Compiled, compileBlocks } from "./compile.js";
import { docFiles } from "./files.js";
import { type CodeBlock, extractBlocks } from "./markdown.js";
import { type DocProject, installPackage, root } from "./package.js";
import { expectedPrints, unmetPrint } from "./prints.js";
import { explain, OFFLINE, runProcess } from "./run.js";
import { type Serve, shellScript, startServe } from "./serve.js";

interface Sample extends CodeBlock {
  readonly file: string;
  /** The block's file name in the scratch project. */
  readonly name: string;
}

const samples: Sample[] = docFiles().flatMap((file) =>
  extractBlocks(readFileSync(join(root, file), "utf8"))
    .filter((block) => block.language !== undefined || block.badMarker !== undefined)
    .map((block) => ({ ...block, file, name: `${file.replace(/\W+/g, "-")}-${block.line}` })),
);

const RUN_TIMEOUT_MS = 20_000;
const CI = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";
const redisInstalled = spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;

/** A sample that says `REDIS_URL` needs a redis-server; the runner starts one and hands its URL over. */
const needsRedis = (sample: Sample) => sample.code.includes("REDIS_URL");

let project: DocProject | undefined;
let compiled: Compiled | undefined;
let serve: Serve | undefined;
let redis: RedisServer | undefined;

/** What a sample process sees: a home and cache of its own, no proxy or authflow settings of yours. */
function sampleEnv(directory: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(authflow_|http_proxy$|https_proxy$|no_proxy$|all_proxy$|node_options$|netrc$|redis_url$)/i.test(key)) {
      continue;
    }
    env[key] = value;
  }
  const home = join(directory, "home");
  mkdirSync(home, { recursive: true });
  return {
    ...env,
    HOME: home,
    XDG_CACHE_HOME: join(home, ".cache"),
    NODE_OPTIONS: `--import=${OFFLINE}`,
    ...(redis === undefined ? {} : { REDIS_URL: redis.url }),
    ...(project === undefined ? {} : { DOCTEST_CLI: project.cli }),
  };
}

beforeAll(async () => {
  project = await installPackage();
  const typescript = samples.filter((sample) => sample.language === "ts" && sample.mode !== "skip");
  compiled = compileBlocks(
    project.directory,
    typescript.map((sample) => ({
      name: sample.name,
      code: sample.code,
      file: sample.file,
      firstLine: sample.line + 1,
    })),
  );
  if (redisInstalled && samples.some((sample) => sample.mode === "run" && needsRedis(sample))) {
    redis = await startRedisServer();
  }
  if (samples.some((sample) => sample.language === "sh" && sample.mode === "run")) {
    serve = await startServe(project.cli, project.directory, sampleEnv(project.directory));
  }
}, 180_000);

afterAll(async () => {
  await serve?.stop();
  await redis?.stop();
  if (project !== undefined) rmSync(project.directory, { recursive: true, force: true });
});

async function checkTypeScript(sample: Sample): Promise<void> {
  if (project === undefined || compiled === undefined) throw new Error("the scratch project was not made");
  const errors = compiled.errors.get(sample.name) ?? [`${sample.file}:${sample.line}: not compiled`];
  if (errors.length > 0) {
    expect.fail(`${errors.join("\n")}\n(a fragment that cannot compile alone: mark it <!-- doctest: skip -->)`);
  }
  if (sample.mode !== "run") return;
  const outcome = await runProcess(process.execPath, ["--enable-source-maps", compiled.javascript(sample.name)], {
    cwd: project.directory,
    env: sampleEnv(project.directory),
    timeoutMs: RUN_TIMEOUT_MS,
  });
  if (outcome.status !== 0 || outcome.timedOut) expect.fail(explain(outcome, RUN_TIMEOUT_MS));
  const unmet = unmetPrint(expectedPrints(sample.code), outcome.stdout);
  if (unmet !== undefined) {
    expect.fail(`the sample says it prints "${unmet}" (a //=> comment); it printed:\n${outcome.stdout.trim()}`);
  }
}

async function runShell(sample: Sample): Promise<void> {
  if (project === undefined || serve === undefined) throw new Error("authflow serve was not started");
  const work = join(project.directory, "sh", sample.name);
  mkdirSync(work, { recursive: true });
  const outcome = await runProcess("bash", ["-c", shellScript(sample.code, serve.port)], {
    cwd: work,
    env: sampleEnv(project.directory),
    timeoutMs: RUN_TIMEOUT_MS,
  });
  if (outcome.status !== 0 || outcome.timedOut) expect.fail(explain(outcome, RUN_TIMEOUT_MS));
}

function title(sample: Sample): string {
  const mode = sample.mode === "run" ? "" : `, ${sample.mode}`;
  return `${sample.file}:${sample.line} (${sample.language ?? sample.info}${mode})`;
}

describe("documentation samples", () => {
  it("finds the samples", () => {
    expect(samples.filter((sample) => sample.language === "ts").length).toBeGreaterThan(20);
  });

  for (const sample of samples) {
    if (sample.badMarker !== undefined) {
      it(title(sample), () => {
        expect.fail(`unknown marker <!-- doctest: ${sample.badMarker} -->: use typecheck-only or skip`);
      });
    } else if (sample.mode === "skip") {
      it.skip(title(sample), () => {});
    } else if (sample.mode === "run" && needsRedis(sample) && !redisInstalled) {
      if (CI) it(title(sample), () => expect.fail("redis-server is not installed (.ci/apt-packages has it)"));
      else it.skip(`${title(sample)}: redis-server is not installed`, () => {});
    } else if (sample.language === "ts") {
      it(title(sample), () => checkTypeScript(sample), RUN_TIMEOUT_MS + 10_000);
    } else if (sample.mode === "typecheck-only") {
      it(title(sample), () => expect.fail("a shell block cannot be type-checked: mark it <!-- doctest: skip -->"));
    } else {
      it(title(sample), () => runShell(sample), RUN_TIMEOUT_MS + 10_000);
    }
  }
});
