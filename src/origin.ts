// Moved to src/policy/origin.ts: a shim until every import is rewritten.
export * from "./policy/origin.js";
