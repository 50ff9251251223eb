// AutoIndex: an ExactIndex while the store is small, handing over to an HnswIndex once it reaches `threshold` live
// vectors (the scan is exact and, below the threshold, no slower than a graph walk; see index.ts for the number).
// The hand-over re-inserts the live vectors in insertion order, so it is deterministic. compact() hands back to a
// scan when fewer than threshold / 2 live vectors remain (the gap keeps it from flapping).

import type { SearchHit, VectorIndex } from '../types.ts';
import { VectorIndexError } from './errors.ts';
import { ExactIndex, type ExactOptions } from './exact.ts';
import { HNSW_DEFAULTS, HnswIndex, type HnswOptions } from './hnsw.ts';

/** The ExactIndex options within HNSW ones. */
export function exactOptions(options: HnswOptions): ExactOptions {
  const out: ExactOptions = { dim: options.dim };
  if (options.capacity !== undefined) out.capacity = options.capacity;
  if (options.simd !== undefined) out.simd = options.simd;
  return out;
}

export class AutoIndex implements VectorIndex {
  readonly dim: number;
  readonly threshold: number;
  private inner: ExactIndex | HnswIndex;
  private readonly hnswOptions: HnswOptions;

  constructor(options: HnswOptions & { threshold: number }) {
    const { threshold, ...hnsw } = options;
    if (!Number.isInteger(threshold) || threshold < 1) {
      throw new VectorIndexError('bad-option', `threshold must be an integer >= 1, got ${threshold}`);
    }
    this.inner = new ExactIndex(exactOptions(options));
    this.dim = this.inner.dim;
    this.threshold = threshold;
    this.hnswOptions = hnsw;
  }

  /** Which index is answering now. */
  get kind(): 'exact' | 'hnsw' {
    return this.inner instanceof HnswIndex ? 'hnsw' : 'exact';
  }

  /** The HNSW beam width (kept for when the hand-over happens). */
  get efSearch(): number {
    return this.inner instanceof HnswIndex ? this.inner.efSearch : (this.hnswOptions.efSearch ?? HNSW_DEFAULTS.efSearch);
  }

  set efSearch(value: number) {
    if (!Number.isInteger(value) || value < 1) throw new VectorIndexError('bad-option', `efSearch must be an integer >= 1, got ${value}`);
    if (this.inner instanceof HnswIndex) this.inner.efSearch = value;
    this.hnswOptions.efSearch = value;
  }

  get size(): number {
    return this.inner.size;
  }

  add(label: number, vector: Float32Array): void {
    this.inner.add(label, vector);
    if (this.inner instanceof ExactIndex && this.inner.size >= this.threshold) {
      const exact = this.inner;
      const hnsw = new HnswIndex({ ...this.hnswOptions, capacity: Math.max(this.hnswOptions.capacity ?? 0, exact.size * 2) });
      exact.forEachLive((l, storage, offset) => hnsw.addUnit(l, storage, offset));
      this.inner = hnsw;
    }
  }

  delete(label: number): boolean {
    return this.inner.delete(label);
  }

  has(label: number): boolean {
    return this.inner.has(label);
  }

  search(query: Float32Array, k: number): SearchHit[] {
    return this.inner.search(query, k);
  }

  compact(): void {
    const inner = this.inner;
    if (inner instanceof HnswIndex && inner.size < this.threshold / 2) {
      const exact = new ExactIndex(exactOptions({ ...this.hnswOptions, capacity: inner.size }));
      inner.forEachLive((l, storage, offset) => exact.addUnit(l, storage, offset));
      this.inner = exact;
      return;
    }
    inner.compact();
  }
}
