// eval/report/html.ts in real headless Chromium (/usr/bin/chromium through playwright-core): report.html written
// to a temp dir and opened from file://. Checks that the page loads without console or page errors and without a
// single network request, that the three charts are drawn (non-blank, with coloured data pixels), that a hostile
// scenario name is shown as text and its script never runs, that the embedded data round-trips, and that the edge
// cases (no episodes; one planner with no latency) load cleanly with "no data" notes instead of broken charts.
// Chromium comes from `npm test`'s pretest (scripts/ensure-chromium.sh); as in tests/memory/browser-snapshot.test.ts,
// this file installs it the same way if it can (root + apt-get), and is skipped only if it cannot.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartData } from '../../eval/report/charts.ts';
import { renderHtml } from '../../eval/report/html.ts';
import type { EvalReport } from '../../eval/report-schema.ts';
import { emptyReport, HOSTILE_SCENARIO, sampleReport, zeroLatencyReport } from '../fixtures/report.ts';
import { chromiumAvailable, launchChromium } from '../fixtures/chromium.ts';

const available = chromiumAvailable('report-html');

const CHARTS = ['chart-success', 'chart-latency', 'chart-steps'] as const;

interface Loaded {
  page: Page;
  html: string;
  /** Console messages of type error, and uncaught page errors. */
  errors: string[];
  /** Every request but the page itself. */
  requests: string[];
}

interface Pixels {
  width: number;
  height: number;
  /** Pixels with any opacity. */
  painted: number;
  /** Painted pixels that are clearly coloured (data), not grey (axes, grid lines, text). */
  coloured: number;
}

describe('chart series (no browser)', () => {
  it('groups success by scenario and family, planners in report order, with the intervals', () => {
    const { success } = chartData(sampleReport);
    if (success.kind !== 'chart') throw new Error(success.note);
    expect(success.data.labels).toEqual(['smoke / fetch', 'smoke / search', `${HOSTILE_SCENARIO} / place-in`]);
    expect(success.data.series.map((s) => s.planner)).toEqual(['oracle', 'random']);
    expect(success.data.series[0]?.rates).toEqual([36 / 40, 31 / 40, 34 / 40]);
    expect(success.data.series[0]?.tips[0]).toBe('oracle: 0.90 [0.77, 0.96] (36/40)');
  });

  it('outlines a histogram bin by bin, leaving out empty bins at the ends', () => {
    const { steps, latency } = chartData(zeroLatencyReport);
    if (steps.kind !== 'chart') throw new Error(steps.note);
    expect(steps.data.series[0]?.points.map((p) => [p.x, p.y])).toEqual([
      [1.5, 0],
      [1.5, 10],
      [2.5, 60],
      [3.5, 30],
      [4.5, 30],
      [4.5, 0],
    ]);
    expect(latency).toEqual({ kind: 'empty', note: 'No decision latency was recorded: every latency is 0 ms.' });
  });

  it('draws latency on a log axis, the open first bin (from 0) one bin wide', () => {
    const { latency } = chartData(sampleReport);
    if (latency.kind !== 'chart') throw new Error(latency.note);
    expect(latency.data.logX).toBe(true);
    const random = latency.data.series.find((s) => s.planner === 'random');
    expect(random?.points[0]?.x).toBeCloseTo(0.01, 6); // the second edge, 0.0178, one quarter-decade down
    expect(random?.points[1]?.tip).toBe('random: below 0.018 ms: 250 (5.8%)');
  });
});

