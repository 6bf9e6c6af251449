/**
 * Test-only serialiser for challenges (RFC 9110 §11), with the white-space and
 * empty-list-element freedoms of the grammar chosen by the caller, so property
 * tests can check that whatever is serialised parses back the same.
 */
export interface GeneratedChallenge {
  scheme: string;
  params: [name: string, value: string][];
  token68?: string;
}

export interface Layout {
  /** Spaces or tabs around "=" (BWS). */
  bws: string;
  /** White space and extra commas between list elements (OWS, empty elements). */
  separator: string;
  /** Quote values even when they are tokens. */
  alwaysQuote: boolean;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function quoteValue(value: string): string {
  let escaped = "";
  for (const char of value) escaped += char === '"' || char === "\\" ? `\\${char}` : char;
  return `"${escaped}"`;
}

export function serializeParam(name: string, value: string, layout: Layout): string {
  const rendered = !layout.alwaysQuote && TOKEN.test(value) ? value : quoteValue(value);
  return `${name}${layout.bws}=${layout.bws}${rendered}`;
}

export function serializeChallenge(challenge: GeneratedChallenge, layout: Layout): string {
  if (challenge.token68 !== undefined) return `${challenge.scheme} ${challenge.token68}`;
  if (challenge.params.length === 0) return challenge.scheme;
  const params = challenge.params.map(([name, value]) => serializeParam(name, value, layout));
  return `${challenge.scheme} ${params.join(layout.separator)}`;
}

export function serializeChallenges(challenges: readonly GeneratedChallenge[], layout: Layout): string {
  return challenges.map((challenge) => serializeChallenge(challenge, layout)).join(layout.separator);
}
