/**
 * The Lua scripts of the refresh lock. Each names its keys in KEYS — the lock
 * and the token it guards, which share a hash slot (`{…}`), so each runs on
 * one node of a Redis Cluster — and does its whole step in one round trip.
 */

/** The value and remaining milliseconds of a key in one round trip (PTTL -2: gone, -1: no expiry). */
export const READ = "return { redis.call('get', KEYS[1]), redis.call('pttl', KEYS[1]) }";

/**
 * SET NX PX, or else how long the current holder still has: -3 when taken;
 * the key's PTTL otherwise (-2 when it vanished in between, -1 with no expiry).
 */
export const ACQUIRE = `if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return -3 end
return redis.call('pttl', KEYS[1])`;

/**
 * Compare-and-lock (issue 13.2): KEYS = lock, token; ARGV = lock value, TTL,
 * the SHA-1 of the token value the caller has ('' for none), '1' to take the
 * lock or '0' to look only. The lock is taken only while the token is still
 * the one the caller has: a caller whose work another holder did gets the new
 * value back instead. Replies: {0, value, pttl} the token changed; {1} taken;
 * {2, lock pttl} held by another (or, looking only, -2: free).
 */
export const CLAIM = `local current = redis.call('get', KEYS[2])
local digest = ''
if current then digest = redis.sha1hex(current) end
if digest ~= ARGV[3] then return { 0, current, redis.call('pttl', KEYS[2]) } end
if ARGV[4] == '1' and redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return { 1 } end
return { 2, redis.call('pttl', KEYS[1]) }`;

/** {@link CLAIM}'s first element. */
export const CLAIM_CHANGED = 0;
export const CLAIM_TAKEN = 1;
export const CLAIM_HELD = 2;

/**
 * Compare-and-delete: only the holder's own value releases the lock. KEYS =
 * lock, token; ARGV = value, channel. The release is announced with the token
 * as it now is (see {@link releaseNotice}), so waiters need not read it.
 * PUBLISH from a script reaches every node's subscribers in a cluster.
 */
export const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('del', KEYS[1])
  local token = redis.call('get', KEYS[2]) or ''
  redis.call('publish', ARGV[2], string.len(KEYS[1]) .. ':' .. KEYS[1] .. token)
  return 1
end
return 0`;

/** Compare-and-extend: a holder whose lock lapsed and was taken must not extend the new holder's. */
export const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0`;

/**
 * What a release notice of lock `name` starts with: `<length of name in
 * bytes>:<name>` (Lua counts bytes); the token value it left follows ('' for
 * none). Older versions published the bare name: a notice without a value.
 *
 * @example
 * ```ts
 * noticeHeader("authflow:lock:{3f0c…}"); // "85:authflow:lock:{3f0c…}"
 * ```
 */
export function noticeHeader(name: string): string {
  return `${Buffer.byteLength(name)}:${name}`;
}
