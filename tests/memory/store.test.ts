// MemoryStore: CRUD, search, snapshot/restore round trip, validation errors.

import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, decodeFloat32, encodeFloat32 } from '../../memory/store/codec.ts';
import { MemoryError } from '../../memory/store/errors.ts';
import { flatIndexFactory } from '../../memory/store/flat-index.ts';
import type { LogOp, MemoryBackend } from '../../memory/store/backend.ts';
import { MemoryStore, type MemorySnapshot } from '../../memory/store/store.ts';
import type { MemoryRecord } from '../../memory/types.ts';

const DIM = 6;
const vec = (...xs: number[]): Float32Array => {
  const v = new Float32Array(DIM);
  xs.forEach((x, i) => (v[i] = x));
  return v;
};
const rec = (id: string, embedding: Float32Array, extra: Partial<MemoryRecord> = {}): MemoryRecord => ({
  id,
  kind: 'observation',
  text: `text of ${id}`,
  embedding,
  episode: 'ep',
  simTime: 0,
  importance: 0.5,
  lastAccess: 0,
  entityIds: [],
  position: null,
  ...extra,
});
const newStore = (): MemoryStore => new MemoryStore({ dim: DIM, indexFactory: flatIndexFactory });

function expectMemoryError(f: () => unknown, code: string, message?: RegExp): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MemoryError);
    expect((e as MemoryError).code).toBe(code);
    if (message) expect((e as MemoryError).message).toMatch(message);
    return;
  }
  throw new Error(`expected a MemoryError ${code}`);
}

