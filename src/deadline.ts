// Moved to src/engine/deadline.ts: a shim until every import is rewritten.
export * from "./engine/deadline.js";
