/**
 * Distinguished names for RFC 8705 §2.1.2 `tls_client_auth_subject_dn`:
 * the registration is an RFC 4514 string (`CN=mtls-client,O=authflow`,
 * most specific first); a certificate's subject comes from Node's
 * `X509Certificate.subject` (one RDN a line, in certificate order, RFC 2253
 * escapes). Both are read into the same list of (type, value) pairs and
 * compared attribute by attribute. Multi-valued RDNs and `#`-hex values are
 * not supported: a name using them never matches.
 */

/** One attribute of a name: its type, upper-cased short name (`CN`, `O`, …), and its unescaped value. */
export type NameAttribute = readonly [type: string, value: string];

/** RFC 4514 §3 / RFC 4519: the numeric forms of the common attribute types. */
const SHORT_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.5": "SERIALNUMBER",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "STREET",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "0.9.2342.19200300.100.1.1": "UID",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "EMAILADDRESS",
};

/**
 * Reads an RFC 4514 distinguished name into its attributes, in RFC 4514
 * order (most specific first); undefined when it is not one this module
 * supports (empty, unterminated escapes, multi-valued or `#`-hex values).
 *
 * @example
 * ```ts
 * parseDistinguishedName("CN=mtls-client,O=authflow"); // [["CN", "mtls-client"], ["O", "authflow"]]
 * parseDistinguishedName("CN=a\\,b"); // [["CN", "a,b"]]
 * ```
 */
export function parseDistinguishedName(text: string): NameAttribute[] | undefined {
  return parseRdns(text, ",");
}

/**
 * Reads Node's `X509Certificate.subject` (one RDN a line, certificate order)
 * into attributes in RFC 4514 order, so it compares with
 * {@link parseDistinguishedName}'s.
 *
 * @example
 * ```ts
 * parseCertificateSubject("O=authflow\nCN=mtls-client"); // [["CN", "mtls-client"], ["O", "authflow"]]
 * ```
 */
export function parseCertificateSubject(subject: string): NameAttribute[] | undefined {
  return parseRdns(subject, "\n")?.reverse();
}

/**
 * RFC 4517 distinguishedNameMatch for the string attributes of certificate
 * subjects: the same attributes in the same order, types equal, values equal
 * ignoring case and insignificant spaces (caseIgnoreMatch, RFC 4518 §2.6.1).
 *
 * @example
 * ```ts
 * sameName(parseDistinguishedName("cn=Mtls-Client"), parseCertificateSubject("CN=mtls-client")); // true
 * ```
 */
export function sameName(
  left: readonly NameAttribute[] | undefined,
  right: readonly NameAttribute[] | undefined,
): boolean {
  if (left === undefined || right === undefined || left.length !== right.length) return false;
  return left.every(([type, value], index) => {
    const [otherType, otherValue] = right[index] as NameAttribute;
    return type === otherType && foldValue(value) === foldValue(otherValue);
  });
}

/**
 * The `-subj` argument of `openssl req` for a name (certificate order, `/`-separated, `\`-escaped).
 *
 * @example
 * ```ts
 * opensslSubject([["CN", "mtls-client"], ["O", "authflow"]]); // "/O=authflow/CN=mtls-client"
 * ```
 */
export function opensslSubject(attributes: readonly NameAttribute[]): string {
  return [...attributes]
    .reverse()
    .map(([type, value]) => `/${type}=${value.replace(/[/+\\=]/g, (character) => `\\${character}`)}`)
    .join("");
}

function foldValue(value: string): string {
  return value.normalize("NFKC").trim().replace(/ +/g, " ").toLowerCase();
}

function parseRdns(text: string, separator: "," | "\n"): NameAttribute[] | undefined {
  if (typeof text !== "string" || text.trim() === "") return undefined;
  const attributes: NameAttribute[] = [];
  let index = 0;
  while (index <= text.length) {
    const parsed = parseAttribute(text, index, separator);
    if (parsed === undefined) return undefined;
    attributes.push(parsed.attribute);
    if (parsed.end >= text.length) return attributes;
    index = parsed.end + 1;
  }
  return attributes;
}

/** One `type=value` from `start` up to the next unescaped `separator` (or the end). */
function parseAttribute(
  text: string,
  start: number,
  separator: string,
): { attribute: NameAttribute; end: number } | undefined {
  const equals = text.indexOf("=", start);
  if (equals < 0) return undefined;
  const type = attributeType(text.slice(start, equals));
  if (type === undefined || text[equals + 1] === "#") return undefined;
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  let index = equals + 1;
  while (index < text.length && text[index] !== separator) {
    const character = String.fromCodePoint(text.codePointAt(index) as number);
    if (character === "+") return undefined; // a multi-valued RDN
    if (character !== "\\") {
      bytes.push(...encoder.encode(character));
      index += character.length;
      continue;
    }
    const pair = text.slice(index + 1, index + 3);
    if (/^[0-9a-fA-F]{2}$/.test(pair)) {
      bytes.push(Number.parseInt(pair, 16));
      index += 3;
    } else if (index + 1 < text.length) {
      const escaped = String.fromCodePoint(text.codePointAt(index + 1) as number);
      bytes.push(...encoder.encode(escaped));
      index += 1 + escaped.length;
    } else {
      return undefined;
    }
  }
  let value: string;
  try {
    value = new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
  return { attribute: [type, value], end: index };
}

function attributeType(raw: string): string | undefined {
  const type = raw.trim();
  if (/^\d+(\.\d+)+$/.test(type)) return SHORT_NAMES[type] ?? type;
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(type)) return undefined;
  return type.toUpperCase();
}
