/**
 * The bad-credential guard's memory: one entry per (origin, credential
 * identity), shared by every guard of the process — the same credentials
 * from any client share one count. Bounded in entries, and so in bytes (a
 * key is an origin and an identity of 24 characters, a realm is cut to
 * {@link REALM_CHARACTERS}): ~3.3 MB at most, in two pools:
 *
 * - ordinary: entries with no failure (verified, or first contact), first in
 *   first out — forgetting one costs one serialised request, never safety;
 * - protected: entries with failures, kept while their cool-down runs and one
 *   cool-down's length after it (or after a failure short of the limit).
 *   Unrelated traffic, succeeding or failing, cannot push them out: when the
 *   pool is full of held entries a new failure stays in the ordinary pool.
 */

/** Entries without failures kept (about 300 bytes each, measured: ~0.6 MB). */
export const ORDINARY_ENTRIES = 2_048;
/** Entries with failures kept (about 330 bytes each, measured: ~2.7 MB). Powers of two fill a Map's table. */
export const PROTECTED_ENTRIES = 8_192;
/** The longest realm kept for the message. */
export const REALM_CHARACTERS = 100;
/** How many busy entries eviction steps over before it lets the pool run over. */
const BUSY_SKIPS = 8;

/** The guard's state for one credential identity at one origin. */
export interface GuardState {
  readonly key: string;
  failures: number;
  blockedUntil: number;
  /** Until when eviction keeps this entry (entries with failures). */
  holdUntil: number;
  /** The realm of the last challenge, for the message (cut, control characters replaced). */
  realm: string | undefined;
  /** A request with these credentials succeeded here, and none failed since: attempts run in parallel. */
  verified: boolean;
  /** While not verified, one attempt at a time holds the slot (LOOP-02). */
  slotTaken: boolean;
  /** Numbers of the attempts waiting for the slot, first come first served (none: undefined). */
  line: number[] | undefined;
  /** The last number handed to a waiter. */
  issued: number;
  /** Waiters numbered up to this go ahead without the slot (an attempt ended without an answer). */
  releasedThrough: number;
  /** In the protected pool. */
  protected: boolean;
  /** Forgotten by the store: whoever still holds it looks the key up again. */
  evicted: boolean;
}

const ordinary = new Map<string, GuardState>();
const held = new Map<string, GuardState>();

function busy(state: GuardState): boolean {
  return state.slotTaken || state.line !== undefined;
}

/** The entry for `key`, if the store has it. */
export function peekState(key: string): GuardState | undefined {
  return ordinary.get(key) ?? held.get(key);
}

/** The entry for `key`, made (in the ordinary pool) if missing. */
export function stateFor(key: string): GuardState {
  const known = ordinary.get(key) ?? held.get(key);
  if (known !== undefined) return known;
  const state: GuardState = {
    key,
    failures: 0,
    blockedUntil: 0,
    holdUntil: 0,
    realm: undefined,
    verified: false,
    slotTaken: false,
    line: undefined,
    issued: 0,
    releasedThrough: 0,
    protected: false,
    evicted: false,
  };
  makeRoom();
  ordinary.set(key, state);
  return state;
}

/** Oldest first; an entry with an attempt in flight or waiting is stepped over (a few times at most). */
function makeRoom(): void {
  let skips = 0;
  while (ordinary.size >= ORDINARY_ENTRIES) {
    const oldest = ordinary.values().next().value as GuardState;
    ordinary.delete(oldest.key);
    if (busy(oldest) && skips++ < BUSY_SKIPS) {
      ordinary.set(oldest.key, oldest);
      continue;
    }
    oldest.evicted = true;
  }
}

/**
 * After a failure: the entry moves to (or to the young end of) the protected
 * pool. When that pool is full, its oldest entry goes if no longer held;
 * otherwise the new failure is kept on a best-effort basis in the ordinary pool.
 */
export function failed(state: GuardState, now: number): void {
  if (state.protected) {
    held.delete(state.key);
    held.set(state.key, state);
    return;
  }
  if (held.size >= PROTECTED_ENTRIES) {
    const oldest = held.values().next().value as GuardState;
    if (oldest.holdUntil > now || busy(oldest)) {
      ordinary.delete(state.key);
      ordinary.set(state.key, state);
      return;
    }
    held.delete(oldest.key);
    oldest.evicted = true;
  }
  ordinary.delete(state.key);
  state.protected = true;
  held.set(state.key, state);
}

/** After a success: back to the ordinary pool. */
export function succeeded(state: GuardState): void {
  if (!state.protected) return;
  held.delete(state.key);
  state.protected = false;
  makeRoom();
  ordinary.set(state.key, state);
}

/** Hands the slot back after an attempt without an answer; the attempts waiting then go ahead together. */
export function releaseSlot(state: GuardState, ticket: boolean): void {
  if (!ticket) return;
  state.slotTaken = false;
  state.releasedThrough = state.issued;
}

/** Entry counts, for tests and the memory table. */
export function storeSize(): { ordinary: number; protected: number } {
  return { ordinary: ordinary.size, protected: held.size };
}

/** `realm` as the message shows it: at most {@link REALM_CHARACTERS}, control characters as `?` (the server chose it). */
export function displayRealm(realm: string | undefined): string | undefined {
  if (realm === undefined) return undefined;
  let shown = "";
  for (const character of realm.slice(0, REALM_CHARACTERS)) {
    const code = character.codePointAt(0) as number;
    shown += code < 0x20 || (code >= 0x7f && code < 0xa0) ? "?" : character;
  }
  return realm.length > REALM_CHARACTERS ? `${shown}…` : shown;
}
