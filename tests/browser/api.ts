// What tests/browser/memory-entry.ts exposes on `window` (shared by the page bundle and the Node
// test; no side effects, so Node can import it).

import type { DroppedRange } from '../../memory/store/backend.ts';
import type { MemorySnapshot } from '../../memory/store/store.ts';
import type { MemoryRecord } from '../../memory/types.ts';

export interface Hit {
  id: string;
  similarity: number;
}

export interface Reopened {
  snapshot: MemorySnapshot;
  /** Per query, the top-k hits. */
  hits: Hit[][];
  /** Ops replayed from IndexedDB. */
  ops: number;
  dropped: DroppedRange[];
}

export interface MemoryTestApi {
  /** Deletes `db`, opens a store on it and adds every record of the snapshot (logged op by op). */
  persist(snapshot: MemorySnapshot, db: string): Promise<number>;
  /** Reopens the store from IndexedDB (a fresh page load) and searches it (no touching). */
  reopen(db: string, dim: number, queries: number[][], k: number): Promise<Reopened>;
  /** Builds a store on a fresh `db` from deterministic records with adds, deletes and touches. */
  build(db: string, dim: number): Promise<{ snapshot: MemorySnapshot; all: MemoryRecordJson[] }>;
  /** Reopens `db`, compacts it (one put per live record) and closes it. */
  compact(db: string, dim: number): Promise<number>;
  /** Writes `values` straight into the log's object store (bypassing IdbLog), as junk would arrive. */
  inject(db: string, values: unknown[]): Promise<void>;
  search(snapshot: MemorySnapshot, queries: number[][], k: number): Hit[][];
}

/** A MemoryRecord with its embedding as a plain array (for comparing all() across the boundary). */
export type MemoryRecordJson = Omit<MemoryRecord, 'embedding'> & { embedding: number[] };

declare global {
  interface Window {
    /** Set by tests/browser/memory-entry.ts once the bundle has loaded. */
    memoryTest?: MemoryTestApi;
  }
}

export function toJson(r: MemoryRecord): MemoryRecordJson {
  return { ...r, embedding: Array.from(r.embedding) };
}

