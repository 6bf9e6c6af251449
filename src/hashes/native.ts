/**
 * The platform's own SHA-2 where it has one synchronously: Node's (and Bun's,
 * Deno's, workerd's with nodejs_compat) `node:crypto`, reached through
 * `process.getBuiltinModule` so the portable core imports nothing Node-only
 * and bundles for browsers unchanged. Elsewhere the portable hashes serve.
 */

type Hasher = (algorithm: string, bytes: Uint8Array) => string;

interface NodeCrypto {
  createHash(algorithm: string): { update(data: Uint8Array): { digest(encoding: "hex"): string } };
}

function load(): Hasher | undefined {
  try {
    const host = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
    const crypto = host.process?.getBuiltinModule?.("node:crypto") as NodeCrypto | undefined;
    if (typeof crypto?.createHash !== "function") return undefined;
    // A FIPS build or a stripped OpenSSL may lack an algorithm: probe each once, at load.
    for (const algorithm of ["sha1", "sha256", "sha512", "sha512-256"]) crypto.createHash(algorithm);
    return (algorithm, bytes) => crypto.createHash(algorithm).update(bytes).digest("hex");
  } catch {
    return undefined;
  }
}

/** The native hasher, or undefined where the portable hashes must serve. */
export const nativeHash: Hasher | undefined = /* @__PURE__ */ load();
