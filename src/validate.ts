// Moved to src/policy/validate.ts: a shim until every import is rewritten.
export * from "./policy/validate.js";
