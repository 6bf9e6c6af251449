// Moved to src/undici/chain.ts: a shim until every import is rewritten.
export * from "../undici/chain.js";
