// A real browser for tests that check what a person sees on a page: Debian's Chromium, headless,
// driven over the DevTools protocol by puppeteer-core (which brings no browser of its own). A
// machine without it skips those tests with the reason; .ci/run installs it where it can.
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const chromiumPath = '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can. */
export function chromiumMissing(): string | undefined {
  return existsSync(chromiumPath) ? undefined : `Chromium is not installed at ${chromiumPath} (Debian: apt-get install chromium)`;
}

/** Skips the calling suite (from a before hook) with a one-line reason when there is no Chromium. */
export function skipWithoutChromium(context: Mocha.Context): void {
  const reason = chromiumMissing();
  if (reason) {
    process.stdout.write(`      skipped: ${reason}\n`);
    context.skip();
  }
}

/**
 * Starts headless Chromium. --no-sandbox: tests run as root, where Chromium's sandbox refuses
 * to start. Close it with browser.close().
 */
export function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--headless=new'] });
}

/**
 * A new tab at `url`, once the page has loaded and, when `selector` is given, something on it
 * matches. Fails on an HTTP error status, as a person would see an error page.
 */
export async function openPage(browser: Browser, url: string, selector?: string, timeoutMs = 30_000): Promise<Page> {
  const page = await browser.newPage();
  try {
    const response = await page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
    if (!response?.ok()) throw new Error(`GET ${url} answered ${response?.status() ?? 'nothing'}: ${(await response?.text()) ?? ''}`);
    if (selector !== undefined) await page.waitForSelector(selector, { timeout: timeoutMs });
    return page;
  } catch (error) {
    await page.close();
    throw error;
  }
}

/**
 * The text content of every element matching `selector`, as the page holds it now. The script
 * runs in the page and is passed as text: the project's types have no DOM to check it against.
 */
export async function textsOf(page: Page, selector: string): Promise<string[]> {
  const texts: unknown = await page.evaluate(`[...document.querySelectorAll(${JSON.stringify(selector)})].map((element) => element.textContent ?? '')`);
  if (!Array.isArray(texts) || !texts.every((text) => typeof text === 'string')) throw new Error(`the page answered ${JSON.stringify(texts)} for the texts of ${selector}`);
  return texts;
}
