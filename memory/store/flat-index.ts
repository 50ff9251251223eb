// FlatIndex: the smallest exact VectorIndex (a linear scan of normalised vectors). The reference
// for tests and for stores small enough that a scan is fast enough (a few thousand vectors).

import type { SearchHit, VectorIndex } from '../types.ts';

function normalised(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
  return v.map((x) => x * inv);
}

export class FlatIndex implements VectorIndex {
  private readonly vectors = new Map<number, Float32Array>();
  constructor(readonly dim: number) {}

  get size(): number {
    return this.vectors.size;
  }

  add(label: number, vector: Float32Array): void {
    if (vector.length !== this.dim) throw new RangeError(`vector of ${vector.length} dimensions, index has ${this.dim}`);
    this.vectors.set(label, normalised(vector));
  }

  delete(label: number): boolean {
    return this.vectors.delete(label);
  }

  has(label: number): boolean {
    return this.vectors.has(label);
  }

  /** The k most similar, best first; ties by ascending label. */
  search(query: Float32Array, k: number): SearchHit[] {
    const q = normalised(query);
    const hits: SearchHit[] = [];
    for (const [label, v] of this.vectors) {
      let dot = 0;
      for (let i = 0; i < this.dim; i++) dot += (q[i] ?? 0) * (v[i] ?? 0);
      hits.push({ label, similarity: dot });
    }
    hits.sort((a, b) => b.similarity - a.similarity || a.label - b.label);
    return hits.slice(0, Math.max(0, k));
  }

  compact(): void {}
}

export const flatIndexFactory = (dim: number): VectorIndex => new FlatIndex(dim);
