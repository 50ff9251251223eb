// The vector indexes of memory/: createIndex() picks one; the classes and the error type are re-exported.
//
//   'exact'  ExactIndex: flat scan, exact, O(n · dim) per query.
//   'hnsw'   HnswIndex: HNSW graph, approximate (recall@10 ≥ 0.95 at efSearch 64 on clustered data).
//   'auto'   ExactIndex until AUTO_THRESHOLD live vectors, then HnswIndex (AutoIndex).
//
// AUTO_THRESHOLD = 2,000, from bench/memory.bench.ts `crossover` (dim 128, k 10, efSearch 64, SIMD kernel, this
// 2-core machine): the scan answers 36k q/s at 1,000 vectors, 19.0k at 2,000, 13.7k at 2,500, 7.8k at 5,000 (cost
// ∝ n); HNSW answers 21.8k, 18.1k, 17.1k, 16.7k (nearly flat). They cross between 2,000 and 2,500; below that the
// scan is at least as fast, exact, and free to build (HNSW inserts cost ~0.1-0.3 ms each), above it the graph wins
// by a factor growing with n (5.0k vs 360 q/s at 100,000).

import type { VectorIndex } from '../types.ts';
import { AutoIndex, exactOptions } from './auto.ts';
import { ExactIndex } from './exact.ts';
import { HnswIndex, type HnswOptions } from './hnsw.ts';

export { AutoIndex } from './auto.ts';
export { ExactIndex, type ExactOptions } from './exact.ts';
export { HNSW_DEFAULTS, HnswIndex, type HnswOptions } from './hnsw.ts';
export { VectorIndexError, type VectorIndexErrorCode } from './errors.ts';
export { dot, dotReference } from './dot.ts';
export { simdAvailable } from './simd.ts';

export const AUTO_THRESHOLD = 2000;

export type IndexKind = 'exact' | 'hnsw' | 'auto';

export interface CreateIndexOptions extends HnswOptions {
  kind: IndexKind;
  /** For 'auto': live vectors at which the scan hands over to HNSW (default AUTO_THRESHOLD). */
  threshold?: number;
}

export function createIndex(options: CreateIndexOptions): VectorIndex {
  const { kind, threshold, ...hnsw } = options;
  switch (kind) {
    case 'exact':
      return new ExactIndex(exactOptions(hnsw));
    case 'hnsw':
      return new HnswIndex(hnsw);
    case 'auto':
      return new AutoIndex({ ...hnsw, threshold: threshold ?? AUTO_THRESHOLD });
  }
}
