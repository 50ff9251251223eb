// The shapes of the long-term memory: records, the vector index interface, the embedder interface.
// memory/ knows nothing of the world: it can be lifted out as a library.

export const MEMORY_KINDS = ['observation', 'event', 'outcome', 'reflection', 'skill'] as const;
export type MemoryKind = (typeof MEMORY_KINDS)[number];

/** One memory. JSON-safe except `embedding`, which is a Float32Array (stored as numbers in snapshots). */
export interface MemoryRecord {
  id: string;
  kind: MemoryKind;
  text: string;
  embedding: Float32Array;
  /** The episode it was written in. */
  episode: string;
  /** Simulated time it was written, seconds. */
  simTime: number;
  /** In [0, 1]: a failure or a found target matters more than an empty glance. */
  importance: number;
  /** Simulated time it was last retrieved, seconds. */
  lastAccess: number;
  entityIds: string[];
  position: [number, number, number] | null;
}

export interface SearchHit {
  /** Internal label of the vector (stable for the life of the index). */
  label: number;
  /** Cosine similarity in [-1, 1] (vectors are normalised on insert). */
  similarity: number;
}

/** Approximate or exact nearest-neighbour search over normalised vectors (cosine similarity). */
export interface VectorIndex {
  readonly dim: number;
  /** Number of live (not deleted) vectors. */
  readonly size: number;
  add(label: number, vector: Float32Array): void;
  /** Marks a vector deleted (a tombstone); it is never returned again. */
  delete(label: number): boolean;
  has(label: number): boolean;
  search(query: Float32Array, k: number): SearchHit[];
  /** Rebuilds internal structures without the tombstones. */
  compact(): void;
}

/** Turns text into a vector of a fixed dimension. */
export interface Embedder {
  readonly name: string;
  readonly dim: number;
  embed(text: string): Float32Array;
}
