// Moved to src/engine/body.ts: a shim until every import is rewritten.
export * from "./engine/body.js";
