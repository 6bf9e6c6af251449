// Moved to src/policy/rules.ts: a shim until every import is rewritten.
export * from "./policy/rules.js";
