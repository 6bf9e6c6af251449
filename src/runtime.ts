// Moved to src/engine/runtime.ts: a shim until every import is rewritten.
export * from "./engine/runtime.js";
