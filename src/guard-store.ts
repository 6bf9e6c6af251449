// Moved to src/guard/store.ts: a shim until every import is rewritten.
export * from "./guard/store.js";
