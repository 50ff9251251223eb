// Recording in the browser app end to end, in Debian's Chromium (SwiftShader's WebGL): `?planner=oracle&speed=max&
// record=1` runs an oracle episode with the recorder in the world worker and the agent's camera in the page; the
// "Download recording" link gives an MCAP file that the real reader (Node) opens whole: its steps are the page's,
// with their actions; it has camera frames of all three kinds, one after reset and one after every step, PNGs of
// 160x120 (decoded by the page itself) whose RGB is not blank, whose depth is not flat and whose segmentation shows
// several entities; the episode's result is the page's. "Open in replay" opens the same bytes in the replay viewer.
// No console errors. Chromium comes from `npm test`'s pretest (scripts/ensure-chromium.sh); missing and not
// installable, this is skipped.
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAMERA_KINDS, CAMERA_TOPICS, TOPICS, type DecisionMessage } from '../../record/format.ts';
import { Recording } from '../../record/recording.ts';
import { chromiumAvailable, launchChromium } from '../fixtures/chromium.ts';
import { type AppServer, collectErrors, pngStats, serveApp, waitForApp } from './app-server.ts';

const available = chromiumAvailable('e2e record');
const EPISODE_MS = 150_000;

describe.skipIf(!available)('recording in the browser app', () => {
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

  it('records an oracle episode with the agent camera; the download reads back with the real reader', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${server.url}?planner=oracle&speed=max&record=1`);
    // The Record box reflects the URL.
    expect(await page.locator('umwelt-picker input[name="record"]').isChecked()).toBe(true);
    const done = await waitForApp(page, (s) => s.status === 'done' || s.status === 'error', EPISODE_MS);
    expect(done.status).toBe('done');
    expect(done.outcome).toBe('Success');
    expect(done.steps.length).toBeGreaterThanOrEqual(1);

    const link = page.locator('umwelt-app [data-download]');
    expect(await link.textContent()).toBe('Download recording');
    expect(await link.getAttribute('download')).toBe('umwelt-goto-1000000.mcap');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('umwelt-goto-1000000.mcap');
    const bytes = new Uint8Array(readFileSync(await download.path()));

    const recording = await Recording.fromBytes(bytes, download.suggestedFilename());
    try {
      expect(recording.complete).toBe(true);
      expect(recording.problem).toBeNull();
      // Its steps are the page's, with the same actions; its result is the page's.
      expect(recording.steps).toBe(done.steps.length);
      const actions: string[] = [];
      for await (const { message } of recording.messages<DecisionMessage>(TOPICS.decision)) actions.push(message.action ?? '');
      expect(actions).toEqual(done.steps.map((s) => s.action));
      expect((await recording.result())?.success).toBe(true);
      expect(recording.metadata.planner.name).toBe('oracle');
      expect(recording.metadata.family).toBe('goto');
      expect(recording.metadata.seed).toBe(1_000_000);

      const n = recording.steps + 1;
      const info = recording.info();
      for (const kind of CAMERA_KINDS) {
        expect(info.channels).toContainEqual({ topic: CAMERA_TOPICS[kind], schema: 'foxglove.CompressedImage', messages: n });
      }
      for (const kind of CAMERA_KINDS) {
        const frames = await recording.cameraFrames(kind);
        expect(frames.map((f) => f.step), kind).toEqual(Array.from({ length: n }, (_, k) => k));
        for (const f of frames) {
          expect([f.format, f.width, f.height, f.frameId]).toEqual(['png', 160, 120, 'camera']);
          const stats = pngStats(f.data);
          expect([stats.width, stats.height]).toEqual([160, 120]);
          if (kind === 'rgb') expect(stats.variance, `rgb of step ${f.step}`).toBeGreaterThan(20);
          if (kind === 'depth') expect(stats.colors, `depth of step ${f.step}`).toBeGreaterThan(8);
          if (kind === 'segmentation') expect(stats.colors, `segmentation of step ${f.step}`).toBeGreaterThanOrEqual(2);
        }
      }
      // The agent moved: its first and last RGB views differ.
      const rgb = await recording.cameraFrames('rgb');
      expect(Buffer.from(rgb[0]!.data).equals(Buffer.from(rgb.at(-1)!.data))).toBe(false);
    } finally {
      await recording.close();
    }

    // "Open in replay" opens the same recording in the replay viewer (a new tab of this page's origin).
    const replayLink = page.locator('umwelt-app [data-open-replay]');
    expect(await replayLink.getAttribute('href')).toMatch(/^\.\/replay\.html\?replay=blob%3A/);
    const [replay] = await Promise.all([context.waitForEvent('page'), replayLink.click()]);
    await replay.waitForFunction(() => ['ready', 'error'].includes(document.querySelector('umwelt-replay')?.getAttribute('data-status') ?? ''), null, { timeout: 60_000 });
    expect(await replay.locator('umwelt-replay').getAttribute('data-status')).toBe('ready');
    expect(await replay.locator('umwelt-replay').getAttribute('data-steps')).toBe(String(done.steps.length));

    expect(errors).toEqual([]);
    await context.close();
  }, EPISODE_MS * 2);
});
