// Moved to src/engine/auth.ts: a shim until every import is rewritten.
export * from "./engine/auth.js";
