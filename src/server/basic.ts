import type { RouteContext, RouteFamily, ServerContext } from "./router.js";
import { sendEmpty, sendJson } from "./router.js";

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

function checkBasic(context: RouteContext): boolean {
  const credentials = decodeBasic(context.request.headers.authorization);
  return (
    credentials !== null &&
    credentials.username === context.params.user &&
    credentials.password === context.params.passwd
  );
}

/**
 * httpbin's `/basic-auth/:user/:passwd`, `/hidden-basic-auth/:user/:passwd`
 * and `/bearer`, with the same status codes and JSON bodies.
 */
export function basicRoutes({ stats }: ServerContext): RouteFamily {
  return {
    routes: [
      {
        name: "basic-auth",
        path: "/basic-auth/:user/:passwd",
        handle(context) {
          if (checkBasic(context)) {
            sendJson(context.response, 200, { authenticated: true, user: context.params.user });
            return;
          }
          stats.challenges += 1;
          sendEmpty(context.response, 401, { "www-authenticate": 'Basic realm="Fake Realm"' });
        },
      },
      {
        name: "hidden-basic-auth",
        path: "/hidden-basic-auth/:user/:passwd",
        handle(context) {
          if (checkBasic(context)) {
            sendJson(context.response, 200, { authenticated: true, user: context.params.user });
            return;
          }
          sendJson(context.response, 404, { error: "not found" });
        },
      },
      {
        name: "bearer",
        path: "/bearer",
        handle(context) {
          const match = /^bearer[ ]+(\S+)[ ]*$/i.exec(context.request.headers.authorization ?? "");
          if (match !== null) {
            sendJson(context.response, 200, { authenticated: true, token: match[1] });
            return;
          }
          stats.challenges += 1;
          sendEmpty(context.response, 401, { "www-authenticate": "Bearer" });
        },
      },
    ],
  };
}
