/**
 * undici, loaded when first needed and synchronously (it is CommonJS):
 * through `process.getBuiltinModule("node:module")`, so no bundler follows
 * it into a browser build, and `import("authflow")` never pays for it.
 */
import type * as Undici from "undici";

/** The undici module's exports. */
export type UndiciModule = typeof Undici;

interface NodeModuleBuiltin {
  createRequire(url: string): (id: string) => unknown;
}

let loaded: UndiciModule | undefined;

/**
 * The undici package next to authflow (a dependency). Throws an Error that
 * says how to fix a missing one.
 *
 * @example
 * ```ts
 * const { Agent } = undiciModule();
 * ```
 */
export function undiciModule(): UndiciModule {
  if (loaded !== undefined) return loaded;
  const host = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
  const builtin = host.process?.getBuiltinModule?.("node:module") as NodeModuleBuiltin | undefined;
  if (builtin === undefined) throw new Error("authflow's Node transport needs Node 20.16 or later");
  try {
    loaded = builtin.createRequire(import.meta.url)("undici") as UndiciModule;
  } catch (cause) {
    throw new Error(
      "authflow's Node transport (tls, proxy) needs the undici package: npm install undici " +
        "(when bundling, keep undici external)",
      { cause },
    );
  }
  return loaded;
}
