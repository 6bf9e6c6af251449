/**
 * What the send path must know about the runtime it is in, decided once at
 * load. Browsers differ from servers in two ways that matter to authflow
 * (measured in test/runtimes):
 * - a 401 carrying a Basic or Digest challenge to a request sent with
 *   credentials ("same-origin" or "include") opens the browser's own login
 *   prompt, and the fetch never settles headless: such requests go with
 *   `credentials: "omit"`;
 * - `redirect: "manual"` gives an opaque redirect (status 0, no Location), so
 *   authflow cannot follow redirects itself: the browser follows them, under
 *   its own rules (it drops `Authorization` across origins).
 */

/** True in a browser page or worker (Node, Deno, Bun and workerd are not). */
export const inBrowser: boolean = /* @__PURE__ */ (() => {
  const host = globalThis as { document?: unknown; navigator?: { userAgent?: unknown }; Deno?: unknown };
  if (host.Deno !== undefined || typeof (globalThis as { Bun?: unknown }).Bun !== "undefined") return false;
  if (typeof host.document === "object" && host.document !== null) return true;
  const agent = host.navigator?.userAgent;
  return typeof agent === "string" && agent.startsWith("Mozilla/");
})();

/** The `redirect` mode a request of authflow's goes out with: `manual`, except where the browser must follow. */
export function transportRedirect(followRedirects: boolean): RequestRedirect {
  return inBrowser && followRedirects ? "follow" : "manual";
}
