// Moved to src/front/send.ts: a shim until every import is rewritten.
export * from "./front/send.js";
