// The browser side of tests/memory/browser-snapshot.test.ts: bundled with esbuild and loaded by a
// real (headless) Chromium, it exposes `window.memoryTest`, whose functions the Node test calls
// through page.evaluate. Everything crosses the page boundary as JSON: snapshots (MemorySnapshot)
// and search results as { id, similarity }.

import { openDB } from 'idb';
import { createIndex } from '../../memory/index/index.ts';
import { IdbLog } from '../../memory/persist/idb.ts';
import { MemoryStore } from '../../memory/store/store.ts';
import { toJson, type Hit, type MemoryTestApi } from './api.ts';
import { mulberry32 } from '../fixtures/random.ts';

const indexFactory = (dim: number) => createIndex({ kind: 'exact', dim });

function searchAll(store: MemoryStore, queries: number[][], k: number): Hit[][] {
  return queries.map((q) =>
    store.search(Float32Array.from(q), { k }).map((h) => ({ id: h.record.id, similarity: h.similarity })),
  );
}

const KINDS = ['observation', 'event', 'outcome', 'reflection', 'skill'] as const;

const api: MemoryTestApi = {
  async persist(snapshot, db) {
    await IdbLog.destroy(db);
    const log = new IdbLog(db);
    const { store } = await MemoryStore.open({ dim: snapshot.dim, indexFactory, backend: log });
    for (const r of MemoryStore.restore(snapshot, indexFactory).all()) store.add(r);
    store.close();
    await log.flush();
    return store.size;
  },

  async reopen(db, dim, queries, k) {
    const log = new IdbLog(db);
    const { store, report } = await MemoryStore.open({ dim, indexFactory, backend: log });
    const out = { snapshot: store.snapshot(), hits: searchAll(store, queries, k), ops: report.records.length, dropped: report.dropped };
    store.close();
    await log.flush();
    return out;
  },

  async build(db, dim) {
    await IdbLog.destroy(db);
    const log = new IdbLog(db);
    const { store } = await MemoryStore.open({ dim, indexFactory, backend: log });
    const rand = mulberry32(0xb0a7);
    for (let i = 0; i < 40; i++) {
      const embedding = new Float32Array(dim);
      for (let j = 0; j < dim; j++) embedding[j] = rand() * 2 - 1;
      store.add({
        id: `page-${i}`,
        kind: KINDS[i % KINDS.length] ?? 'event',
        text: `page memory ${i} — ünïcode ✓`,
        embedding,
        episode: `page-ep${i % 3}`,
        simTime: i * 1.5,
        importance: Math.round(rand() * 100) / 100,
        lastAccess: i * 1.5,
        entityIds: i % 4 === 0 ? [] : [`ent-${i}`, `ent-${i + 1}`],
        position: i % 2 === 0 ? [rand() * 10, rand() * 10, rand()] : null,
      });
    }
    for (let i = 0; i < 40; i += 7) store.delete(`page-${i}`);
    for (let i = 1; i < 40; i += 5) store.touch(`page-${i}`, 1000 + i);
    // Re-add a deleted id (it goes to the end) and search with `now` (touches the hits).
    const again = store.get('page-1');
    if (again) store.add({ ...again, id: 'page-0', text: 'page memory 0, again' });
    store.search(Float32Array.from({ length: dim }, (_, j) => (j % 3) - 1), { k: 3, now: 2024.5 });
    store.close();
    await log.flush();
    return { snapshot: store.snapshot(), all: store.all().map(toJson) };
  },

  async compact(db, dim) {
    const log = new IdbLog(db);
    const { store } = await MemoryStore.open({ dim, indexFactory, backend: log });
    store.compact();
    store.close();
    await log.flush();
    return store.size;
  },

  async inject(db, values) {
    const conn = await openDB(db);
    const tx = conn.transaction('ops', 'readwrite');
    await Promise.all([...values.map((v) => tx.objectStore('ops').add(v)), tx.done]);
    conn.close();
  },

  search(snapshot, queries, k) {
    return searchAll(MemoryStore.restore(snapshot, indexFactory), queries, k);
  },
};

window.memoryTest = api;
