// Moved to src/undici/index.ts: a shim until every import is rewritten.
export * from "./undici/index.js";
