import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const workspace = mkdtempSync(join(tmpdir(), "authflow-pack-"));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

describe("the published package", () => {
  it("builds, packs, installs in a fresh project and imports every entry point", () => {
    execFileSync("npm", ["run", "build"], { cwd: root, stdio: "pipe" });
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--json", "--pack-destination", workspace], { cwd: root, encoding: "utf8" }),
    ) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const tarball = join(workspace, packed[0]?.filename ?? "");
    const files = packed[0]?.files.map((file) => file.path) ?? [];
    expect(files).toContain("dist/index.js");
    expect(files).toContain("dist/index.d.ts");
    expect(files.some((file) => file.startsWith("test/") || file.startsWith("src/"))).toBe(false);

    const project = join(workspace, "app");
    execFileSync("mkdir", ["-p", project]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "app", type: "module", private: true }));
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], {
      cwd: project,
      stdio: "pipe",
    });

    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      exports: Record<string, unknown>;
    };
    const entries = Object.keys(manifest.exports).filter((entry) => entry !== "./package.json");
    const script = entries
      .map((entry, index) => `import * as m${index} from ${JSON.stringify(join("authflow", entry))};`)
      .join("\n")
      .concat(`\nconsole.log(JSON.stringify([${entries.map((_, index) => `Object.keys(m${index})`).join(",")}]));`);
    writeFileSync(join(project, "check.mjs"), script);
    const exported = JSON.parse(execFileSync("node", ["check.mjs"], { cwd: project, encoding: "utf8" })) as string[][];
    expect(exported[0]).toEqual(
      expect.arrayContaining(["Client", "withAuth", "BasicAuth", "BearerAuth", "AuthflowError"]),
    );
    expect(exported.every((names) => names.length > 0)).toBe(true);
  }, 120_000);
});
