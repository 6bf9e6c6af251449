/** `Authorization: Basic …` decoded as UTF-8 (RFC 7617), or null. */
export function decodeBasic(header: string | undefined): { username: string; password: string } | null {
  if (header === undefined) return null;
  const match = /^basic[ ]+([A-Za-z0-9+/=]+)[ ]*$/i.exec(header);
  if (match === null) return null;
  const decoded = Buffer.from(match[1] as string, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