describe('MemoryStore', () => {
  it('adds, gets, deletes and touches', () => {
    const s = newStore();
    s.add(rec('a', vec(1)));
    s.add(rec('b', vec(0, 1), { kind: 'outcome', position: [1, 2, 3], entityIds: ['x'] }));
    expect(s.size).toBe(2);
    expect(s.get('b')).toEqual(rec('b', vec(0, 1), { kind: 'outcome', position: [1, 2, 3], entityIds: ['x'] }));
    expect(s.get('zzz')).toBeUndefined();
    expect(s.touch('a', 42)).toBe(true);
    expect(s.get('a')?.lastAccess).toBe(42);
    expect(s.touch('zzz', 42)).toBe(false);
    expect(s.delete('a')).toBe(true);
    expect(s.delete('a')).toBe(false);
    expect(s.all().map((r) => r.id)).toEqual(['b']);
    expect(s.search(vec(1), { k: 5 }).map((h) => h.record.id)).toEqual(['b']);
  });

  it('hands out copies: mutating a returned record does not change the store', () => {
    const s = newStore();
    const input = rec('a', vec(1));
    s.add(input);
    input.embedding[0] = 99;
    const got = s.get('a')!;
    got.text = 'changed';
    got.entityIds.push('y');
    expect(s.get('a')).toEqual(rec('a', vec(1)));
  });

  it('searches by cosine similarity, best first, and touches with `now`', () => {
    const s = newStore();
    s.add(rec('x', vec(1, 0)));
    s.add(rec('xy', vec(1, 1)));
    s.add(rec('y', vec(0, 1)));
    s.add(rec('negx', vec(-1, 0.1)));
    const hits = s.search(vec(2, 0), { k: 3 });
    expect(hits.map((h) => h.record.id)).toEqual(['x', 'xy', 'y']);
    expect(hits[0]!.similarity).toBeCloseTo(1, 6);
    expect(hits[1]!.similarity).toBeCloseTo(Math.SQRT1_2, 6);
    expect(s.search(vec(1), { k: 0 })).toEqual([]);
    expect(s.search(vec(1), { k: 2, now: 77 }).map((h) => h.record.lastAccess)).toEqual([77, 77]);
    expect(s.get('x')?.lastAccess).toBe(77);
    expect(s.get('y')?.lastAccess).toBe(0);
  });

  it('recent() orders by lastAccess', () => {
    const s = newStore();
    s.add(rec('a', vec(1), { lastAccess: 5 }));
    s.add(rec('b', vec(1), { lastAccess: 9 }));
    s.add(rec('c', vec(1), { lastAccess: 1 }));
    s.touch('c', 10);
    expect(s.recent(2).map((r) => r.id)).toEqual(['c', 'b']);
  });

  it('snapshot → JSON → restore gives identical records and identical search results', () => {
    const s = newStore();
    for (let i = 0; i < 40; i++) {
      const e = new Float32Array(DIM).map((_, j) => Math.sin(i * 1.3 + j * 0.7) + 0.1);
      s.add(rec(`m${i}`, e, { importance: (i % 10) / 10, simTime: i, lastAccess: i * 2, kind: i % 2 ? 'event' : 'skill' }));
    }
    for (let i = 0; i < 40; i += 7) s.delete(`m${i}`);
    s.touch('m3', 1e6);
    const json = JSON.stringify(s.snapshot());
    const restored = MemoryStore.restore(JSON.parse(json) as MemorySnapshot, flatIndexFactory);
    expect(restored.all()).toEqual(s.all());
    expect(restored.size).toBe(s.size);
    for (let q = 0; q < 10; q++) {
      const query = new Float32Array(DIM).map((_, j) => Math.cos(q + j));
      expect(restored.search(query, { k: 8 })).toEqual(s.search(query, { k: 8 }));
    }
    expect(JSON.stringify(restored.snapshot())).toBe(json);
  });

  it('base64 float32 encoding round-trips bit-exactly', () => {
    for (let n = 0; n < 8; n++) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 97 + 13) & 255);
      expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
      expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    }
    const v = new Float32Array([0, -0, 1.5, -3.25e-20, 3.4e38, 1 / 3]);
    const back = decodeFloat32(encodeFloat32(v));
    expect(Object.is(back[1], -0)).toBe(true);
    expect([...back]).toEqual([...v]);
    expect(() => base64ToBytes('ab=c')).toThrow(MemoryError);
  });

  it('rejects bad input with a MemoryError', () => {
    const s = newStore();
    s.add(rec('a', vec(1)));
    expectMemoryError(() => s.add(rec('a', vec(0, 1))), 'duplicate-id', /"a"/);
    expectMemoryError(() => s.add(rec('b', new Float32Array(DIM + 1).fill(1))), 'dimension-mismatch', /7 dimensions.*6/);
    expectMemoryError(() => s.add(rec('b', vec(1, NaN))), 'invalid-record', /non-finite/);
    expectMemoryError(() => s.add(rec('b', vec())), 'invalid-record', /all zeros/);
    expectMemoryError(() => s.add(rec('b', vec(1), { kind: 'dream' as MemoryRecord['kind'] })), 'unknown-kind', /dream/);
    expectMemoryError(() => s.add(rec('b', vec(1), { importance: 1.5 })), 'invalid-record', /importance/);
    expectMemoryError(() => s.add(rec('b', vec(1), { importance: -0.1 })), 'invalid-record', /importance/);
    expectMemoryError(() => s.add(rec('b', vec(1), { importance: NaN })), 'invalid-record', /importance/);
    expectMemoryError(() => s.add(rec('', vec(1))), 'invalid-record', /id/);
    expectMemoryError(() => s.add(rec('b', vec(1), { simTime: Infinity })), 'invalid-record', /simTime/);
    expectMemoryError(() => s.add(rec('b', vec(1), { position: [1, 2] as unknown as [number, number, number] })), 'invalid-record', /position/);
    expectMemoryError(() => s.add(rec('b', [1, 0, 0, 0, 0, 0] as unknown as Float32Array)), 'invalid-record', /Float32Array/);
    expectMemoryError(() => s.search(vec(1).subarray(0, 3), { k: 1 }), 'dimension-mismatch');
    expectMemoryError(() => s.search(vec(NaN), { k: 1 }), 'invalid-query');
    expectMemoryError(() => s.search(vec(1), { k: -1 }), 'invalid-query');
    expectMemoryError(() => s.touch('a', NaN), 'invalid-query');
    expectMemoryError(() => MemoryStore.restore({ version: 2 } as unknown as MemorySnapshot, flatIndexFactory), 'invalid-snapshot');
    expectMemoryError(() => new MemoryStore({ dim: 0, indexFactory: flatIndexFactory }), 'dimension-mismatch');
    expect(s.size).toBe(1);
  });

  it('works with any MemoryBackend: logs before applying, replays on open', async () => {
    const ops: LogOp[] = [];
    let failNext = false;
    const backend: MemoryBackend = {
      load: async () => ({ records: [...ops], dropped: [] }),
      append: (op) => {
        if (failNext) throw new Error('disk full');
        ops.push(op);
      },
      compact: (records) => ops.splice(0, ops.length, ...records.map((record): LogOp => ({ op: 'put', record }))),
      close: () => {},
    };
    const { store } = await MemoryStore.open({ dim: DIM, indexFactory: flatIndexFactory, backend });
    store.add(rec('a', vec(1)));
    store.add(rec('b', vec(0, 1)));
    store.touch('a', 9);
    store.delete('b');
    failNext = true;
    expect(() => store.add(rec('c', vec(1)))).toThrow('disk full');
    expect(() => store.touch('a', 10)).toThrow('disk full');
    expect(store.size).toBe(1);
    expect(store.get('a')?.lastAccess).toBe(9);
    failNext = false;
    expect(ops.map((o) => o.op)).toEqual(['put', 'put', 'touch', 'delete']);
    store.compact();
    expect(ops).toEqual([{ op: 'put', record: rec('a', vec(1), { lastAccess: 9 }) }]);
    const { store: again } = await MemoryStore.open({ dim: DIM, indexFactory: flatIndexFactory, backend });
    expect(again.all()).toEqual(store.all());
    const wrongDim = MemoryStore.open({ dim: DIM + 1, indexFactory: flatIndexFactory, backend });
    await expect(wrongDim).rejects.toThrow(MemoryError);
  });
});
