// Generative-Agents retrieval: the three components, weights, normalisation, touching.

import { describe, expect, it } from 'vitest';
import { importanceOf, retrieve } from '../../memory/retrieval.ts';
import { MemoryError } from '../../memory/store/errors.ts';
import { flatIndexFactory } from '../../memory/store/flat-index.ts';
import { MemoryStore } from '../../memory/store/store.ts';
import type { MemoryRecord } from '../../memory/types.ts';

const DIM = 4;
const HOUR = 3600;
const QUERY = new Float32Array([1, 0, 0, 0]);
const RELEVANT = new Float32Array([1, 0.05, 0, 0]);
const UNRELATED = new Float32Array([0, 0, 1, 0]);

const rec = (id: string, embedding: Float32Array, importance: number, lastAccess: number): MemoryRecord => ({
  id,
  kind: 'observation',
  text: id,
  embedding,
  episode: 'ep',
  simTime: lastAccess,
  importance,
  lastAccess,
  entityIds: [],
  position: null,
});

const NOW = 1000 * HOUR;
function scene(): MemoryStore {
  const s = new MemoryStore({ dim: DIM, indexFactory: flatIndexFactory });
  s.add(rec('all-three', RELEVANT, 0.9, NOW - HOUR));
  s.add(rec('only-recent', UNRELATED, 0.1, NOW));
  s.add(rec('only-important', UNRELATED, 1.0, NOW - 500 * HOUR));
  s.add(rec('only-relevant', QUERY, 0.1, NOW - 500 * HOUR));
  return s;
}
const ids = (rs: { record: MemoryRecord }[]): string[] => rs.map((r) => r.record.id);

describe('retrieve', () => {
  it('ranks a recent, important and relevant memory above ones that are only one of those', () => {
    const got = retrieve(scene(), QUERY, { k: 4, now: NOW });
    expect(ids(got)[0]).toBe('all-three');
    const top = got[0]!;
    expect(top.score).toBeCloseTo(top.components.recency + top.components.importance + top.components.relevance, 12);
    for (const r of got) for (const c of Object.values(r.components)) expect(c).toBeGreaterThanOrEqual(0);
    expect(top.raw.recency).toBeCloseTo(0.995, 12);
  });

  it('weights change the order as expected', () => {
    const only = (w: 'recency' | 'importance' | 'relevance') =>
      ids(retrieve(scene(), QUERY, { k: 1, now: NOW }, { weights: { recency: 0, importance: 0, relevance: 0, [w]: 1 } }))[0];
    expect(only('recency')).toBe('only-recent');
    expect(only('importance')).toBe('only-important');
    expect(only('relevance')).toBe('only-relevant');
    const heavyImportance = retrieve(scene(), QUERY, { k: 4, now: NOW }, { weights: { importance: 5, recency: 0.2, relevance: 0.2 } });
    expect(ids(heavyImportance).slice(0, 2)).toEqual(['only-important', 'all-three']);
  });

  it('a single candidate normalises without dividing by zero', () => {
    const s = new MemoryStore({ dim: DIM, indexFactory: flatIndexFactory });
    s.add(rec('one', UNRELATED, 0.3, 0));
    const [r, ...rest] = retrieve(s, QUERY, { k: 3, now: NOW });
    expect(rest).toEqual([]);
    expect(r?.components).toEqual({ recency: 1, importance: 1, relevance: 1 });
    expect(r?.score).toBe(3);
    expect(retrieve(new MemoryStore({ dim: DIM, indexFactory: flatIndexFactory }), QUERY, { k: 3, now: NOW })).toEqual([]);
  });

  it('touches the returned records (lastAccess = now) and only those', () => {
    const s = scene();
    const later = NOW + 10 * HOUR;
    const got = retrieve(s, QUERY, { k: 2, now: later });
    expect(got.map((r) => r.record.lastAccess)).toEqual([later, later]);
    for (const id of ids(got)) expect(s.get(id)?.lastAccess).toBe(later);
    const untouched = s.all().filter((r) => !ids(got).includes(r.id));
    expect(untouched.map((r) => r.lastAccess)).not.toContain(later);
  });

  it('candidates are the top-N by similarity ∪ the M most recent', () => {
    const s = scene();
    // N = 1 and M = 0: only the most similar memory is a candidate.
    expect(ids(retrieve(s, QUERY, { k: 4, now: NOW }, { topN: 1, recentM: 0 }))).toEqual(['only-relevant']);
    // N = 0 and M = 1: only the most recently accessed.
    expect(ids(retrieve(s, QUERY, { k: 4, now: NOW }, { topN: 0, recentM: 1 }))).toEqual(['only-recent']);
  });

  it('keeps out what `where` rejects, also from the most recent, and gives one record per text with `distinct`', () => {
    const s = scene();
    const notRecent = (r: MemoryRecord): boolean => r.id !== 'only-recent';
    // M = 1 of the records kept: the most recent of those is all-three, not only-recent.
    expect(ids(retrieve(s, QUERY, { k: 4, now: NOW, where: notRecent }, { topN: 0, recentM: 1 }))).toEqual(['all-three']);
    expect(ids(retrieve(s, QUERY, { k: 4, now: NOW, where: notRecent }))).not.toContain('only-recent');
    expect(retrieve(s, QUERY, { k: 4, now: NOW, where: () => false })).toEqual([]);
    // A second record with all-three's text and scores (the tie goes to the lower id): passed over with
    // `distinct`, and not touched.
    const twice = (): MemoryStore => {
      const t = scene();
      t.add({ ...rec('all-three-again', RELEVANT, 0.9, NOW - HOUR), text: 'all-three' });
      return t;
    };
    expect(ids(retrieve(twice(), QUERY, { k: 2, now: NOW }))).toEqual(['all-three', 'all-three-again']);
    const later = NOW + HOUR;
    const t = twice();
    const distinct = retrieve(t, QUERY, { k: 2, now: later, distinct: true });
    expect(ids(distinct)[0]).toBe('all-three');
    expect(ids(distinct)).toHaveLength(2);
    expect(ids(distinct)).not.toContain('all-three-again');
    expect(t.get('all-three-again')?.lastAccess).not.toBe(later);
  });

  it('validates its configuration', () => {
    expect(() => retrieve(scene(), QUERY, { k: 1, now: NOW }, { decayPerHour: 1.5 })).toThrow(MemoryError);
    expect(() => retrieve(scene(), QUERY, { k: 1, now: NaN })).toThrow(MemoryError);
  });
});

describe('importanceOf', () => {
  it('rates failures and found targets high, plain observations low', () => {
    expect(importanceOf('observation')).toBe(0.1);
    expect(importanceOf('outcome', { failure: true })).toBe(0.9);
    expect(importanceOf('observation', { foundTarget: true })).toBe(0.85);
    expect(importanceOf('outcome')).toBe(0.5);
    expect(importanceOf('skill', { novel: true })).toBe(0.7);
    expect(() => importanceOf('dream' as 'event')).toThrow(MemoryError);
  });
});
