// The built app served for the end-to-end tests: `vite build` of web/ (as `npm start` does) into a temporary
// folder, served by vite's preview server on 127.0.0.1 (WebGPU needs a secure context: http://127.0.0.1 is one).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build, preview, type PreviewServer } from 'vite';
import { convertIndexedToRgb, decode as decodePng } from 'fast-png';
import type { Page } from 'playwright-core';

const CONFIG = join(import.meta.dirname, '..', '..', 'web', 'vite.config.ts');

export interface AppServer {
  url: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Files served next to the build: served path (relative to the app's root) -> file on this machine. */
  extraFiles?: Record<string, string>;
}

export async function serveApp(options: ServeOptions = {}): Promise<AppServer> {
  const outDir = mkdtempSync(join(tmpdir(), 'umwelt-app-'));
  await build({ configFile: CONFIG, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  for (const [served, source] of Object.entries(options.extraFiles ?? {})) {
    const target = join(outDir, served);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, target);
  }
  const server: PreviewServer = await preview({ configFile: CONFIG, logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1', strictPort: false } });
  const url = server.resolvedUrls?.local[0];
  if (url === undefined) throw new Error('the preview server has no local URL');
  return {
    url,
    close: async () => {
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** Console errors and uncaught exceptions of `page` from now on, collected into the returned array. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/** What the page tells about itself, read from its DOM (through the open shadow roots). */
export interface AppState {
  status: string;
  engine: string;
  engineLine: string;
  /** Where the 3D view is drawn: 'worker', 'page', or '' before the first scene. */
  drawing: string;
  viewLine: string;
  instruction: string;
  outcome: string;
  steps: { thought: string; action: string; outcome: string }[];
  memory: { stored: number; written: string[]; recalled: string[] };
}

export function readApp(page: Page): Promise<AppState> {
  return page.evaluate(() => {
    const app = document.querySelector<HTMLElement>('umwelt-app');
    const root = app?.shadowRoot;
    const log = root?.querySelector('umwelt-thought-log')?.shadowRoot;
    const metrics = root?.querySelector('umwelt-metrics')?.shadowRoot;
    const memory = root?.querySelector('umwelt-memory')?.shadowRoot;
    return {
      status: app?.dataset['status'] ?? '',
      engine: app?.dataset['engine'] ?? '',
      engineLine: root?.querySelector('[data-engine-line]')?.textContent?.trim() ?? '',
      drawing: app?.dataset['drawing'] ?? '',
      viewLine: root?.querySelector('[data-view-line]')?.textContent?.replace(/\s+/g, ' ').trim() ?? '',
      instruction: root?.querySelector('[data-instruction]')?.textContent?.trim() ?? '',
      outcome: metrics?.querySelector('[data-metric="outcome"]')?.textContent?.trim() ?? '',
      steps: [...(log?.querySelectorAll('li') ?? [])].map((li) => ({
        thought: li.querySelector('.thought')?.textContent?.trim() ?? '',
        action: li.querySelector('.action')?.textContent?.trim() ?? '',
        outcome: li.querySelector('.ok, .fail')?.textContent?.trim() ?? '',
      })),
      memory: {
        stored: Number.parseInt(memory?.querySelector('[data-stored-count]')?.textContent ?? '', 10),
        // (No named helper functions in here: a bundler's keepNames wrapper would not exist in the page.)
        written: [...(memory?.querySelectorAll('[data-written] li') ?? [])].map((li) => li.textContent?.trim() ?? ''),
        recalled: [...(memory?.querySelectorAll('[data-recalled] li') ?? [])].map((li) => li.textContent?.trim() ?? ''),
      },
    };
  });
}

/** Polls the page until `done` holds of its state (or the time is up: then the last state is in the error). */
export async function waitForApp(page: Page, done: (s: AppState) => boolean, timeoutMs: number): Promise<AppState> {
  const until = Date.now() + timeoutMs;
  let state = await readApp(page);
  while (!done(state)) {
    if (Date.now() > until) throw new Error(`the app did not get there in ${timeoutMs} ms; last state: ${JSON.stringify(state)}`);
    await page.waitForTimeout(250);
    state = await readApp(page);
  }
  return state;
}

/**
 * Collects long main-thread tasks (PerformanceObserver 'longtask', over 50 ms) from the page's first moment, each
 * with the app's status when the task STARTED: the observer reports tasks later, so the status changes are
 * timestamped as they happen (a MutationObserver on the app's data-status) and looked up by the task's start. Each
 * also names the page's slow-work measures (`umwelt:<what>`, web/view/slow-mark.ts) that ran within it.
 */
export async function watchLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const tasks: { start: number; duration: number }[] = [];
    const measures: { start: number; duration: number; name: string }[] = [];
    const statuses: { at: number; status: string }[] = [{ at: 0, status: '' }];
    Object.assign(window, { __longTasks: tasks, __measures: measures, __statuses: statuses });
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) tasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (e.name.startsWith('umwelt:')) measures.push({ start: e.startTime, duration: e.duration, name: e.name });
    }).observe({ type: 'measure', buffered: true });
    const watch = new MutationObserver(() => {
      const status = document.querySelector<HTMLElement>('umwelt-app')?.dataset['status'] ?? '';
      if (statuses[statuses.length - 1]?.status !== status) statuses.push({ at: performance.now(), status });
    });
    document.addEventListener('DOMContentLoaded', () => watch.observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-status'] }));
  });
}

export function longTasks(page: Page): Promise<{ start: number; duration: number; status: string; slow: string[] }[]> {
  return page.evaluate(() => {
    const w = window as unknown as {
      __longTasks: { start: number; duration: number }[];
      __measures: { start: number; duration: number; name: string }[];
      __statuses: { at: number; status: string }[];
    };
    return w.__longTasks.map((t) => {
      let status = '';
      for (const s of w.__statuses) if (s.at <= t.start) status = s.status;
      const slow = w.__measures.filter((m) => m.start >= t.start && m.start < t.start + t.duration).map((m) => `${m.name} ${Math.round(m.duration)} ms`);
      return { ...t, status, slow };
    });
  });
}

export interface ImageStats {
  width: number;
  height: number;
  /** Variance of the grey levels (a blank or single-colour image gives ~0). */
  variance: number;
  /** Distinct colours. */
  colors: number;
}

/**
 * Size, grey-level variance and distinct colours of a PNG, decoded here in Node (fast-png), not in the page: a
 * million-pixel loop on the page's thread is itself a long task, and the episode test reads its screenshot while
 * the episode runs.
 */
export function pngStats(png: Uint8Array): ImageStats {
  const image = decodePng(png);
  const rgb = image.palette === undefined ? null : convertIndexedToRgb(image);
  const data = rgb ?? image.data;
  const channels = rgb === null ? image.channels : image.palette![0]!.length;
  // Levels as a canvas would give them: 8 bits a channel; grey images have one channel for all three.
  const shift = rgb === null && image.depth === 16 ? 8 : 0;
  const n = image.width * image.height;
  let sum = 0;
  let sq = 0;
  const colors = new Set<number>();
  for (let p = 0; p < n; p++) {
    const at = p * channels;
    const r = data[at]! >> shift;
    const [g, b] = channels >= 3 ? [data[at + 1]! >> shift, data[at + 2]! >> shift] : [r, r];
    const grey = (r + g + b) / 3;
    sum += grey;
    sq += grey * grey;
    colors.add((r << 16) | (g << 8) | b);
  }
  const mean = sum / n;
  return { width: image.width, height: image.height, variance: sq / n - mean * mean, colors: colors.size };
}
