// An @mcap/core IWritable over a file: synchronous writes behind the async interface (the MCAP writer awaits each
// one, so bytes reach the file in order and as soon as they are produced: a crash leaves a readable prefix), with
// the byte position the writer needs for its indexes. Errors (disk full, a closed descriptor) reject the write.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { IWritable } from '@mcap/core';

export class FileWritable implements IWritable {
  readonly path: string;
  private fd: number | null;
  private written = 0n;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.fd = fd;
  }

  /** Create (or truncate) the file at `path`; throws the system error (ENOENT, EACCES, ...). */
  static create(path: string): FileWritable {
    return new FileWritable(path, openSync(path, 'w'));
  }

  write(buffer: Uint8Array): Promise<void> {
    try {
      if (this.fd === null) throw new Error('the file is closed');
      let done = 0;
      while (done < buffer.byteLength) done += writeSync(this.fd, buffer, done, buffer.byteLength - done);
      this.written += BigInt(buffer.byteLength);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  position(): bigint {
    return this.written;
  }

  /** Close the file (idempotent). */
  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    closeSync(fd);
  }
}
