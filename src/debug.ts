// Moved to src/support/debug.ts: a shim until every import is rewritten.
export * from "./support/debug.js";
