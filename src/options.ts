// Moved to src/policy/options.ts: a shim until every import is rewritten.
export * from "./policy/options.js";
