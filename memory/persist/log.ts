// FileLog: the crash-safe append-only log file behind MemoryStore (Node, synchronous node:fs).
// Framing and resynchronisation: ./frame.ts. Single writer per file (no lock is taken).
//
// Opening scans the whole file (read into memory), keeps every intact frame and repairs the file
// so later appends are clean: damage only at the tail is truncated away; damage in the middle is
// cut out by rewriting the kept frames atomically (tmp file, fsync, rename, fsync the directory).
// A leftover `<path>.tmp` is an interrupted compaction or repair and is deleted.
//
// Durability. Every append is one synchronous write(2) of the whole frame, so once append()
// returns the bytes are in the kernel: a SIGKILL of this process loses nothing acknowledged
// under any policy (at worst a kill *during* append leaves a torn last frame, dropped on open).
// Power loss / kernel crash is what the policies differ in:
//   'always' - fdatasync after every append: nothing acknowledged is lost.
//   'batch'  - fdatasync every `batchSize` appends (default 32) and on sync()/close(): up to the
//              last batchSize-1 acknowledged appends can be lost (plus a torn frame).
//   'never'  - the kernel writes back when it likes (Linux: ~5-30 s): anything since the last
//              writeback can be lost. Only compaction and open-time repairs are fsynced.
// In every case what survives is a prefix of the appends (the log never reorders). "Durable"
// assumes the disk honours flushes (on macOS fsync does not reach the platter: F_FULLFSYNC).
// After a failed write or fsync the log refuses further appends (reopen it to recover).

import { closeSync, fdatasyncSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LoadReport, LogOp, MemoryBackend } from '../store/backend.ts';
import { MemoryError } from '../store/errors.ts';
import type { MemoryRecord } from '../types.ts';
import { encodeFrame, scanFrames } from './frame.ts';

export type FsyncPolicy = 'always' | 'batch' | 'never';

export interface LogOptions {
  /** Default 'always'. */
  fsync?: FsyncPolicy;
  /** Appends per fdatasync under 'batch' (default 32). */
  batchSize?: number;
}

const isErrno = (e: unknown, code: string): boolean => e instanceof Error && (e as NodeJS.ErrnoException).code === code;

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
}

/** Makes a rename or file creation in `dir` durable (a no-op where directories cannot be opened: Windows). */
function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch (e) {
    if (process.platform === 'win32') return;
    throw e;
  }
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `chunks` to `<path>.tmp`, fsyncs it, renames it over `path` and fsyncs the directory. */
function writeAtomic(path: string, chunks: Iterable<Uint8Array>): number {
  const tmp = `${path}.tmp`;
  let size = 0;
  const fd = openSync(tmp, 'w');
  try {
    for (const c of chunks) {
      writeAll(fd, c);
      size += c.length;
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  fsyncDir(dirname(path));
  return size;
}

export class FileLog implements MemoryBackend {
  readonly fsync: FsyncPolicy;
  readonly batchSize: number;
  private fd: number | null = null;
  private size = 0;
  private unsynced = 0;
  private state: 'new' | 'open' | 'failed' | 'closed' = 'new';

  constructor(
    readonly path: string,
    options: LogOptions = {},
  ) {
    this.fsync = options.fsync ?? 'always';
    this.batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${this.batchSize}`);
    }
  }

  /** Opens (creating if absent) and repairs the log: the intact ops and what was dropped. */
  static open(path: string, options: LogOptions = {}): LoadReport & { log: FileLog } {
    const log = new FileLog(path, options);
    return { ...log.loadSync(), log };
  }

  /** Bytes in the file (after repair), including appends so far. */
  get bytes(): number {
    return this.size;
  }

  async load(): Promise<LoadReport> {
    return this.loadSync();
  }

  loadSync(): LoadReport {
    if (this.state !== 'new') throw new Error(`FileLog ${this.path}: load() called twice`);
    try {
      unlinkSync(`${this.path}.tmp`);
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
    }
    let image: Uint8Array = new Uint8Array(0);
    let created = false;
    try {
      image = readFileSync(this.path);
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
      created = true;
    }
    const scan = scanFrames(image);
    const last = scan.frames.at(-1);
    const keptBytes = scan.frames.reduce((n, f) => n + f.end - f.start, 0);
    if (scan.dropped.length > 0) {
      const prefixOnly = keptBytes === (last?.end ?? 0);
      if (prefixOnly) {
        const fd = openSync(this.path, 'r+');
        try {
          ftruncateSync(fd, keptBytes);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      } else {
        writeAtomic(this.path, scan.frames.map((f) => image.subarray(f.start, f.end)));
      }
    }
    this.fd = openSync(this.path, 'a');
    if (created && this.fsync !== 'never') {
      fsyncSync(this.fd);
      fsyncDir(dirname(this.path));
    }
    this.size = keptBytes;
    this.state = 'open';
    return { records: scan.records, dropped: scan.dropped };
  }

  private openFd(): number {
    if (this.state !== 'open' || this.fd === null) {
      throw new MemoryError('closed', `FileLog ${this.path} is ${this.state === 'new' ? 'not loaded' : this.state}`);
    }
    return this.fd;
  }

  append(op: LogOp): void {
    const fd = this.openFd();
    const frame = encodeFrame(op);
    try {
      writeAll(fd, frame);
      this.size += frame.length;
      this.unsynced++;
      if (this.fsync === 'always' || (this.fsync === 'batch' && this.unsynced >= this.batchSize)) this.flush(fd);
    } catch (e) {
      this.state = 'failed';
      throw e;
    }
  }

  /** Forces the appends so far to disk (whatever the policy). */
  sync(): void {
    this.flush(this.openFd());
  }

  private flush(fd: number): void {
    if (this.unsynced === 0) return;
    fdatasyncSync(fd);
    this.unsynced = 0;
  }

  /** Atomically replaces the log with one put per record (touches and deletes fold away). */
  compact(records: readonly MemoryRecord[]): void {
    const old = this.openFd();
    this.size = writeAtomic(this.path, records.map((record) => encodeFrame({ op: 'put', record })));
    closeSync(old);
    this.fd = null;
    try {
      this.fd = openSync(this.path, 'a');
    } catch (e) {
      this.state = 'failed';
      throw e;
    }
    this.unsynced = 0;
  }

  close(): void {
    if (this.state === 'closed') return;
    const fd = this.fd;
    const healthy = this.state === 'open';
    this.state = 'closed';
    this.fd = null;
    if (fd === null) return;
    try {
      if (healthy && this.fsync !== 'never' && this.unsynced > 0) fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
