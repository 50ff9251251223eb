// The vector indexes of memory/index: the unrolled dot product against the plain loop; HnswIndex recall against
// ExactIndex on clustered data; ordering and determinism; tombstones and compact(); snapshots; input errors; the
// factory and the exact → HNSW hand-over of 'auto'.
import { describe, expect, it } from 'vitest';
import { clusteredVectors } from '../../memory/index/clustered.ts';
import {
  AutoIndex,
  createIndex,
  dot,
  dotReference,
  ExactIndex,
  HnswIndex,
  simdAvailable,
  VectorIndexError,
  type VectorIndexErrorCode,
} from '../../memory/index/index.ts';
import { Mulberry32 } from '../../memory/index/rng.ts';
import { simdKernel, simdModuleBytes } from '../../memory/index/simd.ts';
import type { SearchHit, VectorIndex } from '../../memory/types.ts';

const DIM = 64;
const N = 5000;
const NQ = 100;
const K = 10;
const DATA = clusteredVectors({ n: N, dim: DIM, clusters: 50, seed: 11 });
const QUERIES = clusteredVectors({ n: NQ, dim: DIM, clusters: 50, seed: 11, pointSeed: 12 });
const row = (data: Float32Array, i: number, dim = DIM): Float32Array => data.subarray(i * dim, (i + 1) * dim);
const query = (i: number): Float32Array => row(QUERIES, i);

function fill<T extends VectorIndex>(index: T, n = N, data = DATA): T {
  for (let i = 0; i < n; i++) index.add(i, row(data, i));
  return index;
}

/** Mean recall@k of `index` against `oracle` over the test queries. */
function recall(index: VectorIndex, oracle: VectorIndex, k = K): number {
  let hits = 0;
  let total = 0;
  for (let q = 0; q < NQ; q++) {
    const want = new Set(oracle.search(query(q), k).map((h) => h.label));
    for (const h of index.search(query(q), k)) if (want.has(h.label)) hits++;
    total += want.size;
  }
  return hits / total;
}

function expectSorted(hits: SearchHit[]): void {
  for (let i = 1; i < hits.length; i++) {
    const a = hits[i - 1]!;
    const b = hits[i]!;
    expect(a.similarity > b.similarity || (a.similarity === b.similarity && a.label < b.label), `hits ${i - 1}, ${i}`).toBe(true);
  }
}

function expectError(fn: () => unknown, code: VectorIndexErrorCode): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(VectorIndexError);
    expect((error as VectorIndexError).code).toBe(code);
    return;
  }
  throw new Error(`expected a VectorIndexError(${code})`);
}

// One HNSW over the whole data set, shared by the read-only tests.
const oracle = fill(new ExactIndex({ dim: DIM }));
const hnsw = fill(new HnswIndex({ dim: DIM }));

describe('dot', () => {
  it('matches the plain loop on random data, odd lengths and offsets', () => {
    const rng = new Mulberry32(5);
    const uniform = (): number => rng.nextOpenClosed() * 2 - 1;
    for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 63, 64, 65, 127, 128, 129, 255, 384, 1000, 1023]) {
      for (let trial = 0; trial < 5; trial++) {
        const aOff = trial;
        const bOff = 2 * trial + 1;
        const a = Float32Array.from({ length: n + aOff + 3 }, uniform);
        const b = Float32Array.from({ length: n + bOff + 3 }, uniform);
        const want = dotReference(a, aOff, b, bOff, n);
        let scale = 0;
        for (let i = 0; i < n; i++) scale += Math.abs(a[aOff + i]! * b[bOff + i]!);
        expect(Math.abs(dot(a, aOff, b, bOff, n) - want), `n=${n}`).toBeLessThanOrEqual(1e-12 * Math.max(1, scale));
      }
    }
  });
});

describe('SIMD kernel', () => {
  it('is available here (so the bench measures it) and its bytes are valid WebAssembly', () => {
    expect(WebAssembly.validate(simdModuleBytes())).toBe(true);
    expect(simdAvailable()).toBe(true);
  });

  it('matches the plain loop to float32 accuracy on random data, odd lengths and unaligned offsets', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const kernel = simdKernel(memory)!;
    const f = new Float32Array(memory.buffer);
    const rng = new Mulberry32(6);
    for (let i = 0; i < f.length; i++) f[i] = rng.nextOpenClosed() * 2 - 1;
    for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 63, 64, 65, 127, 128, 129, 255, 384, 1000, 1023]) {
      for (const [aOff, bOff] of [[0, 4096], [1, 5003], [7, 9000]] as const) {
        const want = dotReference(f, aOff, f, bOff, n);
        let scale = 0;
        for (let i = 0; i < n; i++) scale += Math.abs(f[aOff + i]! * f[bOff + i]!);
        const got = kernel(aOff * 4, bOff * 4, n);
        expect(Math.abs(got - want), `n=${n} offsets ${aOff}, ${bOff}`).toBeLessThanOrEqual((n + 2) * 1.2e-7 * Math.max(1, scale));
      }
    }
  });

  it('gives the same neighbours as the JS fallback', () => {
    const wasm = fill(new HnswIndex({ dim: DIM }), 2000);
    const js = fill(new HnswIndex({ dim: DIM, simd: false }), 2000);
    const exact = fill(new ExactIndex({ dim: DIM, simd: false }), 2000);
    expect(recall(js, exact)).toBeGreaterThanOrEqual(0.95);
    expect(recall(wasm, js)).toBeGreaterThanOrEqual(0.95);
  });
});

