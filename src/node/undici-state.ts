// Moved to src/undici/state.ts: a shim until every import is rewritten.
export * from "../undici/state.js";
