/**
 * No broken link in the documentation: every relative link of README.md, SECURITY.md, BENCHMARKS.md and
 * docs/*.md names a file of the checkout, and every `#anchor` one of the target page's headings (as
 * GitHub makes them). Links to other sites are not followed: nothing leaves the machine.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { docFiles } from "./files.js";
import { headingAnchors, markdownLinks } from "./markdown.js";
import { root } from "./package.js";

const anchorsByFile = new Map<string, Set<string>>();

function anchorsOf(file: string): Set<string> {
  let anchors = anchorsByFile.get(file);
  if (anchors === undefined) {
    anchors = headingAnchors(readFileSync(join(root, file), "utf8"));
    anchorsByFile.set(file, anchors);
  }
  return anchors;
}

/** Why a link is broken, or undefined when it is not. */
function brokenBecause(file: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined;
  const [path = "", anchor] = target.split("#", 2);
  const resolved = path === "" ? file : normalize(join(dirname(file), decodeURIComponent(path)));
  if (resolved.startsWith("..")) return `${target} leaves the repository`;
  if (!existsSync(join(root, resolved))) return `${target}: ${resolved} does not exist`;
  if (anchor === undefined || anchor === "" || !resolved.endsWith(".md")) return undefined;
  if (!anchorsOf(resolved).has(decodeURIComponent(anchor).toLowerCase())) {
    return `${target}: ${resolved} has no heading for #${anchor}`;
  }
  return undefined;
}

describe("links in the documentation", () => {
  for (const file of docFiles()) {
    it(`${file}: every relative link and anchor resolves`, () => {
      const broken = markdownLinks(readFileSync(join(root, file), "utf8")).flatMap((link) => {
        const reason = brokenBecause(file, link.target);
        return reason === undefined ? [] : [`${relative(root, join(root, file))}:${link.line} ${reason}`];
      });
      expect(broken).toEqual([]);
    });
  }
});
