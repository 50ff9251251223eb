// MemorySnapshot and the IndexedDB backend (memory/persist/idb.ts) in a real browser: headless
// Chromium (/usr/bin/chromium, driven by playwright-core) loads tests/browser/memory-entry.ts,
// bundled with esbuild into a temp dir and served from 127.0.0.1.
//   (a) Node -> browser: Node's snapshot is restored in the page, logged to IndexedDB, the page
//       is reloaded, and the store reopened from IndexedDB equals Node's (snapshot and search).
//   (b) browser -> Node: the page builds a store (adds, deletes, touches), its snapshot restored
//       in Node gives the same all() and search results; the page's log replays (and compacts)
//       to the same state across reloads.
// Chromium comes from `npm test`'s pretest (scripts/ensure-chromium.sh); when it is missing this
// file installs it the same way if it can (root + apt-get), and is skipped only if it cannot.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIndex } from '../../memory/index/index.ts';
import { MemoryStore, type MemorySnapshot } from '../../memory/store/store.ts';
import type { MemoryRecord } from '../../memory/types.ts';
import { toJson, type Hit, type MemoryTestApi } from '../browser/api.ts';
import { mulberry32 } from '../fixtures/random.ts';
import { chromiumAvailable, launchChromium } from '../fixtures/chromium.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const available = chromiumAvailable('browser-snapshot');

const DIM = 64;
const K = 5;
const STEP_MS = 15_000;

const indexFactory = (dim: number) => createIndex({ kind: 'exact', dim });

function nodeStore(): MemoryStore {
  const rand = mulberry32(42);
  const store = new MemoryStore({ dim: DIM, indexFactory });
  const kinds = ['observation', 'event', 'outcome', 'reflection', 'skill'] as const;
  for (let i = 0; i < 50; i++) {
    const record: MemoryRecord = {
      id: `node-${i}`,
      kind: kinds[i % kinds.length] ?? 'event',
      text: `node memory ${i}: "quoted", ✓ 𝔘`,
      embedding: Float32Array.from({ length: DIM }, () => rand() * 2 - 1),
      episode: `ep-${i % 5}`,
      simTime: i * 0.25,
      importance: (i % 10) / 9,
      lastAccess: i * 0.25 + (i % 3),
      entityIds: i % 3 === 0 ? [] : [`e${i}`],
      // (No -0 anywhere: the snapshot crosses as JSON text, which writes -0 as 0.)
      position: i % 2 === 0 ? [i * 0.1, -1 - i, 1e-7 * i] : null,
    };
    store.add(record);
  }
  return store;
}

function queries(seed: number, n: number): number[][] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => Array.from({ length: DIM }, () => rand() * 2 - 1));
}

function searchAll(store: MemoryStore, qs: number[][]): Hit[][] {
  return qs.map((q) => store.search(Float32Array.from(q), { k: K }).map((h) => ({ id: h.record.id, similarity: h.similarity })));
}

const INDEX_HTML = '<!doctype html><meta charset="utf-8"><title>memory</title><script type="module" src="/memory-entry.js"></script>\n';

