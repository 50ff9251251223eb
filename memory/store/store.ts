// MemoryStore: the records of one agent's long-term memory, a VectorIndex over their embeddings
// (from a factory: any implementation of memory/types.ts), and optionally a MemoryBackend that
// every mutation is written to before it is applied (MemoryStore.open replays it).
// Records go in and come out as copies; invalid input throws MemoryError.

import type { MemoryRecord, VectorIndex } from '../types.ts';
import type { LoadReport, LogOp, MemoryBackend } from './backend.ts';
import { checkRecord, checkVector, cloneRecord, decodeRecord, encodeRecord, type SerializedRecord } from './codec.ts';
import { MemoryError } from './errors.ts';

export type IndexFactory = (dim: number) => VectorIndex;

export interface MemoryStoreOptions {
  /** Embedding dimension every record must have. */
  dim: number;
  indexFactory: IndexFactory;
}

/** JSON-safe image of a store: records in insertion order, embeddings as base64. */
export interface MemorySnapshot {
  version: 1;
  dim: number;
  records: SerializedRecord[];
}

export interface ScoredRecord {
  record: MemoryRecord;
  /** Cosine similarity to the query, from the index. */
  similarity: number;
}

export interface SearchOptions {
  k: number;
  /** When given, the returned records are touched: lastAccess = now (simulated seconds). */
  now?: number;
}

interface Entry {
  record: MemoryRecord;
  label: number;
}

export class MemoryStore {
  readonly dim: number;
  private readonly index: VectorIndex;
  private readonly entries = new Map<string, Entry>();
  private readonly idByLabel = new Map<number, string>();
  private nextLabel = 0;
  private backend: MemoryBackend | null = null;

  /** An in-memory store (no persistence); see MemoryStore.open for one with a backend. */
  constructor(options: MemoryStoreOptions) {
    if (!Number.isInteger(options.dim) || options.dim < 1) {
      throw new MemoryError('dimension-mismatch', `dim must be a positive integer, got ${options.dim}`);
    }
    this.dim = options.dim;
    this.index = options.indexFactory(options.dim);
    if (this.index.dim !== this.dim) {
      throw new MemoryError('dimension-mismatch', `index factory made an index of ${this.index.dim} dimensions, not ${this.dim}`);
    }
  }

  /** Loads the backend, replays its ops, and returns a store that logs every mutation to it. */
  static async open(options: MemoryStoreOptions & { backend: MemoryBackend }): Promise<{ store: MemoryStore; report: LoadReport }> {
    const store = new MemoryStore(options);
    const report = await options.backend.load();
    for (const op of report.records) store.apply(op, true);
    store.backend = options.backend;
    return { store, report };
  }

  static restore(snapshot: MemorySnapshot, indexFactory: IndexFactory): MemoryStore {
    const s = snapshot as unknown as Record<string, unknown>;
    if (typeof s !== 'object' || s === null || s.version !== 1 || typeof s.dim !== 'number' || !Array.isArray(s.records)) {
      throw new MemoryError('invalid-snapshot', 'expected { version: 1, dim, records: [...] }');
    }
    const store = new MemoryStore({ dim: snapshot.dim, indexFactory });
    for (const r of s.records as unknown[]) store.add(decodeRecord(r));
    return store;
  }