describe('HnswIndex', () => {
  it('reaches recall@10 >= 0.95 at efSearch 64 against the exact scan (5,000 × 64, clustered)', () => {
    hnsw.efSearch = 64;
    const r = recall(hnsw, oracle);
    expect(r).toBeGreaterThanOrEqual(0.95);
  });

  it('the recall bar bites: a crippled graph (M 2, efConstruction 2) on the same data falls below it', () => {
    const weak = fill(new HnswIndex({ dim: DIM, M: 2, efConstruction: 2, efSearch: 64 }));
    expect(recall(weak, oracle)).toBeLessThan(0.95);
  });

  it('returns k hits sorted by similarity then label, with the exact cosine similarities', () => {
    for (let q = 0; q < 20; q++) {
      const hits = hnsw.search(query(q), K);
      expect(hits).toHaveLength(K);
      expectSorted(hits);
      const exactSims = new Map(oracle.search(query(q), N).map((h) => [h.label, h.similarity]));
      for (const h of hits) expect(h.similarity).toBeCloseTo(exactSims.get(h.label)!, 6);
    }
  });

  it('is deterministic: the same inserts give the same graph and the same results', () => {
    const a = fill(new HnswIndex({ dim: DIM, seed: 3 }), 1500);
    const b = fill(new HnswIndex({ dim: DIM, seed: 3 }), 1500);
    expect(new Uint8Array(a.serialize())).toEqual(new Uint8Array(b.serialize()));
    for (let q = 0; q < 20; q++) expect(a.search(query(q), K)).toEqual(b.search(query(q), K));
    const c = fill(new HnswIndex({ dim: DIM, seed: 4 }), 1500);
    expect(new Uint8Array(c.serialize())).not.toEqual(new Uint8Array(a.serialize()));
  });

  it('never returns deleted labels and keeps recall among the live ones', () => {
    const index = fill(new HnswIndex({ dim: DIM }), 3000);
    const live = fill(new ExactIndex({ dim: DIM }), 3000);
    const rng = new Mulberry32(9);
    const gone = new Set<number>();
    while (gone.size < 900) gone.add(rng.nextUint32() % 3000);
    for (const label of gone) {
      expect(index.delete(label)).toBe(true);
      live.delete(label);
    }
    expect(index.delete([...gone][0]!)).toBe(false);
    expect(index.size).toBe(2100);
    expect(index.has([...gone][0]!)).toBe(false);
    for (let q = 0; q < NQ; q++) {
      for (const h of index.search(query(q), 50)) expect(gone.has(h.label), `label ${h.label} was deleted`).toBe(false);
    }
    expect(recall(index, live)).toBeGreaterThanOrEqual(0.95);
  });

  it('compact() drops tombstones, keeps results right and equals a fresh build of the live vectors', () => {
    const index = fill(new HnswIndex({ dim: DIM }), 2000);
    const live = fill(new ExactIndex({ dim: DIM }), 2000);
    for (let label = 0; label < 2000; label += 3) {
      index.delete(label);
      live.delete(label);
    }
    index.compact();
    expect(index.size).toBe(live.size);
    expect(recall(index, live)).toBeGreaterThanOrEqual(0.95);
    for (let q = 0; q < 20; q++) for (const h of index.search(query(q), 20)) expect(h.label % 3).not.toBe(0);
    const fresh = new HnswIndex({ dim: DIM });
    for (let i = 0; i < 2000; i++) if (i % 3 !== 0) fresh.add(i, row(DATA, i));
    expect(new Uint8Array(index.serialize())).toEqual(new Uint8Array(fresh.serialize()));
    // Labels stay usable after compaction: a deleted label can come back, a live one cannot be added twice.
    index.add(0, row(DATA, 0));
    expect(index.search(row(DATA, 0), 1)[0]!.label).toBe(0);
    expectError(() => index.add(1, row(DATA, 1)), 'duplicate-label');
  });

  it('serializes to an ArrayBuffer and restores an identical, still-deterministic index', () => {
    const a = fill(new HnswIndex({ dim: DIM, efSearch: 40 }), 1200);
    a.delete(7);
    const b = HnswIndex.deserialize(a.serialize());
    expect(b.size).toBe(a.size);
    expect(b.efSearch).toBe(40);
    expect(b.has(7)).toBe(false);
    for (let q = 0; q < 20; q++) expect(b.search(query(q), K)).toEqual(a.search(query(q), K));
    for (let i = 1200; i < 1300; i++) {
      a.add(i, row(DATA, i));
      b.add(i, row(DATA, i));
    }
    expect(new Uint8Array(b.serialize())).toEqual(new Uint8Array(a.serialize()));
    const bytes = new Uint8Array(a.serialize());
    expectError(() => HnswIndex.deserialize(bytes.slice(0, 100).buffer), 'bad-snapshot');
    const corrupt = bytes.slice();
    corrupt[0] = 0;
    expectError(() => HnswIndex.deserialize(corrupt.buffer), 'bad-snapshot');
  });
});