describe.skipIf(!available)('MemorySnapshot and IdbLog in headless Chromium', () => {
  let dir = '';
  let server: Server | null = null;
  let browser: Browser | null = null;
  let page: Page | null = null;
  let url = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'umwelt-browser-'));
    await build({
      entryPoints: [join(ROOT, 'tests', 'browser', 'memory-entry.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile: join(dir, 'memory-entry.js'),
      logLevel: 'warning',
    });
    writeFileSync(join(dir, 'index.html'), INDEX_HTML);
    const files: Record<string, [string, string]> = {
      '/': ['index.html', 'text/html; charset=utf-8'],
      '/index.html': ['index.html', 'text/html; charset=utf-8'],
      '/memory-entry.js': ['memory-entry.js', 'text/javascript; charset=utf-8'],
    };
    server = createServer((req, res) => {
      const file = files[(req.url ?? '/').split('?')[0] ?? '/'];
      if (!file) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-store' }).end(readFileSync(join(dir, file[0])));
    });
    const s = server;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve());
    });
    url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(STEP_MS);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await load(page, url);
    expect(errors).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    // Each step on its own, so one failing does not leak the others.
    await browser?.close().catch(() => undefined);
    if (server) {
      const s = server;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Navigates (or reloads) and waits until the bundle has installed window.memoryTest. */
  async function load(p: Page, to: string | null): Promise<void> {
    if (to === null) await p.reload({ waitUntil: 'load' });
    else await p.goto(to, { waitUntil: 'load' });
    await p.waitForFunction(() => window.memoryTest !== undefined);
  }

  function pageOf(): Page {
    if (!page) throw new Error('no page');
    return page;
  }

  it('Node -> browser: a snapshot persisted to IndexedDB survives a reload intact', async () => {
    const p = pageOf();
    const store = nodeStore();
    const snapshot = store.snapshot();
    const qs = queries(7, 4);
    const expected = searchAll(store, qs);
    // The snapshot goes over as JSON text (what an app would store or send).
    const json = JSON.stringify(snapshot);
    const stored = await p.evaluate(
      async ([text, db]) => (window.memoryTest as MemoryTestApi).persist(JSON.parse(text) as MemorySnapshot, db),
      [json, 'node-to-browser'] as const,
    );
    expect(stored).toBe(50);

    await load(p, null);
    const reopened = await p.evaluate(
      async ([db, dim, q, k]) => (window.memoryTest as MemoryTestApi).reopen(db, dim, q, k),
      ['node-to-browser', DIM, qs, K] as const,
    );
    expect(reopened.dropped).toEqual([]);
    expect(reopened.ops).toBe(50);
    expect(reopened.snapshot).toEqual(snapshot);
    expect(JSON.stringify(reopened.snapshot)).toBe(json);
    expect(reopened.hits).toEqual(expected);
    expect(reopened.hits.every((h) => h.length === K)).toBe(true);
  }, 40_000);

  it('browser -> Node: a snapshot built in the page restores in Node with the same records and results', async () => {
    const p = pageOf();
    const built = await p.evaluate(async ([db, dim]) => (window.memoryTest as MemoryTestApi).build(db, dim), ['browser-to-node', DIM] as const);
    const qs = queries(99, 5);
    const pageHits = await p.evaluate(
      ([s, q, k]) => (window.memoryTest as MemoryTestApi).search(s, q, k),
      [built.snapshot, qs, K] as const,
    );

    const restored = MemoryStore.restore(built.snapshot, indexFactory);
    expect(restored.all().map(toJson)).toEqual(built.all);
    expect(restored.snapshot()).toEqual(built.snapshot);
    expect(searchAll(restored, qs)).toEqual(pageHits);
    // The page really did delete, re-add and touch.
    expect(restored.size).toBe(40 - 6 + 1);
    expect(restored.has('page-7')).toBe(false);
    expect(restored.all().at(-1)?.id).toBe('page-0');
    expect(restored.all().filter((r) => r.lastAccess === 2024.5)).toHaveLength(3);

    // The page's log replays to the same state after a reload, and again after compaction.
    await load(p, null);
    const replayed = await p.evaluate(
      async ([db, dim, q, k]) => (window.memoryTest as MemoryTestApi).reopen(db, dim, q, k),
      ['browser-to-node', DIM, qs, K] as const,
    );
    expect(replayed.dropped).toEqual([]);
    expect(replayed.ops).toBeGreaterThan(restored.size);
    expect(replayed.snapshot).toEqual(built.snapshot);
    expect(replayed.hits).toEqual(pageHits);

    const live = await p.evaluate(async ([db, dim]) => (window.memoryTest as MemoryTestApi).compact(db, dim), ['browser-to-node', DIM] as const);
    expect(live).toBe(restored.size);
    await load(p, null);
    const compacted = await p.evaluate(
      async ([db, dim, q, k]) => (window.memoryTest as MemoryTestApi).reopen(db, dim, q, k),
      ['browser-to-node', DIM, qs, K] as const,
    );
    expect(compacted.dropped).toEqual([]);
    expect(compacted.ops).toBe(restored.size);
    expect(compacted.snapshot).toEqual(built.snapshot);
    expect(compacted.hits).toEqual(pageHits);
  }, 40_000);

  it('load() reports entries that are not valid ops as dropped and removes them', async () => {
    const p = pageOf();
    const snapshot = nodeStore().snapshot();
    const first = snapshot.records[0];
    if (!first) throw new Error('empty snapshot');
    await p.evaluate(async ([s, db]) => (window.memoryTest as MemoryTestApi).persist(s, db), [snapshot, 'junk'] as const);
    const junk: unknown[] = [
      { op: 'put', record: { ...first, embedding: 'AAAA' } }, // 3 bytes: not a float32 embedding
      { op: 'frobnicate', id: 'x' },
      'not an op',
      { op: 'touch', id: first.id, lastAccess: 123 }, // valid: kept
    ];
    await p.evaluate(async ([db, values]) => (window.memoryTest as MemoryTestApi).inject(db, values), ['junk', junk] as const);
    const qs = queries(3, 1);
    const once = await p.evaluate(
      async ([db, dim, q, k]) => (window.memoryTest as MemoryTestApi).reopen(db, dim, q, k),
      ['junk', DIM, qs, K] as const,
    );
    expect(once.dropped.map((d) => [d.offset, d.reason])).toEqual([
      [51, 'bad-payload'],
      [52, 'bad-payload'],
      [53, 'bad-payload'],
    ]);
    expect(once.dropped.every((d) => d.bytes > 0)).toBe(true);
    expect(once.ops).toBe(51);
    expect(once.snapshot.records.find((r) => r.id === first.id)?.lastAccess).toBe(123);
    const twice = await p.evaluate(
      async ([db, dim, q, k]) => (window.memoryTest as MemoryTestApi).reopen(db, dim, q, k),
      ['junk', DIM, qs, K] as const,
    );
    expect(twice.dropped).toEqual([]);
    expect(twice.snapshot).toEqual(once.snapshot);
  }, 40_000);
});
