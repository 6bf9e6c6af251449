/**
 * `NO_PROXY` (and `ProxyOptions.noProxy`) with curl's rules: a comma list
 * of host names, domains, IP addresses and CIDR blocks, optionally with a
 * port; `*` alone means every host. Pure: no I/O, property-tested.
 *
 * - `example.com` and `.example.com` both match `example.com` and every
 *   name under it (`api.example.com`), never `badexample.com`;
 * - `192.168.0.10`, `::1`, `[::1]` match that address; `10.0.0.0/8` and
 *   `fd00::/8` match the block (curl 7.86);
 * - `host:8080` matches that host on port 8080 only (as Go's proxy rules);
 * - names compare without case and without a trailing dot.
 */

/** One parsed `NO_PROXY` entry. */
type Entry =
  | { readonly kind: "any" }
  | { readonly kind: "name"; readonly name: string; readonly port: number | undefined }
  | {
      readonly kind: "address";
      readonly bits: bigint;
      readonly width: 32 | 128;
      readonly prefix: number;
      readonly port: number | undefined;
    };

/**
 * A compiled `NO_PROXY` list.
 *
 * @example
 * ```ts
 * const list = new NoProxy(["internal.example", "10.0.0.0/8", "localhost:8080"]);
 * list.matches("api.internal.example", 443); // true
 * list.matches("10.1.2.3", 80); // true
 * ```
 */
export class NoProxy {
  readonly #entries: readonly Entry[];

  /** `entries`: a list, or one comma- (and space-) separated string as the environment gives it. */
  constructor(entries: string | readonly string[]) {
    const list =
      typeof entries === "string" ? entries.split(/[,\s]+/) : entries.flatMap((entry) => entry.split(/[,\s]+/));
    this.#entries = list.map(parseEntry).filter((entry): entry is Entry => entry !== undefined);
  }

  /** True when the list has no entries (every host goes through the proxy). */
  get empty(): boolean {
    return this.#entries.length === 0;
  }

  /**
   * True when a request to `hostname` (as `URL.hostname` gives it: IPv6 in
   * brackets) on `port` goes direct.
   */
  matches(hostname: string, port: number): boolean {
    if (this.#entries.length === 0) return false;
    const host = normaliseName(unbracket(hostname));
    const address = parseAddress(host);
    for (const entry of this.#entries) {
      if (entry.kind === "any") return true;
      if (entry.port !== undefined && entry.port !== port) continue;
      if (entry.kind === "name" ? nameMatches(entry.name, host) : address !== undefined && inBlock(entry, address)) {
        return true;
      }
    }
    return false;
  }
}

function parseEntry(raw: string): Entry | undefined {
  const text = raw.trim().toLowerCase();
  if (text === "") return undefined;
  if (text === "*") return { kind: "any" };
  const { host, port } = splitPort(text);
  if (port === null) return undefined;
  const slash = host.indexOf("/");
  const bare = unbracket(slash < 0 ? host : host.slice(0, slash));
  const address = parseAddress(bare);
  if (address !== undefined) {
    const prefix = slash < 0 ? address.width : Number(host.slice(slash + 1));
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > address.width || host.slice(slash + 1) === "")
      return undefined;
    return { kind: "address", ...address, prefix, port };
  }
  if (slash >= 0) return undefined;
  const name = normaliseName(bare.replace(/^\.+/, "").replace(/^\*\./, ""));
  return name === "" ? undefined : { kind: "name", name, port };
}

/** `host:port`, `[v6]:port`, or a bare host; port null when it is not a port number. */
function splitPort(text: string): { host: string; port: number | undefined | null } {
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return { host: text, port: null };
    const rest = text.slice(close + 1);
    if (rest === "" || rest.startsWith("/")) return { host: text, port: undefined };
    return { host: text.slice(0, close + 1), port: rest.startsWith(":") ? portOf(rest.slice(1)) : null };
  }
  const colon = text.lastIndexOf(":");
  // More than one colon: an IPv6 address (or block) without brackets, which has no port.
  if (colon < 0 || text.indexOf(":") !== colon) return { host: text, port: undefined };
  return { host: text.slice(0, colon), port: portOf(text.slice(colon + 1)) };
}

function portOf(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port <= 65_535 ? port : null;
}

function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function normaliseName(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

/** curl: the host itself, or a name under it (a dot before the match), never a mere suffix. */
function nameMatches(pattern: string, host: string): boolean {
  if (host === pattern) return true;
  return host.length > pattern.length && host.endsWith(pattern) && host[host.length - pattern.length - 1] === ".";
}

function inBlock(entry: Extract<Entry, { kind: "address" }>, address: { bits: bigint; width: 32 | 128 }): boolean {
  if (entry.width !== address.width) return false;
  const shift = BigInt(entry.width - entry.prefix);
  return entry.bits >> shift === address.bits >> shift;
}

/** An IPv4 dotted quad or an IPv6 address (`::` shorthand, an embedded IPv4 tail) as bits; undefined otherwise. */
export function parseAddress(text: string): { bits: bigint; width: 32 | 128 } | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { bits: v4, width: 32 };
  if (!text.includes(":")) return undefined;
  const v6 = parseIPv6(text);
  return v6 === undefined ? undefined : { bits: v6, width: 128 };
}

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let bits = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    bits = (bits << 8n) | BigInt(Number(part));
  }
  return bits;
}

function parseIPv6(text: string): bigint | undefined {
  const zone = text.indexOf("%");
  const address = zone < 0 ? text : text.slice(0, zone);
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string) => (half === "" ? [] : half.split(":"));
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  const last = tail.length > 0 ? tail : head;
  const v4 = last.length > 0 ? parseIPv4(last[last.length - 1] as string) : undefined;
  if (v4 !== undefined)
    last.splice(last.length - 1, 1, ((v4 >> 16n) & 0xffffn).toString(16), (v4 & 0xffffn).toString(16));
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
  let bits = 0n;
  for (const group of [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail]) {
    if (!/^[0-9a-f]{1,4}$/.test(group)) return undefined;
    bits = (bits << 16n) | BigInt(Number.parseInt(group, 16));
  }
  return bits;
}
