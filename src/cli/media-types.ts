/** Media types by file name extension, for bodies and uploads read from files, and back for downloads. */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  json: "application/json",
  jsonld: "application/ld+json",
  geojson: "application/geo+json",
  xml: "application/xml",
  txt: "text/plain",
  text: "text/plain",
  csv: "text/csv",
  tsv: "text/tab-separated-values",
  html: "text/html",
  htm: "text/html",
  css: "text/css",
  js: "text/javascript",
  mjs: "text/javascript",
  md: "text/markdown",
  yaml: "application/yaml",
  yml: "application/yaml",
  toml: "application/toml",
  form: "application/x-www-form-urlencoded",
  pdf: "application/pdf",
  zip: "application/zip",
  gz: "application/gzip",
  tgz: "application/gzip",
  tar: "application/x-tar",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
  ico: "image/vnd.microsoft.icon",
  mp3: "audio/mpeg",
  wav: "audio/wav",
  mp4: "video/mp4",
  webm: "video/webm",
  wasm: "application/wasm",
  bin: "application/octet-stream",
  jwt: "application/jwt",
  pem: "application/x-pem-file",
};

/**
 * The media type for a file name, by its extension; undefined when unknown.
 *
 * @example
 * ```ts
 * mediaTypeOf("data/body.json"); // "application/json"
 * ```
 */
export function mediaTypeOf(path: string): string | undefined {
  const base = path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return undefined;
  return BY_EXTENSION[base.slice(dot + 1).toLowerCase()];
}

/**
 * The usual extension for a media type (parameters ignored); undefined when unknown.
 *
 * @example
 * ```ts
 * extensionOf("application/json; charset=utf-8"); // "json"
 * ```
 */
export function extensionOf(contentType: string | null): string | undefined {
  if (contentType === null) return undefined;
  const type = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  if (type === "text/plain") return "txt";
  if (type === "text/html") return "html";
  if (type === "image/jpeg") return "jpg";
  if (type === "application/yaml") return "yaml";
  if (type === "application/gzip") return "gz";
  for (const [extension, candidate] of Object.entries(BY_EXTENSION)) if (candidate === type) return extension;
  return undefined;
}
