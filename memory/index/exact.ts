// ExactIndex: a flat scan over all live vectors. The test oracle for HnswIndex and the right choice for small stores
// (a scan is exact, costs nothing to build, and below a few thousand vectors is as fast as a graph walk).
//
// Layout: rows: VectorRows (rows.ts), slot i's unit vector at rows.data[(i + 1) · dim ..]; labels: Float64Array
// [capacity]; deleted: Uint8Array [capacity] (1 = tombstone). Slots fill in insertion order; compact() squeezes out
// the tombstones keeping that order.

import type { SearchHit, VectorIndex } from '../types.ts';
import { VectorIndexError } from './errors.ts';
import { VectorRows } from './rows.ts';
import { TopK } from './topk.ts';
import { checkDim, checkK, checkLabel, checkVector, normaliseInto } from './vector.ts';

export interface ExactOptions {
  dim: number;
  capacity?: number;
  /** Use the WebAssembly SIMD kernel where available (default true); false forces the JS loop. */
  simd?: boolean;
}

export class ExactIndex implements VectorIndex {
  readonly dim: number;
  private readonly rows: VectorRows;
  private labels: Float64Array;
  private deleted: Uint8Array;
  /** Slots used, tombstones included. */
  private count = 0;
  private live = 0;
  /** Live label → slot. */
  private readonly slotOf = new Map<number, number>();

  constructor(options: ExactOptions) {
    checkDim(options.dim);
    this.dim = options.dim;
    const capacity = Math.max(16, options.capacity ?? 0);
    this.rows = new VectorRows(this.dim, capacity, options.simd ?? true);
    this.labels = new Float64Array(capacity);
    this.deleted = new Uint8Array(capacity);
  }

  get size(): number {
    return this.live;
  }

  add(label: number, vector: Float32Array): void {
    checkLabel(label);
    checkVector(vector, this.dim, 'vector');
    const slot = this.claim(label);
    normaliseInto(vector, this.dim, this.rows.data, this.rows.offset(slot));
  }

  /** Adds an already-unit vector read from source[offset .. offset + dim) (used when another index hands over). */
  addUnit(label: number, source: Float32Array, offset: number): void {
    checkLabel(label);
    const slot = this.claim(label);
    this.rows.data.set(source.subarray(offset, offset + this.dim), this.rows.offset(slot));
  }

  delete(label: number): boolean {
    const slot = this.slotOf.get(label);
    if (slot === undefined) return false;
    this.slotOf.delete(label);
    this.deleted[slot] = 1;
    this.live--;
    return true;
  }

  has(label: number): boolean {
    return this.slotOf.has(label);
  }

  search(query: Float32Array, k: number): SearchHit[] {
    checkVector(query, this.dim, 'query');
    checkK(k);
    if (k === 0 || this.live === 0) return [];
    const { rows, labels, deleted, count } = this;
    normaliseInto(query, this.dim, rows.data, 0);
    const top = new TopK(Math.min(k, this.live));
    const { kernel, rowBytes, dim } = rows;
    let threshold = -Infinity;
    for (let i = 0; i < count; i++) {
      if (deleted[i] === 1) continue;
      const s = kernel(0, (i + 1) * rowBytes, dim);
      if (s < threshold) continue;
      top.offer(s, labels[i]!);
      threshold = top.threshold();
    }
    return top.result();
  }

  compact(): void {
    const { labels, deleted, dim } = this;
    const data = this.rows.data;
    let j = 0;
    for (let i = 0; i < this.count; i++) {
      if (deleted[i] === 1) continue;
      if (i !== j) {
        data.copyWithin(this.rows.offset(j), this.rows.offset(i), this.rows.offset(i) + dim);
        labels[j] = labels[i]!;
        this.slotOf.set(labels[i]!, j);
      }
      j++;
    }
    deleted.fill(0);
    this.count = j;
  }

  /** Calls fn(label, storage, offset) for every live vector in slot order (storage rows are unit vectors). */
  forEachLive(fn: (label: number, storage: Float32Array, offset: number) => void): void {
    for (let i = 0; i < this.count; i++) if (this.deleted[i] !== 1) fn(this.labels[i]!, this.rows.data, this.rows.offset(i));
  }

  /** Takes a slot for a new label (growing the arrays when full). */
  private claim(label: number): number {
    if (this.slotOf.has(label)) throw new VectorIndexError('duplicate-label', `label ${label} is already in the index`);
    if (this.count === this.labels.length) {
      const capacity = this.count * 2;
      this.rows.ensure(capacity, this.count);
      const labels = new Float64Array(capacity);
      labels.set(this.labels);
      const deleted = new Uint8Array(capacity);
      deleted.set(this.deleted);
      this.labels = labels;
      this.deleted = deleted;
    }
    const slot = this.count++;
    this.labels[slot] = label;
    this.slotOf.set(label, slot);
    this.live++;
    return slot;
  }
}
