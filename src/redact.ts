// Moved to src/support/redact.ts: a shim until every import is rewritten.
export * from "./support/redact.js";
export * from "./front/headers.js";
