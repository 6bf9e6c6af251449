// What the CLI's TLS and proxy tests share: a name for loopback that is not loopback by the rules
// (so that the environment's proxy applies to it, and a proxy reached by it counts as remote), and
// files for --cacert/--cert/--key in a temporary directory.
import { lookup } from "node:dns/promises";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A host name from /etc/hosts that resolves to 127.0.0.1 and is not `localhost`: squid reads
 * /etc/hosts too, so a request to it through squid reaches a loopback server. authflow's rules judge
 * a target by its name, so it is "not loopback" there: the environment's proxy applies, and Basic to
 * a proxy reached by it needs --insecure-auth. Undefined when the machine has no such name (the tests
 * that need it are skipped).
 */
export async function loopbackAlias(): Promise<string | undefined> {
  let hosts = "";
  try {
    hosts = readFileSync("/etc/hosts", "utf8");
  } catch {
    return undefined;
  }
  const names = hosts
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim().split(/\s+/))
    .filter(([address]) => address === "127.0.0.1")
    .flatMap(([, ...aliases]) => aliases)
    .filter((name) => /^[a-z][a-z0-9-]*$/i.test(name) && !name.toLowerCase().startsWith("localhost"));
  for (const name of names) {
    try {
      const addresses = await lookup(name, { all: true, family: 4 });
      if (addresses.length > 0 && addresses.every((entry) => entry.address === "127.0.0.1")) return name;
    } catch {
      // Not resolvable here after all: try the next.
    }
  }
  return undefined;
}

/** A temporary directory for PEM files, removed by `remove()`. */
export function pemDirectory(): { write(name: string, text: string): string; remove(): void } {
  const directory = mkdtempSync(join(tmpdir(), "authflow-cli-tls-"));
  return {
    write(name, text) {
      const path = join(directory, name);
      writeFileSync(path, text, { mode: 0o600 });
      return path;
    },
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}
