// The replay viewer end to end, in Debian's Chromium: a recording made by the real `umwelt run --record` loads in
// <umwelt-replay> (replay.html?replay=URL); it has the recorded number of steps; scrubbing to a step with the
// keyboard or by setting the range input highlights that step's recorded thought and draws the agent where the
// recorded state has it; playing runs to the last step; random bytes (from a URL, or chosen with the file input)
// show a readable error, and the element still opens a good file afterwards; no console errors.
// Chromium comes from `npm test`'s pretest (scripts/ensure-chromium.sh); missing and not installable, this is skipped.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionMessage } from '../../record/format.ts';
import { TOPICS } from '../../record/format.ts';
import { Recording } from '../../record/recording.ts';
import { umwelt } from '../cli/run-cli.ts';
import { chromiumAvailable, launchChromium } from '../fixtures/chromium.ts';
import { type AppServer, collectErrors, serveApp } from './app-server.ts';

const available = chromiumAvailable('e2e replay');
const LOAD_MS = 60_000;

interface Expected {
  steps: number;
  thoughts: Map<number, string>;
  /** The robot's recorded position after each step 0..steps (its last state at or before the step's end). */
  robot: [number, number, number][];
}

async function expectedOf(path: string): Promise<Expected> {
  const recording = await Recording.fromBytes(new Uint8Array(readFileSync(path)), path);
  try {
    const thoughts = new Map<number, string>();
    for await (const { message } of recording.messages<DecisionMessage>(TOPICS.decision)) if (!thoughts.has(message.step)) thoughts.set(message.step, message.thought);
    const robot: [number, number, number][] = [];
    for (const state of await recording.states()) {
      const pose = state.poses.find((p) => p.id === 'robot');
      if (pose === undefined) throw new Error(`state of step ${state.step} has no robot`);
      robot[state.step] = pose.position;
    }
    for (let k = 1; k <= recording.steps; k++) robot[k] ??= robot[k - 1]!;
    return { steps: recording.steps, thoughts, robot };
  } finally {
    await recording.close();
  }
}

async function openPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = collectErrors(page);
  return { page, errors };
}

const host = (page: Page, name: string): Promise<string | null> => page.locator('umwelt-replay').getAttribute(`data-${name}`);

async function waitForStatus(page: Page, status: string): Promise<void> {
  await page.waitForFunction((s) => ['ready', 'error'].includes(document.querySelector('umwelt-replay')?.getAttribute('data-status') ?? '') && document.querySelector('umwelt-replay')?.getAttribute('data-status') === s, status, { timeout: LOAD_MS });
}

/** Waits until the 3D view draws the agent at `position` (float32 frames: within 1e-4). */
async function waitForDrawnAgent(page: Page, position: [number, number, number]): Promise<void> {
  await page.waitForFunction(
    (p) => {
      const drawn = (document.querySelector('umwelt-replay') as unknown as { drawnAgentPosition(): number[] | null }).drawnAgentPosition();
      return drawn !== null && drawn.every((v, i) => Math.abs(v - p[i]!) < 1e-4);
    },
    position,
    { timeout: 10_000 },
  );
}

async function selectedThought(page: Page): Promise<string | null> {
  return page.locator('umwelt-replay umwelt-thought-log li[data-selected] .thought').textContent({ timeout: 5_000 });
}

describe.skipIf(!available)('the replay viewer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'umwelt-replay-e2e-'));
  const recordingPath = join(dir, 'goto.mcap');
  const badPath = join(dir, 'bad.mcap');
  const badBytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (Math.imul(i + 1, 2654435761) >>> 24) & 0xff));
  let expected: Expected;
  let server: AppServer;
  let browser: Browser;

  beforeAll(async () => {
    const run = await umwelt('run', '--family', 'goto', '--seed', '1000000', '--record', recordingPath, '-q');
    expect(run.code, run.stderr).toBe(0);
    expected = await expectedOf(recordingPath);
    expect(expected.steps).toBeGreaterThanOrEqual(2);
    writeFileSync(badPath, badBytes);
    server = await serveApp({ extraFiles: { 'recordings/goto.mcap': recordingPath, 'recordings/bad.mcap': badPath } });
    browser = await launchChromium({ webgpu: true });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads a recording from ?replay=URL, scrubs to steps and shows their recorded thought and pose, and plays', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${server.url}?replay=recordings/goto.mcap`);
    await waitForStatus(page, 'ready');
    expect(await host(page, 'steps')).toBe(String(expected.steps));
    expect(await host(page, 'step')).toBe('0');
    await waitForDrawnAgent(page, expected.robot[0]!);
    const log = page.locator('umwelt-replay umwelt-thought-log li');
    expect(await log.count()).toBe(expected.steps);

    // The keyboard: focus the scrubber and step right.
    const scrubber = page.getByRole('slider', { name: 'Step' });
    await scrubber.focus();
    const k = Math.min(2, expected.steps);
    for (let i = 0; i < k; i++) await page.keyboard.press('ArrowRight');
    expect(await host(page, 'step')).toBe(String(k));
    expect(await selectedThought(page)).toBe(expected.thoughts.get(k));
    await waitForDrawnAgent(page, expected.robot[k]!);
    await expect.poll(() => page.locator('umwelt-replay [data-step-label]').textContent()).toBe(`step ${k} of ${expected.steps}`);

    // Setting the range input: the last step.
    await scrubber.fill(String(expected.steps));
    expect(await host(page, 'step')).toBe(String(expected.steps));
    expect(await selectedThought(page)).toBe(expected.thoughts.get(expected.steps));
    await waitForDrawnAgent(page, expected.robot[expected.steps]!);
    const robot = (await host(page, 'robot'))?.split(' ').map(Number);
    expect(robot?.every((v, i) => Math.abs(v - expected.robot[expected.steps]![i]!) < 1e-4)).toBe(true);

    // Home, then play at 16x to the end.
    await scrubber.press('Home');
    expect(await host(page, 'step')).toBe('0');
    await page.getByRole('combobox', { name: 'Speed' }).selectOption('16');
    await page.locator('umwelt-replay [data-play]').click();
    await page.waitForFunction((n) => document.querySelector('umwelt-replay')?.getAttribute('data-step') === String(n), expected.steps, { timeout: 60_000 });
    await waitForDrawnAgent(page, expected.robot[expected.steps]!);
    await expect.poll(() => page.locator('umwelt-replay [data-play]').textContent()).toBe('Play');
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('shows a readable error for a file that is not a recording, and still opens a good one', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${server.url}replay.html?replay=recordings/bad.mcap`);
    await waitForStatus(page, 'error');
    const alert = page.locator('umwelt-replay [role=alert]');
    expect(await alert.textContent()).toMatch(/Cannot replay bad\.mcap: .*not an MCAP file/);
    expect(await host(page, 'steps')).toBe('0');

    // The file input: random bytes, then the real recording.
    const input = page.locator('umwelt-replay input[type=file]');
    await input.setInputFiles({ name: 'noise.mcap', mimeType: 'application/octet-stream', buffer: badBytes });
    await waitForStatus(page, 'error');
    expect(await alert.textContent()).toMatch(/Cannot replay noise\.mcap: .*not an MCAP file/);
    await input.setInputFiles({ name: 'goto.mcap', mimeType: 'application/octet-stream', buffer: readFileSync(recordingPath) });
    await waitForStatus(page, 'ready');
    expect(await host(page, 'steps')).toBe(String(expected.steps));
    expect(await page.locator('umwelt-replay [role=alert]').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
