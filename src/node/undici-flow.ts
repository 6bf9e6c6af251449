// Moved to src/undici/flow.ts: a shim until every import is rewritten.
export * from "../undici/flow.js";
