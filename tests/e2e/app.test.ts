// The browser app end to end, in Debian's Chromium (headless, --enable-unsafe-webgpu: SwiftShader's WebGPU
// adapter and WebGL on a machine without a GPU), on the app as `npm start` builds it.
//   - The default page runs an episode of the default scene with the shipped language-model planner, to success,
//     showing the thoughts; no console errors; no main-thread task over 50 ms while the episode runs; the 3D view
//     is drawn in the render worker, and a screenshot taken while it runs is saved (test-results/e2e/) and is not
//     blank; a drag and a wheel on the view (forwarded to the worker's orbit camera) change the drawing; the memory
//     panel shows what the agent wrote and recalled; a reload keeps the memories (IndexedDB) and the clear button
//     empties them.
//   - With ?engine=webgpu the planner runs in its worker on the WebGPU engine (the page says which adapter).
//   - In a browser that cannot hand a canvas to a worker (transferControlToOffscreen removed), the view is drawn on
//     the page, the page says so, and a recorded episode still gets its camera images.
//   - When the render worker cannot draw (?workerwebgl=0: its canvas genuinely gives it no WebGL context), the page
//     draws on a fresh canvas instead, says why, warns once, and the default episode still succeeds; so it does when
//     the worker's script fails to load (served as a 404).
// Chromium comes from `npm test`'s pretest (scripts/ensure-chromium.sh); missing and not installable, this is skipped.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../fixtures/chromium.ts';
import { type AppServer, collectErrors, longTasks, pngStats, readApp, serveApp, waitForApp, watchLongTasks } from './app-server.ts';

const available = chromiumAvailable('e2e app');
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-results', 'e2e');
const EPISODE_MS = 150_000;

/** A page that records console errors and uncaught exceptions. */
async function openPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = collectErrors(page);
  await watchLongTasks(page);
  return { page, errors };
}