describe.skipIf(!available)('report.html in headless Chromium', () => {
  let dir = '';
  let browser: Browser | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'umwelt-report-'));
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Writes the report's page to DIR/NAME/report.html and opens it in a fresh page. */
  async function open(report: EvalReport, name: string): Promise<Loaded> {
    if (!browser) throw new Error('no browser');
    const html = renderHtml(report);
    const sub = join(dir, name);
    mkdirSync(sub, { recursive: true });
    const file = join(sub, 'report.html');
    writeFileSync(file, html);
    const url = pathToFileURL(file).href;
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.setDefaultTimeout(15_000);
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (r.url() !== url) requests.push(r.url());
    });
    await page.goto(url, { waitUntil: 'load' });
    return { page, html, errors, requests };
  }

  function pixels(page: Page, id: string): Promise<Pixels | null> {
    return page.evaluate((canvasId) => {
      const canvas = document.getElementById(canvasId);
      if (!(canvas instanceof HTMLCanvasElement)) return null;
      const ctx = canvas.getContext('2d');
      if (!ctx || canvas.width === 0 || canvas.height === 0) return { width: canvas.width, height: canvas.height, painted: 0, coloured: 0 };
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let painted = 0;
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r = 0, g = 0, b = 0, a = 0] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        if (a === 0) continue;
        painted++;
        if (a > 64 && Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
      }
      return { width: canvas.width, height: canvas.height, painted, coloured };
    }, id);
  }

  it('draws the sample report: three charts, no errors, no requests, no injected script', async () => {
    const { page, html, errors, requests } = await open(sampleReport, 'sample');
    try {
      expect(html).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
      expect(html).not.toContain('src="http');
      expect(html).not.toContain('href="http');

      for (const id of CHARTS) {
        const p = await pixels(page, id);
        expect(p, id).not.toBeNull();
        if (!p) continue;
        expect(p.width * p.height, id).toBeGreaterThan(10_000);
        expect(p.painted, `${id} painted`).toBeGreaterThan(2_000);
        expect(p.coloured, `${id} coloured`).toBeGreaterThan(500);
      }
      // Chart.js made one chart per canvas.
      const charts = await page.evaluate((ids) => {
        const { Chart } = window as unknown as { Chart?: { getChart(id: string): unknown } };
        return ids.map((id) => Chart?.getChart(id) !== undefined);
      }, [...CHARTS]);
      expect(charts).toEqual([true, true, true]);

      // The hostile name is text on the page; its <script> never ran.
      expect(await page.evaluate(() => '__pwned' in window)).toBe(false);
      expect(await page.locator('#families td', { hasText: HOSTILE_SCENARIO }).count()).toBe(2);
      expect(await page.locator('body script').count()).toBe(4);
      expect(await page.locator('h1').textContent()).toBe('Evaluation: nightly');

      // The tables: the CI as in report.md, a comparison row, the failure reasons.
      const overall = await page.locator('#overall tbody tr').first().locator('td').allTextContents();
      expect(overall.slice(0, 4)).toEqual(['oracle', '120', '0.84 [0.77, 0.90]', '0.81']);
      expect(await page.locator('#comparisons tbody tr').count()).toBe(4);
      expect(await page.locator('#failures td', { hasText: 'hands_full|weird' }).count()).toBe(1);

      // The embedded report reads back exactly.
      const data = await page.evaluate(() => JSON.parse(document.getElementById('report-data')?.textContent ?? 'null') as unknown);
      expect(data).toEqual(sampleReport);

      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await page.close();
    }
  }, 30_000);

  it('loads a report with no episodes, showing notes instead of charts', async () => {
    const { page, errors, requests } = await open(emptyReport, 'empty');
    try {
      for (const id of CHARTS) {
        expect(await page.locator(`#${id}`).count(), id).toBe(0);
        expect(await page.locator(`#${id}-empty`).textContent(), id).toMatch(/^No /);
      }
      expect(await page.locator('#comparisons .no-data').textContent()).toBe('One planner only: nothing to compare.');
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await page.close();
    }
  }, 30_000);

  it('loads one planner without latency: success and steps drawn, latency a note', async () => {
    const { page, errors, requests } = await open(zeroLatencyReport, 'zero-latency');
    try {
      expect(await page.locator('#chart-latency-empty').textContent()).toContain('every latency is 0 ms');
      for (const id of ['chart-success', 'chart-steps']) {
        const p = await pixels(page, id);
        expect(p?.coloured ?? 0, id).toBeGreaterThan(500);
      }
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await page.close();
    }
  }, 30_000);
});
