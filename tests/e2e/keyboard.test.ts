// A person plays the agent in the browser app (the keyboard planner), in Debian's Chromium: the page waits for a
// typed action; a line that is not an action reaches the loop as an invalid action (a failed step in the log, the
// episode goes on); a real action runs; done() ends the episode. The world worker asks the page through the same
// port a planner worker answers on. Chromium comes from `npm test`'s pretest; missing and not installable, skipped.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../fixtures/chromium.ts';
import { type AppServer, collectErrors, readApp, serveApp, waitForApp } from './app-server.ts';

const available = chromiumAvailable('e2e keyboard');

describe.skipIf(!available)('the keyboard planner', () => {
  let server: AppServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await serveApp();
    browser = await launchChromium({ webgpu: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Types a line into the keyboard planner's field once it waits for one. */
  async function act(page: Page, line: string): Promise<void> {
    const input = page.locator('umwelt-keyboard').getByLabel('Your action');
    await expect.poll(() => input.isEnabled(), { timeout: 30_000 }).toBe(true);
    await input.fill(line);
    await input.press('Enter');
  }

  it('waits for typed actions, reports a bad line as a failed step, and ends on done()', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = collectErrors(page);
    await page.goto(`${server.url}?planner=keyboard&family=open&seed=1000000&memory=off&speed=max`);
    await waitForApp(page, (s) => s.status === 'running', 60_000);
    // Nothing happens until the person acts.
    await page.waitForTimeout(500);
    expect((await readApp(page)).steps).toEqual([]);

    await act(page, 'fly(away)');
    const bad = await waitForApp(page, (s) => s.steps.length === 1 && s.steps[0]!.outcome !== '', 30_000);
    expect(bad.steps[0]!.action).toBe('(no action)');
    expect(bad.steps[0]!.outcome).toMatch(/invalid_action/);

    // A landmark the agent knows from the floor plan: the input's suggestions list them.
    const landmark = await page.locator('umwelt-keyboard datalist option').first().getAttribute('value');
    expect(landmark).toMatch(/^goto\([a-z_]+_\d+\)$/);
    await act(page, landmark!);
    const moved = await waitForApp(page, (s) => s.steps.length === 2 && s.steps[1]!.outcome !== '', 30_000);
    expect(moved.steps[1]!.action).toBe(landmark);
    expect(moved.steps[1]!.thought).toBe('typed by a person');

    await act(page, 'done()');
    const done = await waitForApp(page, (s) => s.status === 'done', 30_000);
    expect(done.steps.map((s) => s.action)).toEqual(['(no action)', landmark, 'done()']);
    expect(done.outcome).toMatch(/^(Success|Failed)/);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);
});
