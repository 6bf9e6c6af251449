// Moved to src/hashes/native.ts: a shim until every import is rewritten.
export * from "../hashes/native.js";
