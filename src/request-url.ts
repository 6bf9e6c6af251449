// Moved to src/front/request-url.ts: a shim until every import is rewritten.
export * from "./front/request-url.js";
