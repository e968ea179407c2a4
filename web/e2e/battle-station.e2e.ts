// A coach's morning, in Chromium against the real api and the seeded database: log in,
// find a flagged client, open them, read the charts, acknowledge a flag, edit a target,
// send a message and watch the delivery appear, move a trigger of their schedule and put
// it back, pause, archive and reactivate them; then the flags inbox, the schedule and
// the system page. Every page is screenshotted at laptop width, the key ones at phone.
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LAPTOP, PHONE, coachContext, launch, screenshot } from './browser';

const baseUrl = inject('baseUrl');
const clients = inject('clients');

/** Waits on the page, not a fixed sleep: up to 10 s for what the api and React do. */
const poll = <T>(probe: () => Promise<T> | T) => expect.poll(probe, { timeout: 10_000, interval: 100 });

/** Markup a client or coach might type: it must come back as text, never run. */
const MARKUP = 'Great week! <img src=x onerror="window.__xss=1"> <b>keep going</b>';

async function pixelsPainted(canvases: Locator): Promise<number[]> {
  return canvases.evaluateAll((elements) =>
    elements.map((element) => {
      const canvas = element as HTMLCanvasElement;
      const context = canvas.getContext('2d');
      if (!context || canvas.width === 0) return 0;
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      let painted = 0;
      for (let alpha = 3; alpha < data.length; alpha += 4) if (data[alpha]) painted += 1;
      return painted;
    }),
  );
}

