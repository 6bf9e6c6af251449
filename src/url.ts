// Moved to src/support/url.ts: a shim until every import is rewritten.
export * from "./support/url.js";
