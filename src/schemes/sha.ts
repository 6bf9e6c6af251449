// Moved to src/hashes/sha.ts: a shim until every import is rewritten.
export * from "../hashes/sha.js";
