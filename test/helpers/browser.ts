/**
 * Debian's chromium driven by playwright-core for the e2e tests (never a downloaded browser):
 * one launch, a 1280 px page on the web UI, and the wait for its first full load.
 */
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const WAIT = { timeout: 10_000 };

/**
 * Opens the UI at `base` (http://host:port) once it has drawn the device (body[data-ready]).
 * `beforeLoad` runs on the new page before it loads the UI, e.g. to add an init script.
 * `waitReady: false` returns once the page has loaded, for a page that draws no device (a login
 * form is what it shows while accounts are on and it has no session).
 */
export async function openUi(base: string, beforeLoad?: (page: Page) => Promise<unknown>, { waitReady = true } = {}): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await beforeLoad?.(page);
    await page.goto(`${base}/`);
    if (waitReady) await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, WAIT);
    return { browser, page };
  } catch (e) {
    await browser.close(); // the caller never gets it to close
    throw e;
  }
}

/**
 * Brings the panel `<section id={id}>` on screen the way a user would: the UI's navigation follows
 * the location hash (`#id`), and with every panel on one page the hash scrolls to it.
 */
export async function showPanel(page: Page, id: string): Promise<void> {
  await page.evaluate((hash) => {
    location.hash = hash;
  }, id);
  await page.locator(`section#${id}`).waitFor({ state: 'visible', ...WAIT });
}
