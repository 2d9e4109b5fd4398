import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.HELIOS_CHROMIUM ?? '/usr/bin/chromium';

/** Null when Debian's chromium is there; else what to install (the suites fail saying so). */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing: apt-get install -y chromium (the web UI suites drive Debian's chromium with playwright-core; no browser is downloaded)`;
}

/**
 * Headless Debian chromium through playwright-core. Playwright gives each launch a fresh temporary
 * profile (its own --user-data-dir) and removes it on close; nothing is fetched from the network.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Repository root (tests run from dist/test/ui). */
const ROOT = join(new URL('.', import.meta.url).pathname, '../../../..');
export const SCREENSHOT_DIR = process.env.HELIOS_SCREENSHOT_DIR ?? join(ROOT, 'test-screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: false });
}

/** Every page error and CSP violation the page reports (XSS and CSP tests assert there are none / some). */
export function watchPage(page: Page): { errors: string[]; csp: string[] } {
  const seen = { errors: [] as string[], csp: [] as string[] };
  page.on('pageerror', (e) => seen.errors.push(e.message));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) seen.csp.push(m.text());
  });
  return seen;
}
