// Moved to src/front/attempt.ts: a shim until every import is rewritten.
export * from "./front/attempt.js";
