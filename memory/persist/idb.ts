// IdbLog: the browser's MemoryBackend, an append-only op log in IndexedDB (through the `idb`
// package). The counterpart of FileLog (./log.ts, Node): the same ops (put / delete / touch), the
// same LoadReport from load(), compact() replacing everything with one put per live record.
//
// Storage. One database per log, one object store `ops` with auto-increment keys; every entry is
// one op, its record (for a put) stored exactly as in a MemorySnapshot (SerializedRecord: the
// embedding as base64 of its little-endian float32 bytes), so a log's contents and a snapshot are
// interchangeable. The keys give the log order (a key generator never goes back, even after a
// clear()).
//
// Bridging the synchronous interface. MemoryBackend.append/compact/close are synchronous but
// IndexedDB is not, so:
//   - append() validates and encodes the op at once (later changes to the caller's record cannot
//     leak into the log) and queues it; compact() does the same with its records (replacing
//     whatever is queued but not yet started: its records already include those ops);
//   - the queue is written by ONE chain of promises: each link is a single readwrite transaction
//     holding every op queued since the previous link started (group commit), and a link starts
//     only after the previous transaction completed. So the log order is the append order, and
//     a failed transaction stops the chain (nothing after a lost op is ever written: what is
//     stored is always a prefix of the appends, as with FileLog);
//   - flush() returns a promise that resolves once everything appended so far is committed, and
//     rejects with the error of a failed transaction. After a failure the log refuses further
//     appends (MemoryError 'closed'); reopen it to recover.
//
// Durability. An append is durable once a flush() called after it resolves (not when append
// returns). Transactions use durability 'strict' by default (the commit waits for the data to
// reach the disk, like FileLog's fsync 'always'); 'relaxed' commits once the browser has the data
// (survives closing the tab, not necessarily a power loss or an OS crash). Writes still queued or
// in flight when the page unloads may be lost, so await flush() before navigating away or
// reloading. A crash loses a suffix of the appends, never a middle: each transaction is atomic
// and they run strictly one after another. close() queues the connection's closing behind the
// pending writes; await flush() after close() to know they are done.
//
// load() validates every entry; one that is not a valid op (only possible if something else wrote
// into the database, or a different version of this code did) is reported in `dropped` with
// reason 'bad-payload' and deleted, like FileLog's repair. For IndexedDB a DroppedRange's
// `offset` is the entry's key (its position in the log; -1 for a key that is not a number) and
// `bytes` the UTF-8 length of its JSON text (0 when it has none).

