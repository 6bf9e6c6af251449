import { createRequire } from "node:module";
import { startFront } from "./front.js";
import type { Outcome, RunContext } from "./runners.js";

/** What the driver needs of playwright-core (typed here: the package is only installed with the runtimes). */
interface Playwright {
  chromium: {
    launch(options: { executablePath: string; args: string[]; headless: boolean }): Promise<Browser>;
  };
}
interface Browser {
  version(): string;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
interface Page {
  on(event: "console" | "pageerror", listener: (message: { text?(): string; message?: string }) => void): void;
  goto(url: string): Promise<unknown>;
  waitForFunction(body: string, argument: undefined, options: { timeout: number }): Promise<unknown>;
  evaluate<T>(body: string): Promise<T>;
  close(): Promise<void>;
}

/** Debian's Chromium; the flags keep it off the network (this machine has none) and headless. */
export const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** playwright-core from test/runtimes/node_modules, or undefined when the runtimes are not installed. */
export function loadPlaywright(): Playwright | undefined {
  try {
    return createRequire(import.meta.url)("playwright-core") as Playwright;
  } catch {
    return undefined;
  }
}

/** A launched Chromium, for several pages. */
export async function launchChromium(playwright: Playwright): Promise<Browser> {
  return playwright.chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

/** Opens `url` (the scenario page) and waits for `window.scenarioResults`. */
export async function runPage(browser: Browser, url: string, timeoutMs: number): Promise<unknown> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message ?? String(error)));
  try {
    await page.goto(url);
    await page.waitForFunction("window.scenarioResults !== undefined", undefined, { timeout: timeoutMs });
    return await page.evaluate("window.scenarioResults");
  } catch (error) {
    throw new Error(`${String(error)}${errors.length > 0 ? `; page errors: ${errors.join("; ")}` : ""}`);
  } finally {
    await page.close();
  }
}

/**
 * Same origin: one front server serves the page and forwards every other
 * path to the test server. Cross-origin: the page comes from one front, the
 * API from another that adds CORS (what the server's CORS option should do).
 */
export async function runBrowser(context: RunContext, crossOrigin: boolean): Promise<Outcome> {
  const pageDirectory = context.scratch;
  const playwright = loadPlaywright();
  if (playwright === undefined) throw new Error("playwright-core is not installed");
  const pageFront = await startFront({ pageDirectory, ...(crossOrigin ? {} : { proxyTo: context.serverURL }) });
  const apiFront = crossOrigin
    ? await startFront({ pageDirectory, proxyTo: context.serverURL, corsFor: pageFront.url })
    : pageFront;
  const browser = await launchChromium(playwright);
  try {
    const query = new URLSearchParams({ api: apiFront.url, closed: context.closedURL });
    const outcome = (await runPage(browser, `${pageFront.url}/__page/page.html?${query}`, 80_000)) as Outcome;
    return { ...outcome, version: browser.version() };
  } finally {
    await browser.close();
    if (apiFront !== pageFront) await apiFront.close();
    await pageFront.close();
  }
}
