// The spellings of a secret the CLI promises to keep out of what it prints, written here
// independently of src/cli/secret-forms.ts so the tests check it rather than restate it.

const formEncode = (value: string) => new URLSearchParams([["", value]]).toString().slice(1);
const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const base64url = (text: string) => Buffer.from(text, "utf8").toString("base64url");
const lowerHex = (text: string) => text.replace(/%[0-9A-F]{2}/g, (percent) => percent.toLowerCase());

/** Every spelling the CLI promises to keep out of what it prints (written here independently of src/). */
export function spellings(username: string, secret: string): string[] {
  const pair = `${username}:${secret}`;
  const formPair = `${formEncode(username)}:${formEncode(secret)}`;
  return [
    secret,
    encodeURIComponent(secret),
    lowerHex(encodeURIComponent(secret)),
    encodeURIComponent(secret).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    encodeURIComponent(encodeURIComponent(secret)),
    formEncode(secret),
    lowerHex(formEncode(secret)),
    base64(secret),
    base64(secret).replace(/=+$/, ""),
    base64url(secret),
    base64(pair),
    base64url(pair),
    base64(formPair),
    base64url(formPair),
  ];
}