describe.skipIf(!available)('the browser app', () => {
  let server: AppServer;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await serveApp();
    browser = await launchChromium({ webgpu: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  // Two retries, for a machine busier than the page: the view is drawn in the render worker, so the page's thread
  // has only lit updates, input and the latency chart. The screenshot taken while the episode runs is analysed in
  // Node (pngStats): analysed in the page, that million-pixel loop was itself a 54-121 ms task on the page's thread
  // at the first step, in every run. Without it, 4 runs of 4 had no task over 50 ms while running, 2 on an idle
  // machine and 2 with a training run on both cores (nice 10, load 4.7). With a job holding both cores at a raised
  // priority no run passes (3-9 tasks of up to 1 s per run in the worker, 34-47 of up to 2 s with the view drawn on
  // the page): the page is starved then. Three in a row on a machine with a core to spare would be a real
  // regression; the 50 ms bar itself stays.
  it('runs the default episode with the language model to success, smoothly', { retry: 2, timeout: EPISODE_MS * 3 }, async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(server.url);
    const running = await waitForApp(page, (s) => s.status === 'running' && s.steps.length >= 1, EPISODE_MS);
    expect(running.instruction).toMatch(/\w+/);
    const shot = await page.screenshot();
    writeFileSync(join(ARTIFACTS, 'episode-running.png'), shot);
    const { variance } = pngStats(shot);
    // A blank page, or a canvas that drew nothing, is one colour: variance ~0. The drawn house is far above 100.
    expect(variance).toBeGreaterThan(100);

    const done = await waitForApp(page, (s) => s.status === 'done' || s.status === 'error', EPISODE_MS);
    expect(done.status).toBe('done');
    expect(done.outcome).toBe('Success');
    expect(done.steps.length).toBeGreaterThanOrEqual(1);
    for (const step of done.steps) {
      expect(step.thought.length).toBeGreaterThan(0);
      expect(step.action).toMatch(/^[a-z]+\(/);
    }
    expect(done.engineLine).toMatch(/language model .* in a worker on/);
    expect(done.drawing).toBe('worker');
    expect(done.viewLine).toMatch(/^View: drawn in a worker/);
    const tasks = await longTasks(page);
    const during = tasks.filter((t) => t.status === 'running' || t.status === 'paused');
    // The measured durations, for comparing runs on a busy machine (the bar below is the test).
    const longest = (list: { duration: number }[]): string => (list.length === 0 ? 'none' : `${Math.round(Math.max(...list.map((t) => t.duration)))} ms`);
    console.log(`long tasks: ${during.length} while running (longest ${longest(during)}), ${tasks.length - during.length} while loading or after (longest ${longest(tasks.filter((t) => !during.includes(t)))})${during.length > 0 ? `: ${JSON.stringify(during)}` : ''}`);
    expect(during, JSON.stringify(during)).toEqual([]);
    // The orbit camera, in the render worker, answers the page's mouse: a drag and a wheel change the drawing.
    const viewport = page.locator('umwelt-viewport');
    const before = Buffer.from(await viewport.screenshot());
    const box = await viewport.boundingBox();
    if (box === null) throw new Error('the viewport has no box');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 150, box.y + box.height / 2 + 40, { steps: 8 });
    await page.mouse.up();
    await page.mouse.wheel(0, 400);
    await expect.poll(async () => Buffer.from(await viewport.screenshot()).equals(before), { timeout: 10_000 }).toBe(false);
    // The agent wrote memories (what it saw where); they are stored.
    expect(done.memory.written.length).toBeGreaterThan(0);
    expect(done.memory.written.some((t) => /\(\w+_\d+\)/.test(t)), done.memory.written.join('\n')).toBe(true);
    const stored = await waitForApp(page, (s) => s.memory.stored > 0, 10_000);

    // A reload keeps them (IndexedDB); the clear button empties the store, and that survives a reload too.
    await page.goto(`${server.url}?autostart=0`);
    const reloaded = await waitForApp(page, (s) => s.memory.stored > 0, 20_000);
    expect(reloaded.memory.stored).toBe(stored.memory.stored);
    // The next episode recalls what the first wrote (a decision recalls earlier episodes: the current one is in
    // the prompt already).
    await page.goto(`${server.url}?speed=max`);
    const second = await waitForApp(page, (s) => s.status === 'done' || s.status === 'error', EPISODE_MS);
    expect(second.status).toBe('done');
    expect(second.memory.recalled.length).toBeGreaterThan(0);
    await page.locator('umwelt-memory').getByRole('button', { name: 'Clear memories' }).click();
    await waitForApp(page, (s) => s.memory.stored === 0, 10_000);
    await page.reload();
    await page.waitForTimeout(1500);
    expect((await readApp(page)).memory.stored).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('runs the planner in its worker on the WebGPU engine when asked (SwiftShader here)', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${server.url}?engine=webgpu&speed=max`);
    const done = await waitForApp(page, (s) => s.status === 'done' || s.status === 'error', EPISODE_MS);
    expect(done.status).toBe('done');
    expect(done.engine).toBe('webgpu');
    expect(done.engineLine).toMatch(/on WebGPU \(.*swiftshader.*\)/i);
    expect(done.outcome).toBe('Success');
    expect(errors).toEqual([]);
    const state = await readApp(page);
    expect(state.steps.length).toBe(done.steps.length);
    await page.close();
  }, EPISODE_MS * 2);

  it('draws on the page where a canvas cannot be handed to a worker, says so, and still records camera images', async () => {
    const { page, errors } = await openPage(browser);
    const warnings: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'warning') warnings.push(m.text());
    });
    await page.addInitScript(() => Reflect.deleteProperty(HTMLCanvasElement.prototype, 'transferControlToOffscreen'));
    await page.goto(`${server.url}?planner=oracle&speed=max&memory=off&record=1`);
    const done = await waitForApp(page, (s) => s.status === 'done' || s.status === 'error', EPISODE_MS);
    expect(done.status).toBe('done');
    expect(done.outcome).toBe('Success');
    expect(done.drawing).toBe('page');
    expect(done.viewLine).toMatch(/^View: drawn on this page.*transferControlToOffscreen/);
    expect(warnings.filter((w) => w.startsWith('view:'))).toHaveLength(1);
    const { variance } = pngStats(await page.locator('umwelt-viewport').screenshot());
    expect(variance).toBeGreaterThan(100);
    expect(await page.locator('umwelt-app [data-download]').count()).toBe(1);
    expect(warnings.filter((w) => w.startsWith('recording:')), warnings.join('\n')).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, EPISODE_MS * 2);

  it('draws on the page when the render worker cannot draw, says why, and the default episode still succeeds', async () => {
    const { page, errors } = await openPage(browser);
    const warnings: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'warning') warnings.push(m.text());
    });
    // The worker takes a 2D context of its canvas first: its renderer's WebGL request then really gets none.
    await page.goto(`${server.url}?workerwebgl=0&speed=max`);
    const done = await waitForApp(page, (s) => s.status === 'done' || s.status === 'error', EPISODE_MS);
    expect(done.status).toBe('done');
    expect(done.outcome).toBe('Success');
    expect(done.engineLine).toMatch(/language model .* in a worker on/);
    expect(done.drawing).toBe('page');
    expect(done.viewLine).toMatch(/^View: drawn on this page.* — the render worker has no WebGL \(the canvas gives no WebGL2 context\)/);
    expect(warnings.filter((w) => w.startsWith('view:')), warnings.join('\n')).toEqual([expect.stringMatching(/^view: drawn on the page: the render worker has no WebGL/)]);
    // One canvas, the fresh one the page draws on.
    expect(await page.locator('umwelt-viewport canvas').count()).toBe(1);
    const shot = await page.locator('umwelt-viewport').screenshot();
    writeFileSync(join(ARTIFACTS, 'episode-worker-fallback.png'), shot);
    const { variance } = pngStats(shot);
    expect(variance).toBeGreaterThan(100);
    expect(errors).toEqual([]);
    await page.close();
  }, EPISODE_MS * 2);

  it('draws on the page when the render worker fails to load', async () => {
    const { page, errors } = await openPage(browser);
    const warnings: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'warning') warnings.push(m.text());
    });
    // The worker's script (assets/render.worker-<hash>.js) is not found: the Worker gets an error event, no answer.
    await page.route(/\/render\.worker[^/]*\.js$/, (route) => route.fulfill({ status: 404, body: '' }));
    await page.goto(`${server.url}?planner=oracle&speed=max&memory=off`);
    const done = await waitForApp(page, (s) => s.status === 'done' || s.status === 'error', EPISODE_MS);
    expect(done.status).toBe('done');
    expect(done.drawing).toBe('page');
    expect(done.viewLine).toMatch(/^View: drawn on this page.* — the render worker failed to start/);
    expect(warnings.filter((w) => w.startsWith('view:'))).toHaveLength(1);
    const { variance } = pngStats(await page.locator('umwelt-viewport').screenshot());
    expect(variance).toBeGreaterThan(100);
    expect(errors).toEqual([]);
    await page.close();
  }, EPISODE_MS * 2);
});
