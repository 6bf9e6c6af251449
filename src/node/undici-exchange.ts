// Moved to src/undici/exchange.ts: a shim until every import is rewritten.
export * from "../undici/exchange.js";
