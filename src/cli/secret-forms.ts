/**
 * Every spelling of a secret that could reach what the CLI prints: the
 * secret itself, percent-encoded (as `encodeURIComponent`, a form, a URL path
 * or query would write it, upper- or lower-case hex), base64 and base64url
 * (whole, and the part that stays the same whatever bytes come before it
 * inside a longer base64 text, such as a Basic header's `user:pass`), and as
 * shown escaped on a terminal or in JSON.
 */
import { escapeControl } from "./safe-text.js";

/** One spelling to replace: `anywhere`, or only where it stands as a word of its own. */
export interface SecretForm {
  readonly text: string;
  /** Base64 runs have no word boundaries: their spellings are replaced wherever they appear. */
  readonly encoded: boolean;
}

/**
 * The spellings of `secret` worth looking for (see the module comment).
 *
 * @example
 * ```ts
 * secretForms("p@ss word").map((form) => form.text); // includes "p%40ss%20word", "p%40ss+word", "cEBzcyB3b3Jk"…
 * ```
 */
export function secretForms(secret: string): SecretForm[] {
  const texts = new Set([secret, escapeControl(secret), JSON.stringify(secret).slice(1, -1)]);
  for (const form of percentForms(secret)) {
    texts.add(form);
    texts.add(form.replace(/%[0-9A-F]{2}/g, (percent) => percent.toLowerCase()));
  }
  const forms: SecretForm[] = [...texts].map((text) => ({ text, encoded: false }));
  for (const text of base64Forms(new TextEncoder().encode(secret))) forms.push({ text, encoded: true });
  return forms;
}

/**
 * The base64 spellings of a `user:secret` pair as Basic sends it (RFC 7617),
 * and as `client_secret_basic` does, form-encoding both first (RFC 6749 §2.3.1).
 *
 * @example
 * ```ts
 * pairForms("u", "p@ss").map((form) => form.text); // includes "dTpwQHNz" and "dTpwJTQwc3M="
 * ```
 */
export function pairForms(username: string, secret: string): SecretForm[] {
  const pairs = new Set([`${username}:${secret}`, `${formEncode(username)}:${formEncode(secret)}`]);
  return [...pairs].flatMap((pair) => {
    const base64 = Buffer.from(pair, "utf8").toString("base64");
    return [base64, base64.replace(/=+$/, ""), Buffer.from(pair, "utf8").toString("base64url")].map((text) => ({
      text,
      encoded: true,
    }));
  });
}

function formEncode(value: string): string {
  return new URLSearchParams([["", value]]).toString().slice(1);
}

/**
 * `encodeURIComponent`, RFC 3986's strict set (`!'()*` too), a form's
 * encoding, the same encoded twice (a URL inside a parameter), and what the
 * URL parser writes in a path and in a query.
 */
function percentForms(secret: string): string[] {
  const component = encodeURIComponent(secret);
  const strict = component.replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
  const forms = [
    component,
    strict,
    formEncode(secret),
    encodeURIComponent(component),
    encodeURIComponent(formEncode(secret)),
  ];
  try {
    forms.push(new URL(`http://h/${secret}`).pathname.slice(1), new URL(`http://h/?${secret}`).search.slice(1));
  } catch {
    // A secret the URL parser refuses cannot be in a printed URL either.
  }
  return forms;
}

// Shorter base64 runs would match by chance; 6 characters are 36 bits of the secret.
const SHORTEST_BASE64 = 6;

/**
 * Base64 and base64url of `bytes`, whole, and the runs that spell `bytes`
 * at each of the three alignments a longer base64 text can put them in.
 */
function base64Forms(bytes: Uint8Array): string[] {
  const forms = new Set<string>();
  for (let offset = 0; offset < 3; offset++) {
    const padded = new Uint8Array(offset + bytes.length);
    padded.set(bytes, offset);
    const standard = Buffer.from(padded).toString("base64");
    if (offset === 0) forms.add(standard).add(standard.replace(/=+$/, ""));
    // Character i holds bits 6i…6i+5: only those wholly inside the secret's bits are fixed.
    const start = Math.ceil((8 * offset) / 6);
    const end = Math.floor((8 * (offset + bytes.length)) / 6);
    const core = standard.slice(start, end);
    if (core.length >= SHORTEST_BASE64) forms.add(core);
  }
  for (const form of [...forms]) forms.add(form.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""));
  return [...forms];
}

/** PEM lines shorter than this (a key's last line, `Fw==`) would match by chance. */
const SHORTEST_KEY_LINE = 16;
/** The members of a private JWK that are secret (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k"];

/**
 * The texts of a private key file that must never be printed: the file's
 * text, its PEM body joined and line by line (a message may quote either),
 * or a JWK's private members.
 *
 * @example
 * ```ts
 * scrubber.add(privateKeySecrets(readFileSync("client.key", "utf8")));
 * ```
 */
export function privateKeySecrets(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) return jwkSecrets(trimmed);
  const body = trimmed
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("-----") && !/^[\w-]+:/.test(line));
  return [trimmed, body.join(""), ...body.filter((line) => line.length >= SHORTEST_KEY_LINE)];
}

function jwkSecrets(text: string): string[] {
  try {
    const key = JSON.parse(text) as Record<string, unknown>;
    return PRIVATE_JWK_MEMBERS.flatMap((member) => {
      const value = key[member];
      return typeof value === "string" ? [value] : [];
    });
  } catch {
    return [text];
  }
}
