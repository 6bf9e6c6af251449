// Moved to src/front/client.ts: a shim until every import is rewritten.
export * from "./front/client.js";
