// Moved to src/undici/headers.ts: a shim until every import is rewritten.
export * from "../undici/headers.js";
