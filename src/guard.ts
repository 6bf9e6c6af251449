// Moved to src/guard/guard.ts: a shim until every import is rewritten.
export * from "./guard/guard.js";
