// The persistence backend interface of MemoryStore, and the operations it records. A backend is a
// write-ahead log: the store appends an op before applying it, and replays load()'s ops on open.
// memory/persist/log.ts implements it on a file (Node); a browser could implement it on IndexedDB.

import type { MemoryRecord } from '../types.ts';

/** One logged mutation. Replaying the ops in order yields the store's state. */
export type LogOp =
  | { op: 'put'; record: MemoryRecord }
  | { op: 'delete'; id: string }
  | { op: 'touch'; id: string; lastAccess: number };

export type DropReason =
  | 'torn' // the file ends inside this frame (an interrupted append)
  | 'bad-magic' // no frame starts here
  | 'bad-length' // the length field is impossible (too large, or runs past the end while intact frames follow)
  | 'bad-crc' // the payload does not match its checksum
  | 'bad-payload'; // checksum fine, but not a valid op (JSON or record validation failed)

/** A byte range of the log that was discarded on load. */
export interface DroppedRange {
  offset: number;
  bytes: number;
  reason: DropReason;
}

export interface LoadReport {
  /** The intact ops, in log order. */
  records: LogOp[];
  /** What was discarded, in file order (empty for a clean log). */
  dropped: DroppedRange[];
}

/**
 * Durable storage for a MemoryStore. append/compact/close are synchronous: when append returns, the
 * op is as durable as the backend's policy promises (see memory/persist/log.ts), and a throw means
 * the op was not recorded (the store then leaves its state unchanged).
 */
export interface MemoryBackend {
  /** Reads (and repairs) the stored ops; called once, before any append. */
  load(): Promise<LoadReport>;
  append(op: LogOp): void;
  /** Atomically replaces the stored ops with one put per live record. */
  compact(records: readonly MemoryRecord[]): void;
  close(): void;
}
