// Moved to src/hashes/md5.ts: a shim until every import is rewritten.
export * from "../hashes/md5.js";