describe('Battle Station in Chromium', () => {
  let browser: Browser;
  let coach: BrowserContext;
  let page: Page;
  let clientPath = '';

  beforeAll(async () => {
    browser = await launch();
    coach = await coachContext(browser, baseUrl);
    page = await coach.newPage();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('sends a visitor without a session to the login page, then back', async () => {
    const anonymous = await browser.newContext({ baseURL: baseUrl, viewport: LAPTOP });
    const visitor = await anonymous.newPage();
    await visitor.goto('/flags');
    await visitor.waitForURL('**/login?next=%2Fflags');
    const login = visitor.getByRole('link', { name: 'Log in with Discord' });
    expect(await login.getAttribute('href')).toBe('/api/auth/login');
    expect(await screenshot(visitor, 'login')).toEqual([]);
    await anonymous.close();
  });

  it('shows the whole roster and finds a client with a high flag', async () => {
    await page.goto('/');
    await poll(() => page.getByTestId('roster-row').count()).toBe(50);
    await poll(() => page.getByText(`${clients.toLocaleString('en-GB')} clients`).count()).toBe(1);
    expect(await screenshot(page, 'roster')).toEqual([]);
    // The keyboard's first stop skips the navigation.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');

    await page.getByRole('checkbox', { name: 'High' }).check();
    await page.waitForURL('**/?severity=high');
    const withoutHigh = page.locator('[data-testid=roster-row]:not(:has(.chip.high))');
    await poll(() => withoutHigh.count()).toBe(0);
    const first = page.getByTestId('roster-row').first().getByRole('link');
    const name = await first.textContent();
    await first.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL('**/clients/*');
    clientPath = new URL(page.url()).pathname;
    await poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain(name);
  });

  it('draws the client’s charts', async () => {
    const charts = page.getByTestId('chart');
    await poll(() => charts.count()).toBe(4);
    // Every chart draws, or says there was nothing to draw.
    await poll(async () => (await page.locator('.chart-canvas').count()) > 0 && (await pixelsPainted(page.locator('.chart-canvas canvas'))).every((n) => n > 0))
      .toBe(true);
    expect(await screenshot(page, 'client')).toEqual([]);
  });

  it('acknowledges one of the client’s flags', async () => {
    const open = page.getByTestId('flag').filter({ has: page.getByRole('button', { name: 'Acknowledge' }) }).first();
    const title = await open.getByRole('heading').textContent();
    await open.getByRole('button', { name: 'Acknowledge' }).click();
    const acknowledged = page.getByTestId('flag').filter({ hasText: title ?? '' }).first();
    await poll(() => acknowledged.getByText('Acknowledged', { exact: true }).count()).toBe(1);
  });

  it('refuses a bad target, then saves a good one', async () => {
    const calories = page.getByLabel('Calories (kcal)');
    await calories.fill('lots');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await poll(() => page.getByText('A whole number, please.').count()).toBe(1);
    expect(await calories.getAttribute('aria-invalid')).toBe('true');

    await calories.fill('2345');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await poll(() => page.getByText('Saved.').count()).toBe(1);
    await page.reload();
    await poll(() => page.getByLabel('Calories (kcal)').inputValue()).toBe('2345');
  });

  it('sends a message and shows its delivery, markup as text', async () => {
    await page.getByLabel('Message (sent as a Discord DM)').fill(MARKUP);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const delivery = page.getByTestId('delivery').filter({ hasText: MARKUP }).first();
    await poll(() => delivery.count()).toBe(1);
    expect(await delivery.getByText('Queued').count()).toBe(1);
    expect(await page.locator('[data-testid=delivery] img, [data-testid=delivery] b').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
  });

  it('moves the check-in prompt on the client’s clock, then puts it back', async () => {
    const schedule = page.getByRole('region', { name: 'Schedule' });
    const row = schedule.getByRole('row', { name: /^Morning prompt/ });
    await poll(() => row.count()).toBe(1);
    await schedule.getByRole('button', { name: 'Edit Morning prompt' }).click();
    const time = schedule.getByLabel('Morning prompt time (client’s clock)');
    // Checked before sending: the format, then the answer deadline from the LST.
    await time.fill('7.05');
    await schedule.getByRole('button', { name: 'Save' }).click();
    await poll(() => schedule.getByText('A time on the 24-hour clock, as HH:MM (e.g. 07:30).').count()).toBe(1);
    await time.fill('12:30');
    await schedule.getByRole('button', { name: 'Save' }).click();
    await poll(() => schedule.getByText('Before 12:00, when answers close.').count()).toBe(1);
    expect(await screenshot(page, 'client-schedule-edit')).toEqual([]);

    await time.fill('6:45');
    await schedule.getByRole('button', { name: 'Save' }).click();
    await poll(() => schedule.getByText('Morning prompt now at 06:45 on the client’s clock.').count()).toBe(1);
    await poll(() => row.getByText('Custom').count()).toBe(1);
    // The api's next fire, on the client's clock, follows the new time.
    await poll(() => row.locator('time').textContent()).toMatch(/, 06:45/);
    await page.reload();
    await poll(() => row.getByText('Custom').count()).toBe(1);

    await schedule.getByRole('button', { name: 'Reset Morning prompt to its default' }).click();
    await poll(() => schedule.getByText('Morning prompt is back to its default, 07:30.').count()).toBe(1);
    await poll(() => row.getByText('Custom').count()).toBe(0);
    await poll(() => row.locator('time').textContent()).toMatch(/, 07:30/);
  });

  it('pauses the client, asks before archiving them, and reactivates them', async () => {
    const status = page.getByRole('region', { name: 'Coaching status' });
    const send = page.getByRole('button', { name: 'Send', exact: true });
    await status.getByRole('button', { name: 'Pause' }).click();
    const said = status.getByRole('status');
    await poll(() => said.textContent()).toMatch(/^Paused: .+ gets no DMs until you reactivate them\.$/);
    await poll(() => send.isDisabled()).toBe(true);
    await poll(() => page.getByText(/this client is paused/).count()).toBe(1);
    expect(await screenshot(page, 'client-paused')).toEqual([]);

    await status.getByRole('button', { name: 'Archive…' }).click();
    const confirm = status.getByRole('group', { name: /^Archive .+\?/ });
    await confirm.getByRole('button', { name: /^Archive / }).click();
    await poll(() => said.textContent()).toMatch(/^Archived .+\.$/);
    await page.reload();
    await poll(() => status.getByText(/Coaching has ended/).count()).toBe(1);

    await status.getByRole('button', { name: 'Reactivate' }).click();
    await poll(() => said.textContent()).toMatch(/^Reactivated: .+ schedule resumes from now\.$/);
    await poll(() => send.isEnabled()).toBe(true);
    await poll(() => page.getByText(/this client is (paused|archived)/).count()).toBe(0);
  });

  it('lays the client page out for a phone', async () => {
    const phone = await coachContext(browser, baseUrl, PHONE);
    const small = await phone.newPage();
    await small.goto(clientPath);
    await poll(() => small.getByTestId('chart').count()).toBe(4);
    // Nothing wider than the screen: no sideways scrolling.
    expect(await small.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    expect(await screenshot(small, 'client-phone')).toEqual([]);
    await small.goto('/');
    await poll(() => small.getByTestId('roster-row').count()).toBe(50);
    expect(await small.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    expect(await screenshot(small, 'roster-phone')).toEqual([]);
    await phone.close();
  });

  it('resolves a flag with a note in the inbox', async () => {
    await page.goto('/flags');
    const high = page.getByRole('region', { name: 'High severity' });
    const card = high.getByTestId('flag').first();
    await poll(() => card.count()).toBe(1);
    const count = Number(await high.locator('.panel-head .badge').textContent());
    await card.getByRole('button', { name: 'Resolve…' }).click();
    await card.getByRole('button', { name: 'Resolve', exact: true }).click();
    await poll(() => card.getByText('Say what was done, for the record.').count()).toBe(1);
    await card.getByLabel('Resolution note').fill('Called them; <script>alert(1)</script> sorted.');
    await card.getByRole('button', { name: 'Resolve', exact: true }).click();
    await poll(() => high.locator('.panel-head .badge').textContent()).toBe(String(count - 1));
    expect(await screenshot(page, 'flags')).toEqual([]);
  });

  it('shows every engine’s triggers and what fires next', async () => {
    await page.goto('/schedule');
    await poll(() => page.getByRole('heading', { name: /^Engine: / }).count()).toBeGreaterThan(0);
    const upcoming = page.getByRole('region', { name: 'Coming up' }).locator('tbody tr');
    await poll(() => upcoming.count()).toBe(25);
    expect(await screenshot(page, 'schedule')).toEqual([]);
  });

  it('shows heartbeats and streams, and replays a dead letter', async () => {
    await page.goto('/system');
    const services = page.getByRole('region', { name: 'Services' });
    await poll(() => services.getByRole('row', { name: /api Alive/ }).count()).toBe(1);
    const letter = page.getByTestId('dead-letter').first();
    await poll(() => letter.count()).toBe(1);
    await letter.locator('summary').click();
    // The poisoned message's markup is shown as text.
    expect(await letter.locator('pre').textContent()).toContain('<img src=x');
    expect(await letter.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(LAPTOP.width);
    expect(await screenshot(page, 'system')).toEqual([]);
    await letter.getByRole('button', { name: 'Replay' }).click();
    await poll(() => page.getByText(/^Replayed .* back on .*events/).count()).toBe(1);
  });

  it('logs out', async () => {
    await page.goto('/');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    await page.goto('/system');
    await page.waitForURL('**/login?next=%2Fsystem');
  });
});
