// Moved to src/front/with-auth.ts: a shim until every import is rewritten.
export * from "./front/with-auth.js";
