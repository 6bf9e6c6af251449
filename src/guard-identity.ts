// Moved to src/guard/identity.ts: a shim until every import is rewritten.
export * from "./guard/identity.js";
