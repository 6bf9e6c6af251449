/**
 * The API reference (issue 20): `npm run docs` builds it with TypeDoc from typedoc.json. This test runs
 * the same build (into a scratch folder) and fails on any TypeDoc warning — a broken `{@link}`, a
 * public type that names one the package does not export — and on a public export without a summary
 * or an `@example`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Application,
  type Comment,
  type DeclarationReflection,
  Logger,
  LogLevel,
  type ProjectReflection,
  ReflectionKind,
  TSConfigReader,
  TypeDocReader,
} from "typedoc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { root } from "./package.js";

/** Keeps what TypeDoc says instead of printing it. */
class CollectingLogger extends Logger {
  readonly messages: string[] = [];
  override log(message: string, level: LogLevel): void {
    if (level >= LogLevel.Warn) this.messages.push(`${LogLevel[level]}: ${message}`);
  }
}

const logger = new CollectingLogger();
const out = mkdtempSync(join(tmpdir(), "authflow-api-"));
let project: ProjectReflection | undefined;

beforeAll(async () => {
  const app = await Application.bootstrapWithPlugins({ options: join(root, "typedoc.json") }, [
    new TypeDocReader(),
    new TSConfigReader(),
  ]);
  app.logger = logger;
  project = await app.convert();
  if (project === undefined) return;
  app.validate(project);
  await app.generateDocs(project, out);
}, 120_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The comment a reader sees for an export: its own, or its first signature's (functions). */
function commentOf(reflection: DeclarationReflection): Comment | undefined {
  return reflection.comment ?? reflection.signatures?.[0]?.comment;
}

function hasSummary(comment: Comment | undefined): boolean {
  return comment?.summary.some((part) => part.text.trim() !== "") ?? false;
}

/** Every export of every entry point, by `module.name` (re-exports of the same thing skipped). */
function exportsOf(reflection: ProjectReflection): DeclarationReflection[] {
  return (reflection.children ?? []).flatMap((module) =>
    (module.children ?? []).filter((child) => !child.kindOf(ReflectionKind.Reference)),
  );
}

describe("the API reference (TypeDoc)", () => {
  it("builds without a warning: no broken link, no public type that is not exported", () => {
    expect(project, "TypeDoc could not convert the project").toBeDefined();
    expect(logger.messages).toEqual([]);
  });

  it("has an entry point per package export, each with a summary", () => {
    const modules = (project?.children ?? []).map((module) => module.name);
    expect(modules).toEqual(
      expect.arrayContaining(["authflow", "authflow/server", "authflow/redis", "authflow/file-store"]),
    );
    const bare = (project?.children ?? []).filter((module) => !hasSummary(module.comment)).map((m) => m.name);
    expect(bare).toEqual([]);
  });

  it("documents every public export with a summary and an @example", () => {
    const missing = exportsOf(project as ProjectReflection).flatMap((reflection) => {
      const comment = commentOf(reflection);
      const lacks = [
        hasSummary(comment) ? "" : "a summary",
        comment?.getTag("@example") === undefined ? "an @example" : "",
      ].filter(Boolean);
      return lacks.length === 0 ? [] : [`${reflection.getFullName()} lacks ${lacks.join(" and ")}`];
    });
    expect(missing).toEqual([]);
  });
});
