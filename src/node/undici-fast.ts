// Moved to src/undici/fast.ts: a shim until every import is rewritten.
export * from "../undici/fast.js";
