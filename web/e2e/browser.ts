// Debian's Chromium driven by playwright-core (Playwright's own browser downloads are
// not available here), and what every e2e file needs around it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const SCREENSHOTS = join(HERE, 'screenshots');
const RESULTS = join(HERE, 'results.json');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export const LAPTOP = { width: 1366, height: 900 };
export const PHONE = { width: 390, height: 844 };

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A browser context holding a coach session from the api's dev login. */
export async function coachContext(browser: Browser, baseURL: string, viewport = LAPTOP): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL, viewport });
  // Through the page's own origin and proxy, so the cookie lands where the app runs.
  const response = await context.request.post('/api/auth/dev-login', { data: {} });
  if (!response.ok()) throw new Error(`dev login failed: ${response.status()} ${await response.text()}`);
  return context;
}

/** Saves e2e/screenshots/<name>.png, after checking the page against WCAG 2 A and AA
 * with axe-core (contrast, labels, names, landmarks): one line per problem, none wanted. */
export async function screenshot(page: Page, name: string): Promise<string[]> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<AxeResults> } }).axe;
    const results = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] });
    return results.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} — ${n.failureSummary}`));
  });
}

interface AxeResults {
  violations: { id: string; nodes: { target: string[]; failureSummary: string }[] }[];
}

/** Merge figures into e2e/results.json (what docs/benchmarks.md quotes). */
export function record(section: string, figures: Record<string, unknown>): void {
  const all = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown>) : {};
  all[section] = { ...figures, measured_at: new Date().toISOString() };
  writeFileSync(RESULTS, `${JSON.stringify(all, null, 2)}\n`);
}