describe.each([
  ['exact', (dim: number): VectorIndex => new ExactIndex({ dim })],
  ['exact (JS kernel)', (dim: number): VectorIndex => new ExactIndex({ dim, simd: false })],
  ['hnsw', (dim: number): VectorIndex => new HnswIndex({ dim })],
  ['hnsw (JS kernel)', (dim: number): VectorIndex => new HnswIndex({ dim, simd: false })],
  ['auto', (dim: number): VectorIndex => createIndex({ kind: 'auto', dim })],
])('%s index contract', (_name, make) => {
  it('returns [] when empty and for k = 0', () => {
    const index = make(DIM);
    expect(index.search(query(0), 5)).toEqual([]);
    index.add(1, row(DATA, 1));
    expect(index.search(query(0), 0)).toEqual([]);
  });

  it('returns every live vector, sorted, when k exceeds the size', () => {
    const index = make(DIM);
    for (let i = 0; i < 300; i++) index.add(i, row(DATA, i));
    index.delete(5);
    const hits = index.search(query(0), 1000);
    expect(hits).toHaveLength(299);
    expectSorted(hits);
    expect(hits.some((h) => h.label === 5)).toBe(false);
  });

  it('rejects wrong dimensions, NaN / infinite components and duplicate labels with a VectorIndexError', () => {
    const index = make(4);
    index.add(1, new Float32Array([1, 0, 0, 0]));
    expectError(() => index.add(2, new Float32Array(3)), 'dimension-mismatch');
    expectError(() => index.search(new Float32Array(5), 1), 'dimension-mismatch');
    expectError(() => index.add(2, new Float32Array([1, Number.NaN, 0, 0])), 'not-finite');
    expectError(() => index.add(2, new Float32Array([1, Number.POSITIVE_INFINITY, 0, 0])), 'not-finite');
    expectError(() => index.search(new Float32Array([Number.NaN, 0, 0, 0]), 1), 'not-finite');
    expectError(() => index.add(1, new Float32Array([0, 1, 0, 0])), 'duplicate-label');
    expectError(() => index.add(1.5, new Float32Array([0, 1, 0, 0])), 'bad-label');
    expectError(() => index.search(new Float32Array([1, 0, 0, 0]), -1), 'bad-option');
    expect(index.size).toBe(1);
    // A deleted label may be added again.
    expect(index.delete(1)).toBe(true);
    index.add(1, new Float32Array([0, 1, 0, 0]));
    expect(index.search(new Float32Array([0, 2, 0, 0]), 1)).toEqual([{ label: 1, similarity: 1 }]);
  });

  it('breaks similarity ties by the lower label', () => {
    const index = make(4);
    for (const label of [9, 3, 7]) index.add(label, new Float32Array([1, 1, 0, 0]));
    index.add(1, new Float32Array([0, 0, 1, 0]));
    expect(index.search(new Float32Array([1, 1, 0, 0]), 3).map((h) => h.label)).toEqual([3, 7, 9]);
  });
});

describe('createIndex', () => {
  it('builds each kind and rejects bad options', () => {
    expect(createIndex({ kind: 'exact', dim: 8 })).toBeInstanceOf(ExactIndex);
    expect(createIndex({ kind: 'hnsw', dim: 8, M: 8 })).toBeInstanceOf(HnswIndex);
    expect(createIndex({ kind: 'auto', dim: 8 })).toBeInstanceOf(AutoIndex);
    expectError(() => createIndex({ kind: 'hnsw', dim: 0 }), 'bad-option');
    expectError(() => createIndex({ kind: 'hnsw', dim: 8, M: 1 }), 'bad-option');
    expectError(() => new HnswIndex({ dim: 8 }).efSearch = 0, 'bad-option');
  });

  it("'auto' scans below the threshold, hands over to HNSW at it, and back after compacting", () => {
    const index = new AutoIndex({ dim: DIM, threshold: 1000 });
    fill(index, 999);
    expect(index.kind).toBe('exact');
    const before = index.search(query(0), K);
    index.add(999, row(DATA, 999));
    expect(index.kind).toBe('hnsw');
    expect(index.size).toBe(1000);
    const exact = fill(new ExactIndex({ dim: DIM }), 1000);
    expect(recall(index, exact)).toBeGreaterThanOrEqual(0.95);
    expect(before.length).toBe(K);
    for (let label = 0; label < 600; label++) index.delete(label);
    index.compact();
    expect(index.kind).toBe('exact');
    expect(index.size).toBe(400);
    expect(index.search(query(1), 5)).toEqual(exact.search(query(1), 1000).filter((h) => h.label >= 600).slice(0, 5));
  });
});
