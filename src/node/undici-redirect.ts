// Moved to src/undici/redirect.ts: a shim until every import is rewritten.
export * from "../undici/redirect.js";