import { deleteDB, openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { DroppedRange, LoadReport, LogOp, MemoryBackend } from '../store/backend.ts';
import { decodeRecord, encodeRecord, type SerializedRecord } from '../store/codec.ts';
import { MemoryError } from '../store/errors.ts';
import type { MemoryRecord } from '../types.ts';

/** An op as stored: a put's record as in a MemorySnapshot. */
export type StoredOp =
  | { op: 'put'; record: SerializedRecord }
  | { op: 'delete'; id: string }
  | { op: 'touch'; id: string; lastAccess: number };

const STORE = 'ops';
const DB_VERSION = 1;

interface LogSchema extends DBSchema {
  ops: { key: number; value: StoredOp };
}

export type IdbDurability = 'strict' | 'relaxed' | 'default';

export interface IdbLogOptions {
  /** Durability hint of the write transactions (default 'strict'). */
  durability?: IdbDurability;
}

/** One link of the write chain: a transaction that optionally clears the store, then adds values. */
interface Batch {
  clear: boolean;
  values: StoredOp[];
}

export function encodeOp(op: LogOp): StoredOp {
  switch (op.op) {
    case 'put':
      return { op: 'put', record: encodeRecord(op.record) };
    case 'delete':
      return { op: 'delete', id: op.id };
    case 'touch':
      return { op: 'touch', id: op.id, lastAccess: op.lastAccess };
  }
}

/** Decodes and validates one stored op; throws (MemoryError or other) when it is not one. */
export function decodeOp(value: unknown): LogOp {
  if (typeof value !== 'object' || value === null) throw new MemoryError('invalid-encoding', 'op is not an object');
  const v = value as Record<string, unknown>;
  const validId = (id: unknown): id is string => typeof id === 'string' && id.length > 0;
  switch (v.op) {
    case 'put':
      return { op: 'put', record: decodeRecord(v.record) };
    case 'delete':
      if (!validId(v.id)) throw new MemoryError('invalid-encoding', 'delete op without an id');
      return { op: 'delete', id: v.id };
    case 'touch':
      if (!validId(v.id)) throw new MemoryError('invalid-encoding', 'touch op without an id');
      if (typeof v.lastAccess !== 'number' || !Number.isFinite(v.lastAccess)) {
        throw new MemoryError('invalid-encoding', `touch op with lastAccess ${String(v.lastAccess)}`);
      }
      return { op: 'touch', id: v.id, lastAccess: v.lastAccess };
    default:
      throw new MemoryError('invalid-encoding', `unknown op ${JSON.stringify(v.op) ?? String(v.op)}`);
  }
}

function jsonBytes(value: unknown): number {
  try {
    const text = JSON.stringify(value) as string | undefined;
    return text === undefined ? 0 : new TextEncoder().encode(text).length;
  } catch {
    return 0;
  }
}

export class IdbLog implements MemoryBackend {
  readonly durability: IdbDurability;
  private db: IDBPDatabase<LogSchema> | null = null;
  private state: 'new' | 'loading' | 'open' | 'failed' | 'closed' = 'new';
  /** The end of the write chain: settles (never rejects) when every queued batch has been tried. */
  private tail: Promise<void> = Promise.resolve();
  /** The batch queued behind the running one (ops join it until it starts). */
  private queued: Batch | null = null;
  private failure: Error | null = null;

  /** `name` is the IndexedDB database name (one log per database). */
  constructor(
    readonly name: string,
    options: IdbLogOptions = {},
  ) {
    this.durability = options.durability ?? 'strict';
  }

  /** Opens (creating if absent) and repairs the log: the intact ops, what was dropped, and the log. */
  static async open(name: string, options: IdbLogOptions = {}): Promise<LoadReport & { log: IdbLog }> {
    const log = new IdbLog(name, options);
    return { ...(await log.load()), log };
  }

  /** Deletes a log's database (resolves once it is gone; waits for open connections to close). */
  static async destroy(name: string): Promise<void> {
    await deleteDB(name);
  }

  async load(): Promise<LoadReport> {
    if (this.state !== 'new') throw new Error(`IdbLog ${this.name}: load() called twice`);
    this.state = 'loading';
    try {
      const db = await openDB<LogSchema>(this.name, DB_VERSION, {
        upgrade(upgradeDb) {
          if (!upgradeDb.objectStoreNames.contains(STORE)) upgradeDb.createObjectStore(STORE, { autoIncrement: true });
        },
      });
      this.db = db;
      const tx = db.transaction(STORE, 'readonly');
      const [keys, values] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll(), tx.done]);
      const records: LogOp[] = [];
      const dropped: DroppedRange[] = [];
      const badKeys: number[] = [];
      values.forEach((value: unknown, i) => {
        try {
          records.push(decodeOp(value));
        } catch {
          const key: unknown = keys[i];
          dropped.push({ offset: typeof key === 'number' ? key : -1, bytes: jsonBytes(value), reason: 'bad-payload' });
          if (typeof key === 'number') badKeys.push(key);
        }
      });
      if (badKeys.length > 0) {
        const repair = db.transaction(STORE, 'readwrite', { durability: this.durability });
        await Promise.all([...badKeys.map((k) => repair.store.delete(k)), repair.done]);
      }
      if (this.state !== 'loading') throw new MemoryError('closed', `IdbLog ${this.name} was closed while loading`);
      this.state = 'open';
      return { records, dropped };
    } catch (e) {
      if (this.state === 'loading') this.state = 'failed';
      this.db?.close();
      this.db = null;
      throw e;
    }
  }

  private checkOpen(): void {
    if (this.state !== 'open') {
      const what = this.state === 'new' || this.state === 'loading' ? 'not loaded' : this.state;
      throw new MemoryError('closed', `IdbLog ${this.name} is ${what}${this.failure === null ? '' : ` (${this.failure.message})`}`);
    }
  }

  /** Queues the op (encoded now); durable once a later flush() resolves. */
  append(op: LogOp): void {
    this.checkOpen();
    this.enqueue(false, [encodeOp(op)]);
  }

  /** Queues one transaction that replaces the log with one put per record (encoded now). */
  compact(records: readonly MemoryRecord[]): void {
    this.checkOpen();
    this.enqueue(
      true,
      records.map((record) => ({ op: 'put', record: encodeRecord(record) })),
    );
  }

  /** Resolves when every op appended (and compaction queued) so far is committed; rejects if a write failed. */
  async flush(): Promise<void> {
    await this.tail;
    if (this.failure !== null) throw this.failure;
  }

  /** Refuses further appends and closes the connection once the queued writes are done (see flush()). */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.tail = this.tail.then(() => {
      this.db?.close();
      this.db = null;
    });
  }

  private enqueue(clear: boolean, values: StoredOp[]): void {
    const q = this.queued;
    if (q !== null) {
      // Not started yet: join it. A compaction supersedes what is queued (its records include those ops).
      if (clear) {
        q.clear = true;
        q.values = values;
      } else {
        q.values.push(...values);
      }
      return;
    }
    const batch: Batch = { clear, values };
    this.queued = batch;
    this.tail = this.tail.then(async () => {
      if (this.queued === batch) this.queued = null;
      if (this.failure !== null) return;
      try {
        await this.write(batch);
      } catch (e) {
        this.failure = e instanceof Error ? e : new Error(`IdbLog ${this.name}: write failed: ${String(e)}`);
        if (this.state === 'open') this.state = 'failed';
      }
    });
  }

  private async write(batch: Batch): Promise<void> {
    const db = this.db;
    if (db === null) throw new MemoryError('closed', `IdbLog ${this.name} has no connection`);
    const tx = db.transaction(STORE, 'readwrite', { durability: this.durability });
    const requests: Promise<unknown>[] = [];
    try {
      if (batch.clear) requests.push(tx.store.clear());
      for (const value of batch.values) requests.push(tx.store.add(value));
    } catch (e) {
      // A request that throws at once (e.g. DataCloneError) does not abort the transaction by
      // itself: abort it so the batch stays all-or-nothing.
      tx.abort();
      await Promise.allSettled([...requests, tx.done]);
      throw e;
    }
    // A failed request aborts the transaction (all-or-nothing); tx.done then rejects too.
    await Promise.all([...requests, tx.done]);
  }
}
