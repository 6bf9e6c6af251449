import { createHash } from "node:crypto";
import { redirectTarget, requestOrigin } from "./hosts.js";
import type { RouteContext, RouteFamily, ServerContext } from "./router.js";
import { sendEmpty, sendJson } from "./router.js";

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** httpbin's `/anything`: echoes the request back, plus the body's sha256. */
function anything(context: RouteContext): void {
  const { request, url, body } = context;
  const contentType = request.headers["content-type"] ?? "";
  const text = body.toString("utf8");
  let json: unknown = null;
  if (contentType.includes("json")) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  const form = contentType.startsWith("application/x-www-form-urlencoded")
    ? Object.fromEntries(new URLSearchParams(text))
    : {};
  const headers: Record<string, string> = {};
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index] as string;
    const value = request.rawHeaders[index + 1] as string;
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  sendJson(context.response, 200, {
    args: Object.fromEntries(url.searchParams),
    data: form && Object.keys(form).length > 0 ? "" : text,
    form,
    headers,
    json,
    method: request.method,
    origin: request.socket.remoteAddress,
    url: url.href,
    bodyLength: body.length,
    bodySha256: createHash("sha256").update(body).digest("hex"),
  });
}

/**
 * httpbin's `/redirect-to?url=&status_code=`: to a path on this server, a
 * loopback host or the host the request was sent to — unless the server was
 * started with `openRedirects: true`, any URL, as httpbin does. A test server
 * reachable from a network is then not an open redirect for phishing links.
 */
function redirectTo(context: RouteContext, openRedirects: boolean): void {
  const { url, response, request } = context;
  const target = url.searchParams.get("url");
  if (target === null) {
    sendJson(response, 400, { error: "missing url" });
    return;
  }
  const location = openRedirects
    ? target
    : redirectTarget(target, requestOrigin(request.headers.host) ?? context.origin);
  if (location === undefined) {
    sendJson(response, 403, {
      error:
        "redirect-to sends only to this server or a loopback host; start the server with openRedirects: true for any target",
    });
    return;
  }
  const code = Number(url.searchParams.get("status_code") ?? 302);
  const status = REDIRECT_STATUSES.has(code) || (code >= 300 && code < 400) ? code : 302;
  sendEmpty(response, status, { location });
}

/**
 * httpbin's `/redirect-to?url=&status_code=`, `/status/:code` (one code, or
 * several comma-separated to pick from at random) and `/anything[/…]`, which
 * reads bodies up to `limits.bodyBytes` (the other routes discard them).
 */
export function httpbinRoutes({ options, limits }: ServerContext): RouteFamily {
  const openRedirects = options.openRedirects === true;
  return {
    routes: [
      { name: "redirect-to", path: "/redirect-to", handle: (context) => redirectTo(context, openRedirects) },
      {
        name: "status",
        path: "/status/:code",
        handle({ params, response }) {
          const choices = (params.code ?? "").split(",").map(Number);
          const status = choices[Math.floor(Math.random() * choices.length)] ?? Number.NaN;
          if (!Number.isInteger(status) || status < 100 || status > 599) {
            sendJson(response, 400, { error: "invalid status code" });
            return;
          }
          const headers: Record<string, string> = {};
          if (status === 401) headers["www-authenticate"] = 'Basic realm="Fake Realm"';
          if (status >= 300 && status < 400) headers.location = "/redirect/1";
          sendEmpty(response, status, headers);
        },
      },
      { name: "anything", path: "/anything", bodyLimit: limits.bodyBytes, handle: anything },
      { name: "anything", path: "/anything/*", bodyLimit: limits.bodyBytes, handle: anything },
    ],
  };
}