  get size(): number {
    return this.entries.size;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  get(id: string): MemoryRecord | undefined {
    const e = this.entries.get(id);
    return e && cloneRecord(e.record);
  }

  /** All records, in insertion order. */
  all(): MemoryRecord[] {
    return [...this.entries.values()].map((e) => cloneRecord(e.record));
  }

  /** Adds a new record (its id must be unused); returns the stored copy. */
  add(record: MemoryRecord): MemoryRecord {
    checkRecord(record, this.dim);
    if (this.entries.has(record.id)) throw new MemoryError('duplicate-id', `a record with id ${JSON.stringify(record.id)} exists`);
    this.apply({ op: 'put', record }, false);
    return cloneRecord(record);
  }

  delete(id: string): boolean {
    if (!this.entries.has(id)) return false;
    this.apply({ op: 'delete', id }, false);
    return true;
  }

  /** Sets lastAccess = simTime; false when there is no such record. */
  touch(id: string, simTime: number): boolean {
    if (!Number.isFinite(simTime)) throw new MemoryError('invalid-query', `touch time must be finite, got ${simTime}`);
    if (!this.entries.has(id)) return false;
    this.apply({ op: 'touch', id, lastAccess: simTime }, false);
    return true;
  }

  /** The k records most similar to the query, best first. */
  search(query: Float32Array, options: SearchOptions): ScoredRecord[] {
    this.checkQuery(query, options.k);
    if (options.now !== undefined && !Number.isFinite(options.now)) {
      throw new MemoryError('invalid-query', `now must be finite, got ${options.now}`);
    }
    const out: ScoredRecord[] = [];
    for (const hit of this.index.search(query, options.k)) {
      const id = this.idByLabel.get(hit.label);
      if (id === undefined) continue;
      if (options.now !== undefined) this.touch(id, options.now);
      const e = this.entries.get(id);
      if (e) out.push({ record: cloneRecord(e.record), similarity: hit.similarity });
    }
    return out;
  }

  /** The m records accessed most recently (lastAccess descending; ties: simTime descending, id), of those `where` keeps. */
  recent(m: number, where: (record: MemoryRecord) => boolean = () => true): MemoryRecord[] {
    const rs = [...this.entries.values()].map((e) => e.record).filter(where);
    rs.sort((a, b) => b.lastAccess - a.lastAccess || b.simTime - a.simTime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return rs.slice(0, Math.max(0, m)).map(cloneRecord);
  }

  snapshot(): MemorySnapshot {
    return { version: 1, dim: this.dim, records: [...this.entries.values()].map((e) => encodeRecord(e.record)) };
  }

  /** Drops the index's tombstones and rewrites the backend as one put per live record. */
  compact(): void {
    this.index.compact();
    this.backend?.compact([...this.entries.values()].map((e) => e.record));
  }

  close(): void {
    this.backend?.close();
    this.backend = null;
  }

  private checkQuery(query: Float32Array, k: number): void {
    if (!(query instanceof Float32Array)) throw new MemoryError('invalid-query', 'query must be a Float32Array');
    if (query.length !== this.dim) {
      throw new MemoryError('dimension-mismatch', `query has ${query.length} dimensions, the store has ${this.dim}`);
    }
    checkVector(query, 'query', 'invalid-query');
    if (!Number.isInteger(k) || k < 0) throw new MemoryError('invalid-query', `k must be a non-negative integer, got ${k}`);
  }

  /**
   * Logs (unless replaying) then applies one op. Replay is lenient where a log can legitimately
   * be: a put of a known id replaces it, a delete or touch of an unknown id is ignored.
   */
  private apply(op: LogOp, replay: boolean): void {
    if (op.op === 'put') checkRecord(op.record, this.dim);
    if (!replay) this.backend?.append(op);
    const e = this.entries.get(op.op === 'put' ? op.record.id : op.id);
    switch (op.op) {
      case 'put': {
        if (e) this.remove(op.record.id, e);
        const label = this.nextLabel++;
        const record = cloneRecord(op.record);
        this.index.add(label, new Float32Array(record.embedding));
        this.entries.set(record.id, { record, label });
        this.idByLabel.set(label, op.record.id);
        return;
      }
      case 'delete':
        if (e) this.remove(op.id, e);
        return;
      case 'touch':
        if (e) e.record.lastAccess = op.lastAccess;
        return;
    }
  }

  private remove(id: string, e: Entry): void {
    this.index.delete(e.label);
    this.idByLabel.delete(e.label);
    this.entries.delete(id);
  }
}
