import { decodeBasic } from "./basic-header.js";
import type { RouteContext, RouteFamily, ServerContext } from "./router.js";
import { sendEmpty, sendJson } from "./router.js";

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
