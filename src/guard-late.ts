// Moved to src/guard/late.ts: a shim until every import is rewritten.
export * from "./guard/late.js";
