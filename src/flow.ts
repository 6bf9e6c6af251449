// Moved to src/engine/flow.ts: a shim until every import is rewritten.
export * from "./engine/flow.js";
