// Moved to src/engine/capabilities.ts: a shim until every import is rewritten.
export * from "./engine/capabilities.js";
